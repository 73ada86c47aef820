"""The tick: what is due at an instant, derived from the database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest
from sqlalchemy import event, update

from bot.db import Database
from bot.db.models import Account, Holiday, Leave, LeaveKind, Member, ReportStatus, Unit
from bot.runtime.tick import run_tick
from bot.services.reports.prompts import in_quiet_hours
from tests.machinery.helpers import (
    MONDAY,
    SATURDAY,
    SHANGHAI,
    add_report,
    at,
    members_of,
    outbox_rows,
    pretend_sent,
    seed_members,
    seed_unit,
)


async def tick(db: Database, when: Any, **kwargs: Any) -> Any:
    async with db.transaction() as s:
        return await run_tick(s, now=when, default_timezone=SHANGHAI, **kwargs)


async def test_prompts_go_to_linked_active_members_from_prompt_time(db: Database) -> None:
    async with db.transaction() as s:
        unit = await seed_unit(s)
        linked = await seed_members(s, unit, [101, 102, 103])
        await seed_members(s, unit, [104], linked=False)
        await seed_members(s, unit, [105], active=False)

    early = await tick(db, at(MONDAY, "07:29"))
    assert early.total == 0
    result = await tick(db, at(MONDAY, "07:30"))
    assert result.counts == {"prompt": 3}
    [entry] = result.entries
    assert (entry.unit_id, entry.report_date, entry.count) == (unit.id, MONDAY, 3)
    async with db.transaction() as s:
        rows = await outbox_rows(s)
    assert members_of(rows) == {m.id for m in linked}
    row = rows[0]
    assert row.dedup_key == f"prompt:2026-11-30:{row.member_id}"
    assert row.kind == "prompt" and row.report_date == MONDAY and row.chat_id == 101
    assert row.payload["method"] == "sendMessage" and row.payload["parse_mode"] == "HTML"
    buttons = [b["callback_data"] for line in row.payload["reply_markup"]["inline_keyboard"]
               for b in line]
    assert buttons == ["r:2026-11-30:ok", "r:2026-11-30:sick", "r:2026-11-30:other"]


async def test_a_tick_run_twice_or_late_adds_nothing(db: Database) -> None:
    async with db.transaction() as s:
        unit = await seed_unit(s)
        await seed_members(s, unit, [111, 112])
    assert (await tick(db, at(MONDAY, "07:30"))).total == 2
    assert (await tick(db, at(MONDAY, "07:30"))).total == 0
    assert (await tick(db, at(MONDAY, "07:31"))).total == 0
    async with db.transaction() as s:
        assert len(await outbox_rows(s)) == 2


async def test_a_member_linked_later_is_prompted_by_the_next_tick(db: Database) -> None:
    async with db.transaction() as s:
        unit = await seed_unit(s)
        await seed_members(s, unit, [121])
        [late] = await seed_members(s, unit, [122], linked=False)
    assert (await tick(db, at(MONDAY, "07:30"))).total == 1
    async with db.transaction() as s:
        await s.execute(update(Member).where(Member.id == late.id).values(telegram_user_id=122))
    again = await tick(db, at(MONDAY, "09:15"))
    assert again.counts == {"prompt": 1}


async def test_a_late_start_prompts_then_sends_only_the_latest_due_reminder(db: Database) -> None:
    async with db.transaction() as s:
        unit = await seed_unit(s, reminder_times="08:00,08:30,10:00")
        members = await seed_members(s, unit, [131, 132])

    # Started at 09:00: the 07:30 prompts still go out, but no reminder before its prompt.
    first = await tick(db, at(MONDAY, "09:00"))
    assert first.counts == {"prompt": 2}
    assert (await tick(db, at(MONDAY, "09:00"))).total == 0  # prompts still unsent
    async with db.transaction() as s:
        await pretend_sent(s)
    second = await tick(db, at(MONDAY, "09:01"))
    assert second.counts == {"reminder": 2}
    assert {e.slot for e in second.entries} == {time(8, 30)}  # not 08:00 as well
    assert (await tick(db, at(MONDAY, "09:45"))).total == 0
    async with db.transaction() as s:
        reminders = await outbox_rows(s, "reminder")
    assert sorted(r.dedup_key for r in reminders) == sorted(
        f"reminder:2026-11-30:08:30:{m.id}" for m in members)
    # The next slot is a new reminder.
    assert (await tick(db, at(MONDAY, "10:00"))).counts == {"reminder": 2}


async def test_no_prompts_or_reminders_from_the_deadline_on(db: Database) -> None:
    async with db.transaction() as s:
        unit = await seed_unit(s)
        await seed_members(s, unit, [141])
    assert (await tick(db, at(MONDAY, "12:00"))).total == 0
    assert (await tick(db, at(MONDAY, "23:59"))).total == 0
    assert (await tick(db, at(MONDAY, "11:59"))).counts == {"prompt": 1}
    async with db.transaction() as s:
        await pretend_sent(s)
    assert (await tick(db, at(MONDAY, "12:00"))).total == 0  # the 11:30 reminder is too late


async def test_reminders_go_only_to_those_who_have_not_reported(db: Database) -> None:
    async with db.transaction() as s:
        unit = await seed_unit(s)
        members = await seed_members(s, unit, [151, 152, 153, 154])
    await tick(db, at(MONDAY, "07:30"))
    async with db.transaction() as s:
        await pretend_sent(s)
        await add_report(s, members[0], MONDAY)
        await add_report(s, members[1], MONDAY, ReportStatus.ABNORMAL)
        await add_report(s, members[2], MONDAY - timedelta(days=1))  # yesterday's: no help
    result = await tick(db, at(MONDAY, "10:00"))
    assert result.counts == {"reminder": 2}
    async with db.transaction() as s:
        assert members_of(await outbox_rows(s, "reminder")) == {members[2].id, members[3].id}


async def test_who_has_reported_or_blocked_the_bot_is_not_prompted(db: Database) -> None:
    async with db.transaction() as s:
        unit = await seed_unit(s)
        reported, blocked, asked = await seed_members(s, unit, [161, 162, 163])
        await add_report(s, reported, MONDAY)
        s.add(Account(telegram_user_id=162, chat_id=162, blocked_at=at(MONDAY, "06:00")))
    await tick(db, at(MONDAY, "07:30"))
    async with db.transaction() as s:
        assert members_of(await outbox_rows(s)) == {asked.id}


async def test_weekends_are_skipped_where_the_unit_or_an_ancestor_says_so(db: Database) -> None:
    async with db.transaction() as s:
        parent = await seed_unit(s, ["Group", "Company"], skip_weekends=True)
        child = await seed_unit(s, ["Group", "Company", "Branch"])
        works = await seed_unit(s, ["Group", "Works"])
        await seed_members(s, parent, [171])
        await seed_members(s, child, [172])
        [worker] = await seed_members(s, works, [173])
    result = await tick(db, at(SATURDAY, "08:00"))
    assert [(e.unit_id, e.count) for e in result.entries] == [(works.id, 1)]
    async with db.transaction() as s:
        assert members_of(await outbox_rows(s)) == {worker.id}
    assert (await tick(db, at(MONDAY, "08:00"))).total == 3  # all three, on a Monday


async def test_a_holiday_on_an_ancestor_is_a_day_off_for_the_subtree(db: Database) -> None:
    async with db.transaction() as s:
        company = await seed_unit(s, ["Group", "Company"])
        branch = await seed_unit(s, ["Group", "Company", "Branch"])
        other = await seed_unit(s, ["Group", "Other"])
        await seed_members(s, branch, [181])
        [outside] = await seed_members(s, other, [182])
        s.add(Holiday(unit_id=company.id, day=MONDAY, name="Founders' day"))
    result = await tick(db, at(MONDAY, "08:00"))
    assert [(e.unit_id, e.count) for e in result.entries] == [(other.id, 1)]
    async with db.transaction() as s:
        assert members_of(await outbox_rows(s)) == {outside.id}
    assert (await tick(db, at(MONDAY + timedelta(days=1), "08:00"))).total == 2


async def test_members_on_leave_or_exempt_are_not_prompted(db: Database) -> None:
    async with db.transaction() as s:
        unit = await seed_unit(s)
        away, exempt, back = await seed_members(s, unit, [191, 192, 193])
        s.add(Leave(member_id=away.id, start_date=MONDAY, end_date=MONDAY))
        s.add(Leave(member_id=exempt.id, start_date=MONDAY - timedelta(days=3),
                    end_date=MONDAY + timedelta(days=3), kind=LeaveKind.EXEMPT))
        s.add(Leave(member_id=back.id, start_date=MONDAY - timedelta(days=7),
                    end_date=MONDAY - timedelta(days=1)))
    await tick(db, at(MONDAY, "07:30"))
    async with db.transaction() as s:
        assert members_of(await outbox_rows(s)) == {back.id}


async def test_quiet_hours_hold_reminders_back_until_they_end(db: Database) -> None:
    async with db.transaction() as s:
        unit = await seed_unit(s)
        [night] = await seed_members(s, unit, [201], quiet_start="22:00", quiet_end="10:30")
        [meeting] = await seed_members(s, unit, [202], quiet_start="09:45", quiet_end="10:15")
        [free] = await seed_members(s, unit, [203], quiet_start="13:00", quiet_end="14:00")
    # Quiet hours are for reminders only: everyone gets the prompt.
    assert (await tick(db, at(MONDAY, "07:30"))).counts == {"prompt": 3}
    async with db.transaction() as s:
        await pretend_sent(s)
    assert (await tick(db, at(MONDAY, "10:00"))).counts == {"reminder": 1}
    assert (await tick(db, at(MONDAY, "10:20"))).counts == {"reminder": 1}
    assert (await tick(db, at(MONDAY, "10:30"))).counts == {"reminder": 1}
    async with db.transaction() as s:
        rows = await outbox_rows(s, "reminder")
    assert [r.member_id for r in rows] == [free.id, meeting.id, night.id]
    assert all(":10:00:" in r.dedup_key for r in rows)


@pytest.mark.parametrize(
    ("moment", "start", "end", "quiet"),
    [
        ("10:00", None, None, False),
        ("23:00", "22:00", "07:00", True),
        ("06:59", "22:00", "07:00", True),
        ("07:00", "22:00", "07:00", False),
        ("12:00", "12:00", "13:00", True),
        ("13:00", "12:00", "13:00", False),
        ("09:00", None, "09:30", True),
        ("09:30", None, "09:30", False),
        ("21:00", "21:00", None, True),
        ("10:00", "10:00", "10:00", False),
        ("10:00", "nonsense", "11:00", False),
    ],
)
def test_quiet_hours_window(moment: str, start: str | None, end: str | None, quiet: bool) -> None:
    h, m = map(int, moment.split(":"))
    assert in_quiet_hours(time(h, m), start, end) is quiet


async def test_each_member_is_asked_in_their_own_language(db: Database) -> None:
    async with db.transaction() as s:
        unit = await seed_unit(s)
        [chose_en] = await seed_members(s, unit, [211], locale="en", language_code="zh-hans")
        [app_en] = await seed_members(s, unit, [212], language_code="en-GB")
        [app_zh] = await seed_members(s, unit, [213], language_code="zh-hant")
        [unknown] = await seed_members(s, unit, [214])
    await tick(db, at(MONDAY, "07:30"))
    async with db.transaction() as s:
        texts = {r.member_id: r.payload["text"] for r in await outbox_rows(s)}
    assert texts[chose_en.id].startswith("<b>Daily health report · Mon, Nov 30")
    assert "Hello, Member 211!" in texts[chose_en.id]
    assert texts[app_en.id].startswith("<b>Daily health report")
    assert texts[app_zh.id].startswith("<b>每日健康报告 · 11月30日周一")
    assert texts[unknown.id].startswith("<b>每日健康报告")

    # An organisation whose default is English.
    async with db.transaction() as s:
        other = await seed_unit(s, ["English Org"])
        [plain] = await seed_members(s, other, [215])
    await tick(db, at(MONDAY, "07:31"), default_locale="en")
    async with db.transaction() as s:
        [row] = [r for r in await outbox_rows(s) if r.member_id == plain.id]
    assert row.payload["text"].startswith("<b>Daily health report")


async def test_names_are_escaped_in_the_html(db: Database) -> None:
    async with db.transaction() as s:
        unit = await seed_unit(s)
        [member] = await seed_members(s, unit, [221], locale="en")
        member.name = "<b>Bob & co"
    await tick(db, at(MONDAY, "07:30"))
    async with db.transaction() as s:
        [row] = await outbox_rows(s)
    assert "Hello, &lt;b&gt;Bob &amp; co!" in row.payload["text"]


async def test_same_as_yesterday_is_offered_after_an_abnormal_report(db: Database) -> None:
    async with db.transaction() as s:
        unit = await seed_unit(s)
        unwell, well, nothing = await seed_members(s, unit, [231, 232, 233], locale="en")
        yesterday = MONDAY - timedelta(days=1)
        await add_report(s, unwell, yesterday, ReportStatus.ABNORMAL)
        await add_report(s, well, yesterday, ReportStatus.OK)
    await tick(db, at(MONDAY, "07:30"))
    async with db.transaction() as s:
        await pretend_sent(s)
    await tick(db, at(MONDAY, "10:00"))
    async with db.transaction() as s:
        rows = await outbox_rows(s)

    def data(member_id: int, kind: str) -> list[str]:
        [row] = [r for r in rows if r.member_id == member_id and r.kind == kind]
        return [b["callback_data"] for line in row.payload["reply_markup"]["inline_keyboard"]
                for b in line]

    for kind in ("prompt", "reminder"):
        assert "r:2026-11-30:same" in data(unwell.id, kind)
        assert "r:2026-11-30:same" not in data(well.id, kind)
        assert "r:2026-11-30:same" not in data(nothing.id, kind)
    [reminder] = [r for r in rows if r.member_id == unwell.id and r.kind == "reminder"]
    assert "Please report by 12:00." in reminder.payload["text"]  # 24 hours, en too


async def test_each_unit_ticks_in_its_own_time_zone_and_date(db: Database) -> None:
    async with db.transaction() as s:
        shanghai = await seed_unit(s, ["Shanghai"])
        berlin = await seed_unit(s, ["Berlin"], timezone="Europe/Berlin")
        await seed_members(s, shanghai, [241])
        await seed_members(s, berlin, [242])
    # 07:30 Monday in Shanghai is 00:30 Monday in Berlin, and 23:30 Sunday in UTC.
    result = await tick(db, at(MONDAY, "07:30"))
    assert [(e.unit_id, e.report_date) for e in result.entries] == [(shanghai.id, MONDAY)]
    result = await tick(db, at(MONDAY, "07:30", "Europe/Berlin"))
    assert [(e.unit_id, e.report_date) for e in result.entries] == [(berlin.id, MONDAY)]


async def test_inactive_units_are_not_prompted(db: Database) -> None:
    async with db.transaction() as s:
        unit = await seed_unit(s, active=False)
        await seed_members(s, unit, [251])
    assert (await tick(db, at(MONDAY, "08:00"))).total == 0


async def test_the_tick_needs_an_aware_time(db: Database) -> None:
    from datetime import datetime

    async with db.transaction() as s:
        with pytest.raises(ValueError, match="aware"):
            await run_tick(s, now=datetime(2026, 11, 30, 8), default_timezone=SHANGHAI)


async def test_the_tick_is_a_few_queries_whatever_the_number_of_members(db: Database) -> None:
    async def statements(n_members: int, first_id: int, day: date) -> int:
        async with db.transaction() as s:
            unit = await seed_unit(s, [f"Unit {first_id}"])
            await seed_members(s, unit, range(first_id, first_id + n_members))
        seen: list[str] = []

        def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            seen.append(statement)

        event.listen(db.engine.sync_engine, "before_cursor_execute", count)
        try:
            result = await tick(db, at(day, "08:00"))
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", count)
        assert result.total >= n_members
        return len([s for s in seen if not s.lstrip().upper().startswith("INSERT")])

    few = await statements(5, 1000, MONDAY)
    many = await statements(400, 2000, MONDAY + timedelta(days=1))
    assert many == few


async def test_units_are_independent(db: Database) -> None:
    # A unit that is due does not make its parent or siblings due.
    async with db.transaction() as s:
        early = await seed_unit(s, ["Group", "Early"], prompt_time="06:00")
        late = await seed_unit(s, ["Group", "Late"], prompt_time="09:00")
        await seed_members(s, early, [261])
        await seed_members(s, late, [262])
        root = await s.get(Unit, early.parent_id)
        assert root is not None
    result = await tick(db, at(MONDAY, "06:30"))
    assert [e.unit_id for e in result.entries] == [early.id]


async def test_two_ticks_at_once_queue_each_prompt_once(db: Database) -> None:
    import asyncio

    async with db.transaction() as s:
        unit = await seed_unit(s)
        await seed_members(s, unit, range(270, 290))
    other = Database(db.engine)
    async with db.transaction() as s:
        first = await run_tick(s, now=at(MONDAY, "07:30"), default_timezone=SHANGHAI)
        second_task = asyncio.create_task(tick(other, at(MONDAY, "07:30")))
        await asyncio.sleep(0.3)
    second = await second_task
    assert first.total == 20 and second.total == 0
    # PostgreSQL: the advisory lock turns the second away; SQLite: it waits, then finds
    # everything queued.
    assert second.skipped is (db.engine.dialect.name == "postgresql")
    async with db.transaction() as s:
        assert len(await outbox_rows(s)) == 20


async def test_members_are_queued_a_page_at_a_time_each_once(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """prompts.due reads, renders and queues PAGE members at a time (the day's first tick
    holds a page, not the organisation); every member is prompted once, counted per unit,
    and reminders page the same way."""
    from bot.services.reports import prompts

    async with db.transaction() as s:
        a = await seed_unit(s, reminder_times="08:00")
        b = await seed_unit(s, ["Group", "Branch"])
        linked = [*await seed_members(s, a, [301, 302, 303, 304]),
                  *await seed_members(s, b, [305, 306, 307])]
    pages: list[int] = []
    original = prompts._pages

    async def counted(*args: Any) -> Any:
        async for batch in original(*args):
            pages.append(len(batch.messages))
            yield batch

    monkeypatch.setattr(prompts, "PAGE", 3)
    monkeypatch.setattr(prompts.due, "__kwdefaults__", {"page": 3})
    monkeypatch.setattr(prompts, "_pages", counted)
    result = await tick(db, at(MONDAY, "07:30"))
    assert pages == [3, 3, 1]
    assert {(e.unit_id, e.count) for e in result.entries} == {(a.id, 4), (b.id, 3)}
    async with db.transaction() as s:
        rows = await outbox_rows(s)
        await pretend_sent(s)
    assert sorted(members_of(rows)) == sorted(m.id for m in linked) and len(rows) == 7
    assert (await tick(db, at(MONDAY, "07:31"))).total == 0
    pages.clear()
    reminded = await tick(db, at(MONDAY, "08:00"))
    assert reminded.counts == {"reminder": 7} and pages == [3, 3, 1]  # the branch inherits 08:00
