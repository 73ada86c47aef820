"""Who may send where: members not at all, leaders only inside their subtree; forged
buttons and stale steps change nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from bot.db import Database
from bot.db.models import Account
from bot.sandbox import SandboxClient, SandboxServer
from tests.notices.helpers import data_of, labels, notices_in, say, seed, tap
from tests.support.builders import (
    ALAN,
    BOB,
    CARA,
    EVERYONE,
    NOW,
    audit_rows,
    running_clock,
    started,
)


async def test_a_member_cannot_send_a_notice(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    await seed(db)
    started(sandbox, EVERYONE)
    [reply] = await say(sb, CARA, "/notice")
    assert reply["text"] == "Only unit leaders and administrators can send notices."
    [listing] = await say(sb, CARA, "/notices")
    assert listing["text"] == "Only unit leaders and administrators can send notices."
    # A forged flow button without a form, and free text, change nothing.
    answer = await sb.press(CARA, reply["message_id"], callback_data="nf:o")
    assert answer["answered"]
    assert await notices_in(db) == []
    [help_] = await say(sb, CARA, "/help")
    assert "/notice" not in help_["text"]
    [leader_help] = await say(sb, BOB, "/help")
    assert "/notice — Send a notice" in leader_help["text"]


async def test_a_leader_cannot_target_outside_their_subtree(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    o = await seed(db)
    started(sandbox, EVERYONE)
    bot_app.bot_data.clock = running_clock(NOW)
    await say(sb, ALAN, "/notice")
    [targets] = await say(sb, ALAN, "Hello")
    # Company B is not Alan's: not offered, not found by name, refused when forged.
    assert not any("Company B" in label for label in labels(targets))
    [found] = await say(sb, ALAN, "Company B")
    assert found["text"].startswith("None of the units you may send to has that name.")
    _a, [forged] = await tap(sb, ALAN, targets, f"nf:u:{o.units['Company B']}")
    assert forged["text"] == "You cannot send a notice there: pick one of your own units."
    _a, [org] = await tap(sb, ALAN, targets, "nf:o")
    assert org["text"] == forged["text"]
    _a, [unknown] = await tap(sb, ALAN, targets, "nf:u:999999")
    assert unknown["text"] == forged["text"]
    denied = await audit_rows(db, "notice_denied")
    assert [d.target for d in denied] == [f"unit:{o.units['Company B']}", "org"]
    # A button of a later step, pressed now, is refused; the form goes on where it was.
    _a, [early] = await tap(sb, ALAN, targets, "nf:s")
    assert early["text"].startswith("Please answer with the buttons of the last step")
    # The one unit of that name is picked, as its button would be.
    [ack_q] = await say(sb, ALAN, "branch 1")
    assert ack_q["text"].startswith("Ask recipients to acknowledge it?")
    # Garbage data under our prefix falls through to the stale-button answer.
    answer = await sb.press(ALAN, ack_q["message_id"], callback_data="nf:k:2")
    assert answer["text"] == "This button is no longer valid."
    _a, [cancelled] = await tap(sb, ALAN, ack_q, "nf:x")
    assert cancelled["text"] == "The notice was not sent."
    assert await notices_in(db) == []


async def test_bad_content_and_bad_times_get_clear_answers(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    await seed(db)
    started(sandbox, EVERYONE)
    bot_app.bot_data.clock = running_clock(NOW)  # 09:00 in Shanghai
    await say(sb, ALAN, "/notice")
    [long] = await say(sb, ALAN, "x" * 4000)  # Telegram itself stops at 4096
    assert long["text"].startswith("That is too long")
    [targets] = await say(sb, ALAN, "Short and clear.")
    _a, [ack_q] = await tap(sb, ALAN, targets, data_of(targets, "Branch 1"))
    [buttons_please] = await say(sb, ALAN, "yes")
    assert buttons_please["text"].startswith("Please answer with the buttons")
    _a, [when_q] = await tap(sb, ALAN, ack_q, "nf:k:0")
    for text, start in (("tomorrow-ish", "I could not read that date or time."),
                        ("25:00", "I could not read that date or time."),
                        ("tomorrow", "Which time on that day?"),
                        ("2026-11-29 08:00", "That time has passed."),
                        ("2027-03-01 08:00", "A notice can be scheduled at most 30 days")):
        [reply] = await say(sb, ALAN, text)
        assert reply["text"].startswith(start), text
    preview, summary = await say(sb, ALAN, "08:30", count=2)
    assert summary["text"].splitlines()[-2:] == ["Acknowledgement: not asked",
                                                 "When: Tue, Dec 1 08:30 "
                                                 "(Asia/Shanghai)"]
    assert not preview.get("reply_markup")


async def test_a_time_in_words_is_read_and_echoed_in_english_and_chinese(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    """"tomorrow 8pm" and "明晚8点" are both read; the summary shows the day in full, with its
    weekday and the time zone, before anything is sent."""
    await seed(db)
    started(sandbox, EVERYONE)
    bot_app.bot_data.clock = running_clock(NOW)  # Monday 2026-11-30, 09:00 in Shanghai
    async with db.transaction() as s:
        await s.execute(update(Account).where(Account.telegram_user_id == BOB)
                        .values(locale="zh_CN"))
    for uid, text, target, when, expected in (
            (ALAN, "Drill.", "Branch 1", "tomorrow 8pm",
             "When: Tue, Dec 1 20:00 (Asia/Shanghai)"),
            (BOB, "演练。", "Company B", "明晚8点",
             "发送时间：12月1日周二 20:00（Asia/Shanghai）")):
        await say(sb, uid, "/notice")
        [targets] = await say(sb, uid, text)
        _a, [ack_q] = await tap(sb, uid, targets, data_of(targets, target))
        _a, [_when_q] = await tap(sb, uid, ack_q, "nf:k:0")
        [bad] = await say(sb, uid, "下周八" if uid == BOB else "next blursday")
        assert ("没能看懂" if uid == BOB else "I could not read") in bad["text"]
        _preview, summary = await say(sb, uid, when, count=2)
        assert summary["text"].splitlines()[-1] == expected
    assert await notices_in(db) == []
