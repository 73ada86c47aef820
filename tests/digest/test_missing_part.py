"""A large subtree's /status reads the missing members of its first units only (more than a
text holds), counts all of them from the figures, and prints nothing of the part as if it
were the whole: the same names first, the same count, the rest counted (SQLite and
PostgreSQL)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import update

from bot.db import Database
from bot.db.models import Account
from bot.i18n import use_locale
from bot.render.digest import digest_text
from bot.services.digest import missing as missing_module
from bot.services.digest.compute import Reach
from tests.digest.helpers import MONDAY, at, digests, members, report, unit

NOW = at(MONDAY, "13:00")


async def seed(db: Database) -> dict[str, Any]:
    """Group ─ A (3 missing) ─ A1 (2 missing, one blocked); Group ─ B (3 missing, one never
    linked); one reported in each."""
    async with db.transaction() as s:
        group = await unit(s, "Group")
        a = await unit(s, "Group", "A")
        a1 = await unit(s, "Group", "A", "A1")
        b = await unit(s, "Group", "B")
        in_a = await members(s, a, ["Ann", "Bob", "Cai", "Done A"], first_uid=301)
        in_a1 = await members(s, a1, ["Dan", "Eve"], first_uid=311)
        in_b = await members(s, b, ["Fay", "Gus", "Done B"], first_uid=321)
        await members(s, b, ["Hal"])  # never linked
        await report(s, in_a[3], MONDAY)
        await report(s, in_b[2], MONDAY)
        await s.execute(update(Account).values(blocked_at=NOW)
                        .where(Account.telegram_user_id == in_a1[1].telegram_user_id))
    return {"group": group, "a": a, "a1": a1, "b": b, "in_b": in_b}


def _rows(listed: Any) -> list[tuple[str, tuple[str, ...], Reach]]:
    return [(m.name, m.unit_names, m.reach) for m in listed]


async def test_the_first_units_in_order_and_the_count_of_all(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    t = await seed(db)
    whole = (await digests(db))[t["group"].id]  # every unit: the day's whole list
    assert whole.missing_complete and len(whole.missing) == 8
    monkeypatch.setattr(missing_module, "HEAD", 4)
    part = (await digests(db, unit_ids=[t["group"].id], history=False))[t["group"].id]
    # A's 3 and A1's 2 reach 4: both read whole, B not read; all 8 counted.
    assert not part.missing_complete and len(part.missing) == 8
    assert _rows(part.missing) == _rows(whole.missing)[:5]
    assert part.missing[:2] == whole.missing[:2]
    assert [m.name for m in part.missing_by(Reach.BLOCKED)] == ["Eve"]
    # A subtree within HEAD is read whole, by itself.
    monkeypatch.setattr(missing_module, "HEAD", 5)
    b = (await digests(db, unit_ids=[t["b"].id], history=False))[t["b"].id]
    assert b.missing_complete and _rows(b.missing) == [
        ("Fay", ("B",), Reach.PENDING), ("Gus", ("B",), Reach.PENDING),
        ("Hal", ("B",), Reach.UNLINKED)]


async def test_the_text_lists_the_part_and_counts_the_rest(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    t = await seed(db)
    monkeypatch.setattr(missing_module, "HEAD", 4)
    part = (await digests(db, unit_ids=[t["group"].id], history=False))[t["group"].id]
    with use_locale("en"):
        text = digest_text(part, full_lists=True)
    assert "8 not reported" in text
    for name in ("Ann", "Bob", "Cai", "Dan"):
        assert name in text
    # Eve blocked the bot: a blocked line would count her alone of who knows how many; Hal
    # (never linked) was not read. Neither section is printed from a part: counted instead.
    assert "Blocked the bot" not in text and "Never linked" not in text
    assert "Fay" not in text and "Hal" not in text
    [more] = re.findall(r"\+(\d+) more", text)
    assert int(more) == 8 - 4
