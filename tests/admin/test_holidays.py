"""/holidays through the sandbox: a leader lists, adds (the day and the name written as people
say them) and removes their unit's days off, in English and Chinese; nobody outside may."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select, update

from bot.db import Database
from bot.db.models import Account, Holiday
from bot.sandbox import SandboxClient, SandboxServer
from tests.admin.conftest import ADMIN
from tests.support.builders import (
    ALAN,
    BOB,
    EVERYONE,
    GINA,
    QUIET,
    audit_rows,
    running_clock,
    seed_org,
    started,
)
from tests.support.chat import ask, buttons, press


async def days_off(db: Database) -> list[tuple[int, date, str]]:
    async with db.transaction() as s:
        rows = await s.scalars(select(Holiday).order_by(Holiday.unit_id, Holiday.day))
        return [(h.unit_id, h.day, h.name) for h in rows]


async def test_a_leader_adds_and_removes_days_off_in_words(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    o = await seed_org(db)
    started(sandbox, [*EVERYONE, ADMIN])
    bot_app.bot_data.clock = running_clock(QUIET)  # Monday 2026-11-30
    [listing] = await ask(sb, ALAN, "/holidays")
    assert "Days off of Group / Company A" in listing["text"] and "None coming." in \
        listing["text"]
    _a, [question] = await press(sb, ALAN, listing, f"hn:{o.units['Company A']}")
    assert question["text"].startswith("Which day off for Group / Company A")
    [bad] = await ask(sb, ALAN, "some day soon")
    assert bad["text"].startswith("I could not read a day there.")
    _a, [question] = await press(sb, ALAN, listing, f"hn:{o.units['Company A']}")
    [added] = await ask(sb, ALAN, "Dec 24 to Dec 25 Christmas")
    assert added["text"].startswith("✅ Day off set for Group / Company A: Thu, Dec 24 to "
                                    "Fri, Dec 25 (Christmas).")
    assert await days_off(db) == [(o.units["Company A"], date(2026, 12, 24), "Christmas"),
                                  (o.units["Company A"], date(2026, 12, 25), "Christmas")]
    # A leader of another unit cannot remove it, even with the button's data.
    [own] = await ask(sb, BOB, "/holidays")
    forged = f"hr:{o.units['Company A']}:20261224"
    await sb.press(BOB, own["message_id"], callback_data=forged)
    assert len(await days_off(db)) == 2
    removed = next(d for label, d in buttons(added) if label.startswith("✖ Dec 24"))
    await sb.press(ALAN, added["message_id"], callback_data=removed)
    await sb.wait_until(ALAN, lambda chat: any(
        m["message_id"] == added["message_id"] and "Removed:" in (m.get("text") or "")
        for m in chat))
    assert await days_off(db) == [(o.units["Company A"], date(2026, 12, 25), "Christmas")]
    assert [a.action for a in await audit_rows(db, "holiday_add")] == ["holiday_add"] * 2
    assert len(await audit_rows(db, "holiday_remove")) == 1
    # In Chinese, the name written right after the day.
    async with db.transaction() as s:
        await s.execute(update(Account).where(Account.telegram_user_id == GINA)
                        .values(locale="zh_CN"))
    [listing] = await ask(sb, GINA, "/holidays")
    _a, [question] = await press(sb, GINA, listing, f"hn:{o.units['Group']}")
    [added] = await ask(sb, GINA, "1月1日元旦")
    assert "2027年1月1日周五" in added["text"] and "元旦" in added["text"]
    assert (o.units["Group"], date(2027, 1, 1), "元旦") in await days_off(db)
