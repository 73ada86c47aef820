"""Daily reports: stored once per member per local date; saving again amends (with history).

Pure of Telegram. A report covers the member and their household (one `PersonHealth` each)
plus the member's flags. `save_report` returns a `SaveResult` that says whether the report
was created, changed, and whether it has just become abnormal: the leader alerts of a later
feature hook in there (see `SaveResult.became_abnormal`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.db.models import (
    HouseholdEntry,
    HouseholdReport,
    Member,
    Report,
    ReportRevision,
    ReportStatus,
    Unit,
)
from bot.services.members.history import joined_on
from bot.services.members.settings import household_of
from bot.services.reports.schedule import Schedule, schedule_for
from bot.services.reports.temperature import is_fever

SYMPTOMS = ("fever", "cough", "sore_throat", "fatigue", "breath", "taste_smell", "diarrhoea",
            "other")
# Recorded by /report_for when a leader says "unwell" without naming a symptom; the form
# never offers it (a member names their own symptoms).
UNWELL = "unwell"
MAX_NOTE = 200
HISTORY_DAYS = 14


@dataclass(frozen=True)
class PersonHealth:
    """One person's answers: the member (household_id None) or a household entry."""

    household_id: int | None
    relation: str
    name: str
    temperature: Decimal | None = None
    symptoms: tuple[str, ...] = ()
    note: str = ""

    @property
    def abnormal(self) -> bool:
        return bool(self.symptoms) or (self.temperature is not None
                                       and is_fever(self.temperature))


@dataclass(frozen=True)
class ReportInput:
    """What a member reports for a day; `people[0]` is the member themselves."""

    people: tuple[PersonHealth, ...]
    contact_case: bool = False
    travel: bool = False
    isolation: bool = False

    @property
    def status(self) -> ReportStatus:
        if self.contact_case or any(p.abnormal for p in self.people):
            return ReportStatus.ABNORMAL
        return ReportStatus.OK


@dataclass(frozen=True)
class SaveResult:
    report: Report
    created: bool
    changed: bool  # False: the same answers again (a double tap), nothing was written
    previous_status: ReportStatus | None
    timezone: str  # the unit's, for showing times

    @property
    def abnormal(self) -> bool:
        return self.report.status is ReportStatus.ABNORMAL

    @property
    def became_abnormal(self) -> bool:
        """Alerts go out for this: abnormal now, and it was not before."""
        return (self.changed and self.report.status is ReportStatus.ABNORMAL
                and self.previous_status is not ReportStatus.ABNORMAL)


@dataclass(frozen=True)
class HistoryDay:
    day: date
    status: ReportStatus | None
    late: bool = False


@dataclass(frozen=True)
class ReportView:
    """A stored report, read back as the form's terms (for summaries and amendments)."""

    day: date
    status: ReportStatus
    entry: ReportInput
    late: bool
    revision: int
    updated_at: datetime
    people_ids: list[int | None] = field(default_factory=list)


async def member_schedule(session: AsyncSession, member: Member,
                          default_timezone: str) -> Schedule:
    unit = await session.get(Unit, member.unit_id)
    assert unit is not None
    return await schedule_for(session, unit, default_timezone)


def report_day_for(schedule: Schedule, button_day: date, now: datetime) -> date | None:
    """The date a button dated `button_day` reports for at `now`, or None when it is stale.

    Today's buttons report for today. Yesterday's still report for yesterday after midnight,
    until today's prompt time (a late evening answer is still yesterday's); any other date is
    stale (or forged).
    """
    local = schedule.local(now)
    today = local.date()
    if button_day == today:
        return today
    if button_day == today - timedelta(days=1) and local.time() < schedule.prompt:
        return button_day
    return None


class HouseholdLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def relation(self) -> str: ...
    @property
    def name(self) -> str: ...


def well_entry(name: str, household: Iterable[HouseholdLike]) -> ReportInput:
    """Everyone well, no flags: the one-tap report of a member and their household."""
    return ReportInput(people=(PersonHealth(None, "", name),
                               *(PersonHealth(e.id, e.relation, e.name) for e in household)))


async def well_input(session: AsyncSession, member: Member) -> ReportInput:
    """`well_entry` for a member, their household read."""
    return well_entry(member.name, await household_of(session, member.id))


def _loaded(member_id: int, day: date) -> Any:
    return (select(Report).where(Report.member_id == member_id, Report.report_date == day)
            .options(selectinload(Report.household))
            .execution_options(populate_existing=True))


async def get_report(session: AsyncSession, member_id: int, day: date) -> Report | None:
    report: Report | None = await session.scalar(_loaded(member_id, day))
    return report


