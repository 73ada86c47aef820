"""bot.services.reports.store and the form's text answers, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.db.models import Report, ReportRevision, ReportStatus
from bot.services.reports import form as report_form
from bot.services.reports import store as reports
from bot.services.reports.form import FormKind, Outcome
from bot.services.reports.schedule import resolve
from bot.services.reports.store import PersonHealth, ReportInput, save_report
from bot.services.reports.temperature import TemperatureErrorCode
from tests.reports.helpers import MONDAY, at, member, seed_member

TZ = "Asia/Shanghai"
SUNDAY = MONDAY - timedelta(days=1)


def well(name: str = "Member") -> ReportInput:
    return ReportInput((PersonHealth(None, "", name),))


def fever(t: str = "37.3") -> ReportInput:
    return ReportInput((PersonHealth(None, "", "Member", Decimal(t)),))


async def save(db: Database, member_id: int, entry: ReportInput, when: datetime,
               day: date = MONDAY, entered_by: int | None = None) -> reports.SaveResult:
    m = await member(db, member_id)
    async with db.transaction() as s:
        return await save_report(s, member=m, day=day, entry=entry, now=when,
                                 default_timezone=TZ, entered_by=entered_by)


async def revisions(db: Database) -> list[ReportRevision]:
    async with db.transaction() as s:
        return list((await s.scalars(select(ReportRevision).order_by(ReportRevision.id))).all())


@pytest.mark.parametrize(("entry", "status"), [
    (well(), ReportStatus.OK),
    (fever("37.2"), ReportStatus.OK),
    (fever("37.3"), ReportStatus.ABNORMAL),  # fever is ≥ 37.3 °C
    (ReportInput((PersonHealth(None, "", "M"), PersonHealth(1, "child", "C", None, ("cough",)))),
     ReportStatus.ABNORMAL),
    (ReportInput((PersonHealth(None, "", "M"),), contact_case=True), ReportStatus.ABNORMAL),
    (ReportInput((PersonHealth(None, "", "M"),), travel=True, isolation=True), ReportStatus.OK),
])
def test_what_makes_a_report_abnormal(entry: ReportInput, status: ReportStatus) -> None:
    assert entry.status is status


async def test_a_report_is_stored_once_and_amended_with_history(db: Database) -> None:
    mid = await seed_member(db, 3201)
    first = await save(db, mid, well(), at(MONDAY, "08:00"))
    assert (first.created, first.changed, first.became_abnormal) == (True, True, False)
    assert first.timezone == TZ

    same = await save(db, mid, well(), at(MONDAY, "08:01"))  # a double tap
    assert (same.created, same.changed) == (False, False)
    assert same.report.revision == 1 and await revisions(db) == []

    amended = await save(db, mid, fever("38.1"), at(MONDAY, "09:00"))
    assert (amended.created, amended.changed, amended.became_abnormal) == (False, True, True)
    assert amended.previous_status is ReportStatus.OK
    assert (amended.report.revision, amended.report.status) == (2, ReportStatus.ABNORMAL)
    [rev] = await revisions(db)
    assert (rev.revision, rev.changed_by, rev.changed_at) == (2, mid, at(MONDAY, "09:00"))
    assert rev.previous["status"] == "ok" and rev.previous["temperature"] is None

    again = await save(db, mid, fever("38.5"), at(MONDAY, "10:00"))
    assert again.changed and not again.became_abnormal  # it already was
    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Report)) == 1


async def test_a_leader_entering_a_report_is_recorded_as_the_changer(db: Database) -> None:
    mid = await seed_member(db, 3202)
    leader = await seed_member(db, 3203)
    await save(db, mid, well(), at(MONDAY, "08:00"))
    result = await save(db, mid, fever(), at(MONDAY, "09:00"), entered_by=leader)
    assert result.report.entered_by == leader
    [rev] = await revisions(db)
    assert rev.changed_by == leader


async def test_late_is_set_after_the_deadline_and_kept_by_amendments(db: Database) -> None:
    on_time = await seed_member(db, 3204)
    late = await seed_member(db, 3205)
    assert not (await save(db, on_time, well(), at(MONDAY, "11:59"))).report.late
    assert (await save(db, late, well(), at(MONDAY, "12:00"))).report.late
    amended = await save(db, on_time, fever(), at(MONDAY, "15:00"))
    assert not amended.report.late
    # Yesterday's report made this morning is late.
    assert (await save(db, late, well(), at(MONDAY, "01:00"), day=SUNDAY)).report.late


async def test_household_rows_are_replaced_on_amendment(db: Database) -> None:
    mid = await seed_member(db, 3206, household=[("spouse", "Li Na"), ("child", "Wang Bo")])
    m = await member(db, mid)
    async with db.transaction() as s:
        entry = await reports.well_input(s, m)
    ids = [p.household_id for p in entry.people]
    assert ids[0] is None and all(ids[1:])
    await save(db, mid, entry, at(MONDAY, "08:00"))
    sick = ReportInput((entry.people[0], PersonHealth(ids[1], "spouse", "Li Na"),
                        PersonHealth(ids[2], "child", "Wang Bo", Decimal("38.0"), ("cough",))))
    result = await save(db, mid, sick, at(MONDAY, "08:30"))
    assert [(h.household_id, h.temperature, h.symptoms) for h in result.report.household] == [
        (ids[1], None, []), (ids[2], Decimal("38.0"), ["cough"])]
    assert result.report.status is ReportStatus.ABNORMAL


async def test_two_saves_at_once_leave_one_report(db: Database) -> None:
    mid = await seed_member(db, 3207)
    m = await member(db, mid)

    async def one(entry: ReportInput) -> reports.SaveResult:
        async with db.transaction() as s:
            return await save_report(s, member=m, day=MONDAY, entry=entry,
                                     now=at(MONDAY, "08:00"), default_timezone=TZ)

    results = await asyncio.gather(one(well()), one(well()), one(fever()))
    assert sorted(r.created for r in results) == [False, False, True]
    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Report)) == 1
        report = await reports.get_report(s, mid, MONDAY)
    # Whatever the order, each change after the first is one revision with its history.
    assert report is not None
    assert report.revision == 1 + sum(r.changed for r in results if not r.created)
    assert len(await revisions(db)) == report.revision - 1


async def test_copy_yesterday(db: Database) -> None:
    mid = await seed_member(db, 3208, household=[("spouse", "Li Na")])
    m = await member(db, mid)
    async with db.transaction() as s:
        assert await reports.copy_yesterday(s, member=m, day=MONDAY, now=at(MONDAY, "08:00"),
                                            default_timezone=TZ) is None
        base = await reports.well_input(s, m)
    sick = ReportInput((base.people[0], PersonHealth(base.people[1].household_id, "spouse",
                                                     "Li Na", Decimal("37.9"), ("fever",))),
                       isolation=True)
    await save(db, mid, sick, at(SUNDAY, "08:00"), day=SUNDAY)
    async with db.transaction() as s:
        copied = await reports.copy_yesterday(s, member=m, day=MONDAY,
                                              now=at(MONDAY, "08:00"), default_timezone=TZ)
    assert copied is not None and copied.created
    r = copied.report
    assert (r.report_date, r.status, r.isolation) == (MONDAY, ReportStatus.ABNORMAL, True)
    assert [(h.name, h.temperature, h.symptoms) for h in r.household] == [
        ("Li Na", Decimal("37.9"), ["fever"])]


async def test_history_is_fourteen_days_newest_first(db: Database) -> None:
    mid = await seed_member(db, 3209)
    await save(db, mid, well(), at(MONDAY, "08:00"))
    await save(db, mid, fever(), at(SUNDAY, "13:00"), day=SUNDAY)
    await save(db, mid, well(), at(MONDAY, "08:00"), day=MONDAY - timedelta(days=14))
    m = await member(db, mid)
    async with db.transaction() as s:
        days = await reports.history(s, m, MONDAY)
    assert len(days) == 14 and days[0].day == MONDAY and days[-1].day == MONDAY - timedelta(13)
    assert [(d.status, d.late) for d in days[:3]] == [
        (ReportStatus.OK, False), (ReportStatus.ABNORMAL, True), (None, False)]
    assert all(d.status is None for d in days[2:])


def test_yesterdays_buttons_work_until_todays_prompt() -> None:
    schedule = resolve([], TZ)
    assert reports.report_day_for(schedule, MONDAY, at(MONDAY, "08:00")) == MONDAY
    assert reports.report_day_for(schedule, SUNDAY, at(MONDAY, "07:29")) == SUNDAY
    assert reports.report_day_for(schedule, SUNDAY, at(MONDAY, "07:30")) is None
    assert reports.report_day_for(schedule, MONDAY + timedelta(1), at(MONDAY, "23:00")) is None
    assert reports.report_day_for(schedule, SUNDAY - timedelta(1), at(MONDAY, "01:00")) is None
    # Local dates: 20:00 UTC on Sunday is already Monday in Shanghai.
    assert reports.report_day_for(schedule, MONDAY,
                                  datetime(2026, 11, 29, 20, 0, tzinfo=UTC)) == MONDAY


@pytest.mark.parametrize(("typed", "code"), [
    ("", TemperatureErrorCode.EMPTY),
    ("   ", TemperatureErrorCode.EMPTY),
    ("abc", TemperatureErrorCode.NOT_A_NUMBER),
    ("37.5.5", TemperatureErrorCode.NOT_A_NUMBER),
    ("-", TemperatureErrorCode.NOT_A_NUMBER),
    ("30", TemperatureErrorCode.TOO_LOW),
    ("45", TemperatureErrorCode.TOO_HIGH),
    ("3" * 10_000, TemperatureErrorCode.TOO_LONG),
])
async def test_bad_temperatures_keep_the_form_where_it_was(
    db: Database, typed: str, code: TemperatureErrorCode
) -> None:
    mid = await seed_member(db, 3210)
    m = await member(db, mid)
    now = at(MONDAY, "08:00")
    async with db.transaction() as s:
        form = await report_form.start_form(s, member=m, telegram_user_id=3210,
                                            kind=FormKind.SICK, day=MONDAY, now=now)
    assert form.step is report_form.Step.TEMP  # a member alone: nobody else to choose
    async with db.transaction() as s:
        result = await report_form.answer_text(s, telegram_user_id=3210, text=typed, now=now)
    assert result.outcome is Outcome.BAD_TEMPERATURE
    assert result.temperature_error is not None and result.temperature_error.code is code
    assert result.form is not None and result.form.person.temperature is None
    async with db.transaction() as s:
        assert await s.scalar(select(func.count()).select_from(Report)) == 0


async def test_a_ten_thousand_character_note_is_refused(db: Database) -> None:
    mid = await seed_member(db, 3211)
    m = await member(db, mid)
    now = at(MONDAY, "08:00")
    async with db.transaction() as s:
        form = await report_form.start_form(s, member=m, telegram_user_id=3211,
                                            kind=FormKind.OTHER, day=MONDAY, now=now)
        await report_form.press(s, member=m, telegram_user_id=3211, form_id=form.id, n=1,
                                action="f", arg="travel", now=now, default_timezone=TZ)
        await report_form.press(s, member=m, telegram_user_id=3211, form_id=form.id, n=1,
                                action="fd", arg="", now=now, default_timezone=TZ)
    for text in ["x" * 10_000, "y" * 201]:
        async with db.transaction() as s:
            result = await report_form.answer_text(s, telegram_user_id=3211, text=text, now=now)
        assert result.outcome is Outcome.BAD_NOTE
    async with db.transaction() as s:
        result = await report_form.answer_text(s, telegram_user_id=3211, text="z" * 200,
                                               now=now)
    assert result.outcome is Outcome.STEP and result.form is not None
    assert result.form.people[0].note == "z" * 200
