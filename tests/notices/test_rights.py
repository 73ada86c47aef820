"""Who may send where: members not at all, leaders only inside their subtree; forged
buttons and stale steps change nothing."""

from __future__ import annotations

from typing import Any

from bot.db import Database
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
    [by_name] = await say(sb, ALAN, "branch 1")
    assert by_name["text"] == "Which unit?"
    assert labels(by_name)[0] == "📁 Company A / Branch 1"
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
    _a, [ack_q] = await tap(sb, ALAN, by_name, data_of(by_name, "Branch 1"))
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
    for text, start in (("tomorrow-ish", "I could not read that time."),
                        ("25:00", "I could not read that time."),
                        ("2026-11-29 08:00", "That time has passed."),
                        ("2027-03-01 08:00", "A notice can be scheduled at most 30 days")):
        [reply] = await say(sb, ALAN, text)
        assert reply["text"].startswith(start), text
    preview, summary = await say(sb, ALAN, "08:30", count=2)
    assert summary["text"].splitlines()[-2:] == ["Acknowledgement: not asked",
                                                 "When: 12/1/26, 8:30\u202fAM"]
    assert not preview.get("reply_markup")