async def locked_report(session: AsyncSession, member_id: int, day: date) -> Report | None:
    """The day's report, read to be amended (`store_report`)."""
    # FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers.
    report: Report | None = await session.scalar(_loaded(member_id, day).with_for_update())
    return report


async def _household_ids(session: AsyncSession, member_id: int,
                         people: Sequence[PersonHealth]) -> set[int]:
    """Which of the people's entries still exist (one removed mid-form keeps its name only)."""
    wanted = {p.household_id for p in people if p.household_id is not None}
    if not wanted:
        return set()
    rows = await session.scalars(select(HouseholdEntry.id).where(
        HouseholdEntry.member_id == member_id, HouseholdEntry.id.in_(wanted)))
    return set(rows)


def _household_rows(entry: ReportInput, known: set[int]) -> list[HouseholdReport]:
    return [HouseholdReport(
        household_id=p.household_id if p.household_id in known else None,
        relation=p.relation[:32], name=p.name[:64], temperature=p.temperature,
        symptoms=list(p.symptoms), note=p.note[:MAX_NOTE]) for p in entry.people[1:]]


def _t(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(Decimal("0.1")))


def _content(report: Report) -> dict[str, Any]:
    """What the member said, comparable between two saves."""
    return {
        "status": report.status.value,
        "temperature": _t(report.temperature),
        "symptoms": list(report.symptoms),
        "contact_case": report.contact_case,
        "travel": report.travel,
        "isolation": report.isolation,
        "note": report.note,
        "household": [
            {"household_id": h.household_id, "relation": h.relation, "name": h.name,
             "temperature": _t(h.temperature),
             "symptoms": list(h.symptoms), "note": h.note}
            for h in report.household],
    }


def _input_content(entry: ReportInput, known: set[int]) -> dict[str, Any]:
    me = entry.people[0]
    return {
        "status": entry.status.value,
        "temperature": _t(me.temperature),
        "symptoms": list(me.symptoms),
        "contact_case": entry.contact_case,
        "travel": entry.travel,
        "isolation": entry.isolation,
        "note": me.note[:MAX_NOTE],
        "household": [
            {"household_id": p.household_id if p.household_id in known else None,
             "relation": p.relation[:32], "name": p.name[:64],
             "temperature": _t(p.temperature),
             "symptoms": list(p.symptoms), "note": p.note[:MAX_NOTE]}
            for p in entry.people[1:]],
    }


def _snapshot(report: Report) -> dict[str, Any]:
    return {**_content(report), "revision": report.revision, "late": report.late,
            "entered_by": report.entered_by, "updated_at": report.updated_at.isoformat()}


def new_report(member_id: int, unit_id: int, day: date, entry: ReportInput, known: set[int],
               now: datetime, schedule: Schedule, entered_by: int | None = None) -> Report:
    """The day's first report, not yet stored. `late` when made after the day's deadline in
    the unit's zone; `known`: the household entries that still exist."""
    report = Report(member_id=member_id, unit_id=unit_id, report_date=day,
                    late=now >= schedule.at(day, schedule.deadline), entered_by=entered_by,
                    revision=1, created_at=now, updated_at=now)
    _apply(report, entry)
    report.household = _household_rows(entry, known)
    return report


def _apply(report: Report, entry: ReportInput) -> None:
    me = entry.people[0]
    report.status = entry.status
    report.temperature = me.temperature
    report.symptoms = list(me.symptoms)
    report.note = me.note[:MAX_NOTE]
    report.contact_case, report.travel = entry.contact_case, entry.travel
    report.isolation = entry.isolation


async def save_report(
    session: AsyncSession,
    *,
    member: Member,
    day: date,
    entry: ReportInput,
    now: datetime,
    default_timezone: str,
    entered_by: int | None = None,
) -> SaveResult:
    """Store the member's report for `day`, or amend the one stored.

    `late` is set when first stored after that day's deadline (in the unit's zone) and kept
    by amendments: a report made on time stays on time. An amendment keeps the previous
    content in a ReportRevision numbered as the revision it led to (2 for the first
    amendment), with who made it. Two saves at once leave one report: the loser of the
    unique (member, date) insert reads the winner's row and amends it.
    """
    schedule = await member_schedule(session, member, default_timezone)
    existing = await locked_report(session, member.id, day)
    return await store_report(session, member=member, day=day, entry=entry, now=now,
                              schedule=schedule, existing=existing, entered_by=entered_by)


