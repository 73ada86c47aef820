"""The guided "someone is unwell" and "something else" forms through the sandbox: the whole
form for a member with two household entries, amending, bad temperatures, cancel, expiry,
a restart in the middle, and forged or stale buttons."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.db import Database
from bot.db.models import ReportRevision, ReportStatus
from bot.sandbox import SandboxClient
from tests.reports.helpers import (
    MONDAY,
    at,
    callbacks,
    draft_of,
    labels,
    report_count,
    says,
    seed_member,
    send,
    stored,
    tap,
)
from tests.support.builders import running_clock


async def member_id_of(db: Database, uid: int) -> int:
    from sqlalchemy import select as _select

    from bot.db.models import Member

    async with db.transaction() as s:
        found = await s.scalar(_select(Member.id).where(Member.telegram_user_id == uid))
        assert found is not None
        return found


HOUSEHOLD = [("spouse", "Li Na"), ("child", "Wang Bo")]


@pytest.fixture(autouse=True)
def morning(bot_app: Any) -> None:
    bot_app.bot_data.clock = running_clock(at(MONDAY, "08:00"))


async def open_form(sb: SandboxClient, uid: int, button: str = "🤒 Someone is unwell") -> None:
    await sb.create_user(uid, f"User {uid}", language_code="en")
    reply = await send(sb, uid, "/report")
    assert reply["text"].startswith("Daily health report · Mon, Nov 30\n\n"
                                    f"Hello, Member {uid}!")
    await tap(sb, uid, button)


async def test_the_whole_unwell_form_for_a_member_and_two_household_members(
    sb: SandboxClient, db: Database
) -> None:
    mid = await seed_member(db, 3101, household=HOUSEHOLD)
    await open_form(sb, 3101)
    step = await says(sb, 3101, "Who is unwell?")
    assert labels(step)[:3] == ["⬜ You", "⬜ spouse Li Na", "⬜ child Wang Bo"]
    for who in ("⬜ You", "⬜ spouse Li Na", "⬜ child Wang Bo"):
        await tap(sb, 3101, who)
    step = await says(sb, 3101, "Who is unwell?")
    await sb.wait_until(3101, lambda ms: "☑️ child Wang Bo" in labels(ms[-1]))
    await tap(sb, 3101, "Next ➡")

    # Me: typed temperature, two symptoms, a note.
    await says(sb, 3101, "Your temperature?")
    step = await send(sb, 3101, "37,6")
    assert "Your symptoms?" in step["text"]
    await tap(sb, 3101, "⬜ cough")
    await sb.wait_until(3101, lambda ms: "☑️ cough" in labels(ms[-1]))
    await tap(sb, 3101, "⬜ fever")
    await sb.wait_until(3101, lambda ms: "☑️ fever" in labels(ms[-1]))
    await tap(sb, 3101, "Done ➡")
    await says(sb, 3101, "Anything to add?")
    step = await send(sb, 3101, "since last night <b>")
    # Spouse: a quick button, one symptom, no note.
    assert "Temperature of spouse Li Na?" in step["text"]
    await tap(sb, 3101, "38.0")
    await says(sb, 3101, "Symptoms of spouse Li Na?")
    await tap(sb, 3101, "⬜ fatigue")
    await sb.wait_until(3101, lambda ms: "☑️ fatigue" in labels(ms[-1]))
    await tap(sb, 3101, "Done ➡")
    await says(sb, 3101, "Anything to add about spouse Li Na?")
    await tap(sb, 3101, "Skip ➡")
    # Child: °F typed, no symptoms.
    await says(sb, 3101, "Temperature of child Wang Bo?")
    await send(sb, 3101, "99.5°F")
    await tap(sb, 3101, "Done ➡")
    await says(sb, 3101, "Anything to add about child Wang Bo?")
    await tap(sb, 3101, "Skip ➡")

    summary = await says(sb, 3101, "Please check your report for Nov 30")
    assert summary["text"].splitlines()[1:] == [
        "⚠ Something to watch",
        "• You: 37.6 °C, fever, cough — “since last night <b>”",
        "• spouse Li Na: 38.0 °C, fatigue",
        "• child Wang Bo: 37.5 °C",
    ]
    assert await report_count(db) == 0  # nothing stored before confirming
    await tap(sb, 3101, "✅ Confirm")
    done = await says(sb, 3101, "✅ Reported at 08:")
    assert callbacks(done) == []

    report = await stored(db, mid)
    assert report is not None
    assert (report.status, report.temperature, report.symptoms, report.note) == (
        ReportStatus.ABNORMAL, Decimal("37.6"), ["fever", "cough"], "since last night <b>")
    assert [(h.relation, h.name, h.temperature, h.symptoms, h.note)
            for h in report.household] == [
        ("spouse", "Li Na", Decimal("38.0"), ["fatigue"], ""),
        ("child", "Wang Bo", Decimal("37.5"), [], "")]
    assert await draft_of(db, 3101) is None


async def test_healthy_people_are_one_tap_in_the_form(sb: SandboxClient, db: Database) -> None:
    mid = await seed_member(db, 3102, household=HOUSEHOLD)
    await open_form(sb, 3102)
    await says(sb, 3102, "Who is unwell?")
    answer = await tap(sb, 3102, "Next ➡")  # nobody chosen yet
    assert answer["show_alert"] and "at least one person" in answer["text"]
    await tap(sb, 3102, "⬜ child Wang Bo")
    await sb.wait_until(3102, lambda ms: "☑️ child Wang Bo" in labels(ms[-1]))
    await tap(sb, 3102, "Next ➡")
    await says(sb, 3102, "Temperature of child Wang Bo?")
    await tap(sb, 3102, "Normal")
    await says(sb, 3102, "Symptoms of child Wang Bo?")
    await tap(sb, 3102, "⬜ diarrhoea")
    await sb.wait_until(3102, lambda ms: "☑️ diarrhoea" in labels(ms[-1]))
    await tap(sb, 3102, "Done ➡")
    await tap(sb, 3102, "Skip ➡")
    await says(sb, 3102, "Please check your report")
    await tap(sb, 3102, "✅ Confirm")
    await says(sb, 3102, "✅ Reported at")
    report = await stored(db, mid)
    assert report is not None and report.status is ReportStatus.ABNORMAL
    assert report.temperature is None and report.symptoms == []
    assert [h.symptoms for h in report.household] == [[], ["diarrhoea"]]


async def test_something_else_contact_with_a_case_is_abnormal(
    sb: SandboxClient, db: Database
) -> None:
    mid = await seed_member(db, 3103)
    await open_form(sb, 3103, "📝 Something else to report")
    await says(sb, 3103, "What do you want to report?")
    await tap(sb, 3103, "⬜ Contact with a confirmed or suspected case")
    await sb.wait_until(3103, lambda ms: "☑️ Contact with a confirmed or suspected case"
                        in labels(ms[-1]))
    await tap(sb, 3103, "⬜ Travel outside the city")
    await sb.wait_until(3103, lambda ms: "☑️ Travel outside the city" in labels(ms[-1]))
    await tap(sb, 3103, "Next ➡")
    await says(sb, 3103, "Anything to add?")
    await send(sb, 3103, "colleague tested positive")
    summary = await says(sb, 3103, "Please check your report")
    assert "• Contact with a confirmed or suspected case" in summary["text"]
    await tap(sb, 3103, "✅ Confirm")
    await says(sb, 3103, "✅ Reported at")
    report = await stored(db, mid)
    assert report is not None
    assert (report.status, report.contact_case, report.travel, report.isolation,
            report.note) == (ReportStatus.ABNORMAL, True, True, False,
                             "colleague tested positive")


async def test_amending_keeps_the_previous_version_and_who_changed_it(
    sb: SandboxClient, db: Database
) -> None:
    mid = await seed_member(db, 3104, household=HOUSEHOLD[:1])
    await sb.create_user(3104, "User 3104", language_code="en")
    await send(sb, 3104, "/report")
    await tap(sb, 3104, "✅ Me and my household are all well")
    await says(sb, 3104, "✅ Reported at")

    shown = await send(sb, 3104, "/report")
    assert shown["text"].startswith("You have already reported for Nov 30")
    assert callbacks(shown) == ["ra:2026-11-30:ok", "ra:2026-11-30:sick", "ra:2026-11-30:other"]
    await tap(sb, 3104, "🤒 Someone is unwell")
    await tap(sb, 3104, "⬜ You")
    await sb.wait_until(3104, lambda ms: "☑️ You" in labels(ms[-1]))
    await tap(sb, 3104, "Next ➡")
    await tap(sb, 3104, "38.5")
    await says(sb, 3104, "Your symptoms?")
    await tap(sb, 3104, "Done ➡")
    await tap(sb, 3104, "Skip ➡")
    summary = await says(sb, 3104, "Please check your report")
    assert "Confirming replaces the report you sent earlier today." in summary["text"]
    await tap(sb, 3104, "✅ Confirm")
    await says(sb, 3104, "✅ Report amended at")

    report = await stored(db, mid)
    assert report is not None
    assert (report.revision, report.status, report.temperature) == (
        2, ReportStatus.ABNORMAL, Decimal("38.5"))
    async with db.transaction() as s:
        [rev] = (await s.scalars(select(ReportRevision))).all()
    assert (rev.report_id, rev.revision, rev.changed_by) == (report.id, 2, mid)
    assert rev.previous["status"] == "ok" and rev.previous["revision"] == 1
    assert rev.previous["household"][0]["name"] == "Li Na"

    # Back to all well from /report's amend buttons.
    await send(sb, 3104, "/report")
    await tap(sb, 3104, "✅ Everyone is well now")
    await says(sb, 3104, "✅ Report amended at")
    report = await stored(db, mid)
    assert report is not None and (report.revision, report.status) == (3, ReportStatus.OK)
    assert await report_count(db) == 1


@pytest.mark.parametrize(("typed", "expected"), [
    ("abc", "That is not a temperature. Please send a body temperature between 34.0 and "
            "43.0 °C"),
    ("30", "30.0 °C is not a plausible body temperature."),
    ("45", "45.0 °C is not a plausible body temperature."),
    ("37.5.5", "That is not a temperature."),
    ("-", "That is not a temperature."),
    ("°C", "That is not a temperature."),
    ("9" * 4096, "That is not a temperature."),
    ("100", "Did you mean 37.8 °C?"),
])
async def test_every_bad_temperature_gets_a_reply_saying_what_is_expected(
    sb: SandboxClient, db: Database, typed: str, expected: str
) -> None:
    await seed_member(db, 3105)
    await open_form(sb, 3105)
    await says(sb, 3105, "Your temperature?")
    reply = await send(sb, 3105, typed)
    assert expected in reply["text"]
    draft = await draft_of(db, 3105)
    assert draft is not None and draft.step == "temp"
    assert await report_count(db) == 0
    # Still at the same step: a good answer now moves on.
    step = await send(sb, 3105, "36.9")
    assert "Your symptoms?" in step["text"]


async def test_a_member_who_lives_alone_is_asked_for_the_temperature_at_once(
    sb: SandboxClient, db: Database
) -> None:
    await seed_member(db, 3114)
    await open_form(sb, 3114)
    step = await says(sb, 3114, "Your temperature?")
    assert labels(step) == ["36.5", "37.0", "37.5", "38.0", "38.5", "Normal", "✖ Cancel"]
    await tap(sb, 3114, "37.0")
    await tap(sb, 3114, "Done ➡")
    await tap(sb, 3114, "Skip ➡")
    summary = await says(sb, 3114, "Please check your report")
    assert "• You: 37.0 °C" in summary["text"] and "✓ Everyone is well" in summary["text"]
    await tap(sb, 3114, "✏️ Start over")
    await says(sb, 3114, "Your temperature?")
    await tap(sb, 3114, "Normal")
    await tap(sb, 3114, "Done ➡")
    await tap(sb, 3114, "Skip ➡")
    await says(sb, 3114, "Please check your report")
    await tap(sb, 3114, "✅ Confirm")
    await says(sb, 3114, "✅ Reported at")
    report = await stored(db, await member_id_of(db, 3114))
    assert report is not None and report.status is ReportStatus.OK
    assert report.temperature is None


async def test_cancel_by_button_and_by_command_saves_nothing(
    sb: SandboxClient, db: Database
) -> None:
    await seed_member(db, 3106)
    await open_form(sb, 3106)
    await tap(sb, 3106, "✖ Cancel")
    done = await says(sb, 3106, "Cancelled; nothing was saved.")
    assert callbacks(done) == []
    await send(sb, 3106, "/report")
    await tap(sb, 3106, "📝 Something else to report")
    await says(sb, 3106, "What do you want to report?")
    reply = await send(sb, 3106, "/cancel")
    assert reply["text"] == "Cancelled; nothing was saved."
    assert await draft_of(db, 3106) is None
    reply = await send(sb, 3106, "/cancel")
    assert reply["text"] == "There is nothing to cancel."
    assert await report_count(db) == 0


async def test_an_abandoned_form_expires_without_saving(
    bot_app: Any, sb: SandboxClient, db: Database
) -> None:
    await seed_member(db, 3107)
    await open_form(sb, 3107)
    await says(sb, 3107, "Your temperature?")
    bot_app.bot_data.clock = running_clock(at(MONDAY, "08:31"))
    reply = await send(sb, 3107, "37.5")
    assert reply["text"].startswith("This form timed out after 30 minutes")
    assert await draft_of(db, 3107) is None and await report_count(db) == 0
    # Its buttons are stale now.
    answer = await tap(sb, 3107, "37.5")
    assert answer["show_alert"] and answer["text"] == "This button is no longer valid."


async def test_an_expired_form_button_says_so(bot_app: Any, sb: SandboxClient,
                                              db: Database) -> None:
    await seed_member(db, 3108, household=HOUSEHOLD)
    await open_form(sb, 3108)
    await says(sb, 3108, "Who is unwell?")
    bot_app.bot_data.clock = running_clock(at(MONDAY, "09:00"))
    answer = await tap(sb, 3108, "⬜ You")
    assert answer["show_alert"] and "timed out" in answer["text"]
    await says(sb, 3108, "This form timed out")
    assert await report_count(db) == 0


async def test_a_restart_in_the_middle_of_the_form_loses_nothing(
    bot_app: Any, settings: Settings, sb: SandboxClient, db: Database
) -> None:
    from bot.runtime.runner import start_bot, stop_bot

    mid = await seed_member(db, 3109)
    await open_form(sb, 3109)
    await says(sb, 3109, "Your temperature?")
    await stop_bot(bot_app)

    again = await start_bot(settings, db, poll_timeout=1)
    try:
        again.bot_data.clock = running_clock(at(MONDAY, "08:05"))
        step = await send(sb, 3109, "38.2")
        assert "Your symptoms?" in step["text"]
        await tap(sb, 3109, "Done ➡")
        await tap(sb, 3109, "Skip ➡")
        await says(sb, 3109, "Please check your report")
        await tap(sb, 3109, "✅ Confirm")
        await says(sb, 3109, "✅ Reported at")
    finally:
        await stop_bot(again)
    report = await stored(db, mid)
    assert report is not None and report.temperature == Decimal("38.2")


async def test_text_at_a_button_step_asks_for_the_buttons(sb: SandboxClient,
                                                         db: Database) -> None:
    await seed_member(db, 3110, household=HOUSEHOLD)
    await open_form(sb, 3110)
    await says(sb, 3110, "Who is unwell?")
    sent = await sb.send_text(3110, "x" * 4096)
    [hint, step] = await sb.wait_for_bot_messages(3110, after=sent["message_id"], count=2)
    assert hint["text"] == "Please use the buttons below (or /cancel)."
    assert "Who is unwell?" in step["text"]
    # The old step message lost its buttons; the new one works.
    await tap(sb, 3110, "✖ Cancel")
    await says(sb, 3110, "Cancelled")
    assert await report_count(db) == 0


async def test_forged_and_stale_buttons_change_nothing(sb: SandboxClient, db: Database) -> None:
    await seed_member(db, 3111, household=HOUSEHOLD)
    await seed_member(db, 3112)
    await open_form(sb, 3111)
    step = await says(sb, 3111, "Who is unwell?")
    [_you, _spouse, _child, next_, cancel] = callbacks(step)
    await sb.create_user(3112, "User 3112", language_code="en")
    shown = await send(sb, 3112, "/report")
    for data in ["r:2026-11-30:fine", "rf:zzzzzz:1:ok", "rf:abcdef:1:ok", next_, cancel,
                 "r:2026-02-30:ok", "ra:2026-11-30:same", "rf:" + "1" * 60]:
        answer = await sb.press(3112, shown["message_id"], callback_data=data)
        assert answer["show_alert"] and answer["text"] == "This button is no longer valid.", data
    # Another day's buttons: refused, and today's are offered.
    answer = await sb.press(3112, shown["message_id"], callback_data="r:2026-11-20:ok")
    assert answer["show_alert"] and "Nov 20, which can no longer be reported" in \
        answer["text"]
    offered = await says(sb, 3112, "Daily health report")
    assert callbacks(offered)[0] == "r:2026-11-30:ok"
    assert await report_count(db) == 0
    assert await draft_of(db, 3111) is not None  # 3111's form is untouched


async def test_yesterdays_button_after_midnight_reports_for_yesterday_until_the_prompt(
    bot_app: Any, sb: SandboxClient, db: Database
) -> None:
    mid = await seed_member(db, 3113)
    await sb.create_user(3113, "User 3113", language_code="en")
    shown = await send(sb, 3113, "/report")
    bot_app.bot_data.clock = running_clock(at(MONDAY + timedelta(days=1), "00:30"))
    answer = await sb.press(3113, shown["message_id"], callback_data="r:2026-11-30:ok")
    assert answer["show_alert"] is False
    await says(sb, 3113, "marked late")
    report = await stored(db, mid)
    assert report is not None and report.late
    answer = await sb.press(3113, shown["message_id"], callback_data="r:2026-11-30:ok")
    assert answer["text"].startswith("You have already reported for Nov 30 (at")
    # After today's prompt time, Monday's buttons are stale.
    bot_app.bot_data.clock = running_clock(at(MONDAY + timedelta(days=1), "07:30"))
    answer = await sb.press(3113, shown["message_id"], callback_data="r:2026-11-30:sick")
    assert answer["show_alert"] and "can no longer be reported" in answer["text"]
    assert await draft_of(db, 3113) is None


async def test_names_on_the_form_buttons_read_as_typed(sb: SandboxClient, db: Database) -> None:
    await seed_member(db, 3199, household=[("spouse", "Li <Na> & Co")])
    await open_form(sb, 3199)
    step = await says(sb, 3199, "Who is unwell?")
    assert "⬜ spouse Li <Na> & Co" in labels(step)
