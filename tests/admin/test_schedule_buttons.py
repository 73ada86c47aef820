"""/setschedule by buttons and in words, in English and Chinese, through the sandbox: each
setting a button, values tapped or typed as people say them, zh keys in the one-line form;
the scope checked on every tap."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from bot.db import Database
from bot.db.models import Account, Unit
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
from tests.support.chat import ask, buttons


def line(message: dict[str, Any], label: str) -> str:
    """The schedule's line for a setting (its punctuation is the catalogue's business)."""
    return next(x for x in message["text"].splitlines() if x.startswith(label))


async def tap_and_see(sb: SandboxClient, uid: int, message: dict[str, Any],
                      label: str, text_part: str) -> dict[str, Any]:
    """Press the button labelled `label`; the same message once its text has `text_part`."""
    data = next(d for text, d in buttons(message) if text == label)
    answer = await sb.press(uid, message["message_id"], callback_data=data)
    assert answer["answered"], answer
    await sb.wait_until(uid, lambda chat: any(
        m["message_id"] == message["message_id"] and text_part in (m.get("text") or "")
        for m in chat))
    return next(m for m in await sb.chat(uid) if m["message_id"] == message["message_id"])


async def test_a_leader_sets_the_schedule_by_buttons_and_in_words(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    o = await seed_org(db)
    started(sandbox, [*EVERYONE, ADMIN])
    bot_app.bot_data.clock = running_clock(QUIET)
    [shown] = await ask(sb, ALAN, "/setschedule")
    assert [label for label, _d in buttons(shown)] == [
        "✏️ Daily question", "✏️ Reminders", "✏️ Deadline", "✏️ Digest", "✏️ Time zone",
        "✏️ Weekends"]
    asked = await tap_and_see(sb, ALAN, shown, "✏️ Daily question", "Tap a time")
    assert "08:00" in [label for label, _d in buttons(asked)]
    saved = await tap_and_see(sb, ALAN, asked, "08:00", "Saved")
    assert "Daily question: 08:00 (set here)" in saved["text"]
    # Typed as people say it.
    await tap_and_see(sb, ALAN, saved, "✏️ Deadline", "Tap a time")
    [typed] = await ask(sb, ALAN, "12:15pm")
    assert "Deadline: 12:15 (set here)" in typed["text"]
    [refused] = await ask(sb, ALAN, "/setschedule")
    await tap_and_see(sb, ALAN, refused, "✏️ Reminders", "Tap one")
    [bad] = await ask(sb, ALAN, "sometime")
    assert "is not a list of times" in bad["text"] and "Nothing was changed." in bad["text"]
    [reminders] = await ask(sb, ALAN, "10am, 11:30am")
    assert "Reminders: 10:00,11:30 (set here)" in reminders["text"]
    weekends = await tap_and_see(sb, ALAN, reminders, "✏️ Weekends", "Saturdays")
    saved = await tap_and_see(sb, ALAN, weekends, "No reports on weekends", "Saved")
    assert "Weekends: no reports (set here)" in saved["text"]
    back = await tap_and_see(sb, ALAN, await tap_and_see(sb, ALAN, saved, "✏️ Time zone",
                                                         "time zone"), "⬅️ Back", "Schedule of")
    assert "✏️ Daily question" in [label for label, _d in buttons(back)]
    # A leader of another unit, with the button's data: refused, audited, nothing changed.
    [own] = await ask(sb, BOB, "/setschedule")
    forged = f"sv:{o.units['Company A']}:prompt:0600"
    answer = await sb.press(BOB, own["message_id"], callback_data=forged)
    assert answer["answered"]
    async with db.transaction() as s:
        unit = await s.get(Unit, o.units["Company A"])
        assert unit is not None
        assert (unit.prompt_time, unit.deadline_time, unit.reminder_times,
                unit.skip_weekends) == ("08:00", "12:15", "10:00,11:30", True)
    assert len(await audit_rows(db, "schedule_denied")) == 1


async def test_chinese_keys_and_words(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    o = await seed_org(db)
    started(sandbox, [*EVERYONE, ADMIN])
    bot_app.bot_data.clock = running_clock(QUIET)
    async with db.transaction() as s:
        await s.execute(update(Account).where(Account.telegram_user_id == GINA)
                        .values(locale="zh_CN"))
    [saved] = await ask(sb, GINA, "/setschedule 提醒=10点,11点半 每日询问=早上7点 周末=跳过")
    assert "10:00,11:30" in line(saved, "提醒")
    asked = await tap_and_see(sb, GINA, saved, "✏️ 截止时间", "点选时间")
    assert asked["text"].startswith("截止时间")
    [typed] = await ask(sb, GINA, "中午12点半")
    assert "12:30" in line(typed, "截止时间")
    [bad] = await ask(sb, GINA, "/setschedule 提醒=随便")
    assert "未做任何更改" in bad["text"]
    async with db.transaction() as s:
        unit = await s.get(Unit, o.units["Group"])
        assert unit is not None
        assert (unit.reminder_times, unit.prompt_time, unit.deadline_time,
                unit.skip_weekends) == ("10:00,11:30", "07:00", "12:30", True)