async def store_report(
    session: AsyncSession,
    *,
    member: Member,
    day: date,
    entry: ReportInput,
    now: datetime,
    schedule: Schedule,
    existing: Report | None,
    entered_by: int | None = None,
) -> SaveResult:
    """`save_report` for a caller that has the member's schedule and the day's report at hand
    (`existing`, read with `locked_report` in this transaction): the one-tap path reads each
    once."""
    if not entry.people:
        raise ValueError("a report covers at least the member")
    known = await _household_ids(session, member.id, entry.people)
    if existing is None:
        report = new_report(member.id, member.unit_id, day, entry, known, now, schedule,
                            entered_by)
        if session.get_bind().dialect.name == "sqlite":
            # No race to lose: every SQLite transaction holds the write lock from its BEGIN
            # IMMEDIATE, and `existing` was read under it. Saves a SAVEPOINT and its RELEASE.
            session.add(report)
            await session.flush()
            return SaveResult(report, created=True, changed=True, previous_status=None,
                              timezone=schedule.timezone)
        try:
            async with session.begin_nested():
                session.add(report)
                await session.flush()
        except IntegrityError:
            existing = await locked_report(session, member.id, day)
            if existing is None:
                raise
        else:
            return SaveResult(report, created=True, changed=True, previous_status=None,
                              timezone=schedule.timezone)
    return await _amend(session, existing, entry, known, now, member.id, entered_by,
                        schedule.timezone)


async def _amend(session: AsyncSession, report: Report, entry: ReportInput, known: set[int],
                 now: datetime, member_id: int, entered_by: int | None,
                 timezone: str) -> SaveResult:
    before, previous_status = _snapshot(report), report.status
    if _input_content(entry, known) == _content(report):
        return SaveResult(report, created=False, changed=False, previous_status=previous_status,
                          timezone=timezone)
    report.revision += 1
    session.add(ReportRevision(report_id=report.id, revision=report.revision, changed_at=now,
                               changed_by=entered_by or member_id, previous=before))
    _apply(report, entry)
    report.entered_by, report.updated_at = entered_by, now
    report.household.clear()
    await session.flush()  # the old rows go first: (report, household entry) is unique
    report.household.extend(_household_rows(entry, known))
    await session.flush()
    return SaveResult(report, created=False, changed=True, previous_status=previous_status,
                      timezone=timezone)


def view(report: Report) -> ReportView:
    me = PersonHealth(None, "", "", report.temperature, tuple(report.symptoms), report.note)
    people = [me] + [PersonHealth(h.household_id, h.relation, h.name, h.temperature,
                                  tuple(h.symptoms), h.note) for h in report.household]
    return ReportView(
        day=report.report_date, status=report.status,
        entry=ReportInput(tuple(people), report.contact_case, report.travel, report.isolation),
        late=report.late, revision=report.revision, updated_at=report.updated_at,
        people_ids=[p.household_id for p in people])


async def copy_yesterday(session: AsyncSession, *, member: Member, day: date, now: datetime,
                         default_timezone: str) -> SaveResult | None:
    """"Same as yesterday": the report of the day before `day`, saved for `day`; None when
    there is none. Household entries removed since are left out, new ones count as well."""
    yesterday = await get_report(session, member.id, day - timedelta(days=1))
    if yesterday is None:
        return None
    before = view(yesterday).entry
    by_id = {p.household_id: p for p in before.people[1:] if p.household_id is not None}
    household = await household_of(session, member.id)
    people = (PersonHealth(None, "", member.name, *_health(before.people[0])),
              *(PersonHealth(e.id, e.relation, e.name, *_health(by_id.get(e.id)))
                for e in household))
    entry = ReportInput(people, before.contact_case, before.travel, before.isolation)
    return await save_report(session, member=member, day=day, entry=entry, now=now,
                             default_timezone=default_timezone)


def _health(p: PersonHealth | None) -> tuple[Decimal | None, tuple[str, ...], str]:
    return (None, (), "") if p is None else (p.temperature, p.symptoms, p.note)


async def history(session: AsyncSession, member: Member, today: date,
                  days: int = HISTORY_DAYS) -> list[HistoryDay]:
    """The last `days` days up to `today`, newest first, from the day the member joined at
    the earliest (their membership history); days without a report have None."""
    first = today - timedelta(days=days - 1)
    joined = await joined_on(session, member.id)
    if joined is not None and joined > first:
        first = min(joined, today)
        days = (today - first).days + 1
    rows = (await session.execute(
        select(Report.report_date, Report.status, Report.late).where(
            Report.member_id == member.id, Report.report_date >= first,
            Report.report_date <= today))).all()
    found = {r.report_date: (r.status, r.late) for r in rows}
    return [HistoryDay(day, *found.get(day, (None, False)))
            for day in (today - timedelta(days=i) for i in range(days))]
