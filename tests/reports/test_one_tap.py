"""The daily prompt's one-tap answer, "same as yesterday", reminders only to non-reporters,
late reports and double taps, through the sandbox against the real Application."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from typing import Any

from bot.db import Database
from bot.db.models import ReportStatus
from bot.runtime.jobs import tick_now
from bot.sandbox import SandboxClient, SandboxServer
from bot.services.reports.store import PersonHealth, ReportInput, save_report
from tests.reports.helpers import (
    MONDAY,
    at,
    callbacks,
    member,
    report_count,
    says,
    seed_member,
    stored,
    tap,
)
from tests.support.builders import running_clock, started

ALL_WELL = "✅ Me and my household are all well"


async def prompt_at(bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, uids: list[int],
                    hhmm: str = "07:30") -> None:
    started(sandbox, uids)
    bot_app.bot_data.clock = running_clock(at(MONDAY, hhmm))
    await tick_now(bot_app)
    for uid in uids:
        await sb.wait_for_bot_messages(uid)


async def test_one_tap_reports_everyone_well_and_a_second_tap_changes_nothing(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    mid = await seed_member(db, 3001, household=[("spouse", "Li Na")])
    await prompt_at(bot_app, sandbox, sb, [3001])
    bot_app.bot_data.clock = running_clock(at(MONDAY, "08:15"))

    answer = await tap(sb, 3001, ALL_WELL)
    assert answer["show_alert"] is False
    done = await says(sb, 3001, "✅ Reported at 08:15")
    assert callbacks(done) == []  # the buttons are gone
    assert "Everyone is well" in done["text"] and "spouse Li Na: well" in done["text"]
    report = await stored(db, mid)
    assert report is not None
    assert (report.status, report.late, report.revision) == (ReportStatus.OK, False, 1)
    assert [(h.relation, h.name, h.temperature, h.symptoms) for h in report.household] == [
        ("spouse", "Li Na", None, [])]

    # The same button again (e.g. on the reminder): already reported, nothing written.
    again = await sb.press(3001, done["message_id"], callback_data="r:2026-11-30:ok")
    assert again["show_alert"] is True
    assert again["text"].startswith("You have already reported today (at 08:15")
    assert await report_count(db) == 1
    assert (await stored(db, mid)).revision == 1  # type: ignore[union-attr]


async def test_two_taps_at_once_leave_one_report(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    await seed_member(db, 3002)
    await prompt_at(bot_app, sandbox, sb, [3002])
    [prompt] = await sb.chat(3002)
    first, second = await asyncio.gather(
        sb.press(3002, prompt["message_id"], button=ALL_WELL),
        sb.press(3002, prompt["message_id"], callback_data="r:2026-11-30:ok"))
    assert sorted([first["show_alert"], second["show_alert"]]) == [False, True]
    assert await report_count(db) == 1


async def test_reminders_go_only_to_those_who_have_not_reported(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    await seed_member(db, 3003, unit_fields={"reminder_times": "10:00"})
    await seed_member(db, 3004)
    await prompt_at(bot_app, sandbox, sb, [3003, 3004])
    await tap(sb, 3003, ALL_WELL)
    await says(sb, 3003, "✅ Reported at")
    bot_app.bot_data.clock = running_clock(at(MONDAY, "10:00"))
    assert (await tick_now(bot_app)).counts == {"reminder": 1}
    [_prompt, reminder] = await sb.wait_for_bot_messages(3004, count=2)
    assert reminder["text"].startswith("⏰ Member 3004")
    await asyncio.sleep(0.5)
    assert [m["from"] for m in await sb.chat(3003)] == ["bot"]  # the prompt, edited, only


async def test_a_report_after_the_deadline_is_accepted_and_marked_late(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    mid = await seed_member(db, 3005)
    await prompt_at(bot_app, sandbox, sb, [3005])
    bot_app.bot_data.clock = running_clock(at(MONDAY, "12:05"))
    await tap(sb, 3005, ALL_WELL)
    done = await says(sb, 3005, "✅ Reported at 12:05")
    assert "after the deadline: marked late" in done["text"]
    report = await stored(db, mid)
    assert report is not None and report.late


async def seed_yesterday(db: Database, member_id: int) -> None:
    m = await member(db, member_id)
    async with db.transaction() as s:
        # No fever (a fever is asked again: tests/reports/test_same_after_fever.py).
        people = (PersonHealth(None, "", m.name, Decimal("37.1"), ("cough",), "still coughing"),)
        await save_report(s, member=m, day=MONDAY - timedelta(days=1),
                          entry=ReportInput(people, contact_case=True),
                          now=at(MONDAY - timedelta(days=1), "08:00"),
                          default_timezone="Asia/Shanghai")


async def test_same_as_yesterday_copies_yesterdays_report_dated_today(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    mid = await seed_member(db, 3006)
    await seed_yesterday(db, mid)
    await prompt_at(bot_app, sandbox, sb, [3006])
    [prompt] = await sb.chat(3006)
    assert "r:2026-11-30:same" in callbacks(prompt)
    await tap(sb, 3006, "🔁 Same as yesterday")
    done = await says(sb, 3006, "✅ Reported at")
    assert "37.1 °C, cough" in done["text"] and "still coughing" in done["text"]
    report = await stored(db, mid)
    assert report is not None
    assert (report.report_date, report.status, report.temperature, report.symptoms,
            report.contact_case) == (MONDAY, ReportStatus.ABNORMAL, Decimal("37.1"),
                                     ["cough"], True)


async def test_same_as_yesterday_without_a_report_yesterday_is_refused(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    await seed_member(db, 3007)
    await prompt_at(bot_app, sandbox, sb, [3007])
    [prompt] = await sb.chat(3007)
    answer = await sb.press(3007, prompt["message_id"], callback_data="r:2026-11-30:same")
    assert answer["show_alert"] and "no report from yesterday" in answer["text"]
    assert await report_count(db) == 0
