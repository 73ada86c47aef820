"""The aggregate queries behind the digests: a fixed handful per run, whatever the org's size.

Counts are grouped by the member's *current* unit (members.unit_id), not the unit a report
was made in. `scope` is a unit path: the detail queries (who is missing, abnormal cases) then
read that subtree only (path LIKE 'prefix%'); None reads the whole organisation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from operator import attrgetter
from typing import Any, Final, Protocol

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    ABNORMAL_REPORT,
    Account,
    Holiday,
    HouseholdReport,
    Leave,
    Member,
    Report,
    Unit,
    UnitDayReports,
)
from bot.db.rows import core
from bot.services.org.permissions import planned_subtree_clause
from bot.services.reports.schedule import Schedule, ScheduleFields, resolve
from bot.services.reports.temperature import is_fever

# What the member queries read: the subtree at a unit path, the units listed (a small
# subtree: its ids give the planner the right estimate, where a path prefix is estimated at
# ~50 units whatever its size), or None for the whole organisation.
Scope = str | Sequence[int] | None


class Reach(StrEnum):
    PENDING = "pending"  # linked, reachable: simply has not answered
    BLOCKED = "blocked"  # blocked the bot
    UNLINKED = "unlinked"  # never linked a Telegram account


# A row of `missing`, read by position: (member id, name, unit id, a Reach's value). The
# driver's own rows: 20,000 of them for the root of 100,000 members, no object made per row.
MissingRow = tuple[int, str, int, str]
MEMBER_ID: Final = 0
NAME: Final = 1
UNIT_ID: Final = 2
REACH: Final = 3


@dataclass(frozen=True)
class CaseRow:
    member_id: int
    member_name: str
    unit_id: int
    relation: str | None
    person: str
    temperature: Decimal | None
    symptoms: tuple[str, ...]
    contact_case: bool
    travel: bool
    isolation: bool
    reported_at: datetime


class OrgUnit(ScheduleFields, Protocol):
    """What the digests read of a unit: a Unit, or a row of `UNIT_COLUMNS`."""

    @property
    def id(self) -> int: ...
    @property
    def parent_id(self) -> int | None: ...
    @property
    def name(self) -> str: ...


UNIT_COLUMNS = (Unit.id, Unit.parent_id, Unit.name, Unit.path, Unit.timezone, Unit.prompt_time,
                Unit.reminder_times, Unit.deadline_time, Unit.digest_time, Unit.skip_weekends)
_SCHEDULE_FIELDS = ("timezone", "prompt_time", "reminder_times", "deadline_time",
                    "digest_time", "skip_weekends")
_schedule_fields = attrgetter(*_SCHEDULE_FIELDS)


async def load_units(session: AsyncSession, *where: Any) -> list[OrgUnit]:
    """The active units (and `where`) as plain rows: at 5,000 units, ORM objects cost more
    than the query."""
    return list(await core(session, select(*UNIT_COLUMNS).where(Unit.active, *where)))


@dataclass(frozen=True)
class _Fields:
    """A unit's schedule fields after inheritance: each one its own or its nearest
    ancestor's (`resolve` on a chain of one)."""

    path: str
    timezone: str | None
    prompt_time: str | None
    reminder_times: str | None
    deadline_time: str | None
    digest_time: str | None
    skip_weekends: bool | None


def resolve_schedules(units: Sequence[OrgUnit], default_timezone: str) -> dict[int, Schedule]:
    """Each unit's schedule, inherited down the tree as `resolve` does for its chain of
    (loaded) ancestors. Resolved top down, each unit from its nearest loaded ancestor's
    fields, and once per distinct set of fields: most units of an organisation share one."""
    inherited: dict[int, tuple[Any, ...]] = {}
    made: dict[tuple[Any, ...], Schedule] = {}
    result = {}
    nothing = (None,) * len(_SCHEDULE_FIELDS)
    for unit in sorted(units, key=lambda u: u.path.count("/")):
        above = inherited.get(unit.parent_id) if unit.parent_id is not None else nothing
        if above is None:  # the parent is not loaded (inactive): the nearest one that is
            above = next((inherited[int(p)] for p in reversed(unit.path.strip("/").split("/")[:-1])
                          if p and int(p) in inherited), nothing)
        own = _schedule_fields(unit)
        fields = above if own == nothing else tuple(
            mine if mine is not None else theirs for mine, theirs in zip(own, above, strict=True))
        inherited[unit.id] = fields
        if (schedule := made.get(fields)) is None:
            schedule = made[fields] = resolve([_Fields("/", *fields)], default_timezone)
        result[unit.id] = schedule
    return result


async def holidays(session: AsyncSession, first: date, last: date) -> set[tuple[int, date]]:
    rows = await core(session,
        select(Holiday.unit_id, Holiday.day).where(Holiday.day.between(first, last)), named=False)
    return {(u, d) for u, d in rows}


async def active_members(session: AsyncSession, scope: Scope) -> dict[int, int]:
    rows = await core(session,
        select(Member.unit_id, func.count()).where(Member.active, _in_scope(scope))
        .group_by(Member.unit_id), named=False)
    return {u: int(n) for u, n in rows}


async def leave_days(session: AsyncSession, first: date, last: date, scope: Scope
                     ) -> tuple[dict[tuple[int, date], int], dict[tuple[int, date], int]]:
    """(unit, day) → active members on leave that day (overlapping leaves count once), and
    (unit, day) → those of them who reported anyway (not expected, so not "reported"): the
    leaves with the reports made during them, in one statement."""
    rows = await core(session,
        select(Leave.member_id, Member.unit_id, Leave.start_date, Leave.end_date,
               Report.report_date)
        .join(Member, Member.id == Leave.member_id)
        .outerjoin(Report, and_(Report.member_id == Leave.member_id,
                                Report.report_date.between(first, last),
                                Report.report_date.between(Leave.start_date, Leave.end_date)))
        .where(Member.active, Leave.start_date <= last, Leave.end_date >= first,
               _in_scope(scope)), named=False)
    away: dict[tuple[int, date], set[int]] = defaultdict(set)
    reported: dict[tuple[int, date], set[int]] = defaultdict(set)
    for member_id, unit_id, start, end, report_day in rows:
        d = max(start, first)
        while d <= min(end, last):
            away[(unit_id, d)].add(member_id)
            d += timedelta(days=1)
        if report_day is not None:
            reported[(unit_id, report_day)].add(member_id)
    return ({key: len(members) for key, members in away.items()},
            {key: len(members) for key, members in reported.items()})


async def report_counts(session: AsyncSession, first: date, last: date,
                        scope: Scope) -> dict[tuple[int, date], tuple[int, int]]:
    """(unit, day) → (reports, abnormal reports) of active members, by their unit now: the
    counts the database keeps as reports arrive (UnitDayReports), a row a unit and day."""
    counts = UnitDayReports
    rows = await core(session,
        select(counts.unit_id, counts.day, counts.reports, counts.abnormal)
        .where(counts.day.between(first, last), counts.reports > 0,
               _in_scope(scope, counts.unit_id)), named=False)
    return {(u, d): (int(n), int(a)) for u, d, n, a in rows}


def _in_scope(scope: Scope, unit_id: Any = Member.unit_id) -> Any:
    """Whether `unit_id` (a member's unit by default) is in `scope`."""
    if scope is None:
        return True
    if not isinstance(scope, str):
        return unit_id.in_(scope)
    return unit_id.in_(select(Unit.id).where(planned_subtree_clause(Unit.path, scope)))


async def missing(session: AsyncSession, day: date, scope: Scope) -> Sequence[MissingRow]:
    """Active members not on leave without a report for `day` (day-off units included: the
    caller drops them), with whether they can be reached at all."""
    # "blocked" as EXISTS (through the partial index of blocked accounts), not a join to
    # every account.
    blocked = exists().where(Account.telegram_user_id == Member.telegram_user_id,
                             Account.blocked_at.is_not(None))
    reach = case((Member.telegram_user_id.is_(None), Reach.UNLINKED.value),
                 (blocked, Reach.BLOCKED.value), else_=Reach.PENDING.value)
    return await core(session,
        select(Member.id, Member.name, Member.unit_id, reach)
        # NOT EXISTS, not a LEFT JOIN … IS NULL: PostgreSQL estimates the latter at one row
        # and loops over every missing member (100 ms for the root of 100,000, 46 ms hashed).
        .where(Member.active, _in_scope(scope),
               ~exists().where(Report.member_id == Member.id, Report.report_date == day),
               ~exists().where(Leave.member_id == Member.id, Leave.start_date <= day,
                               Leave.end_date >= day)), named=False)


async def abnormal(session: AsyncSession, day: date, scope: Scope) -> list[CaseRow]:
    """One line per unwell person of each abnormal report for `day`: the member (when their
    own answers are abnormal, or no household entry is) and each unwell household entry.
    One statement: the reports with their household entries (if any) beside them."""
    rows = (await core(session,
        select(Report.id, Report.member_id, Member.name, Member.unit_id, Report.temperature,
               Report.symptoms, Report.contact_case, Report.travel, Report.isolation,
               Report.updated_at, HouseholdReport.id.label("entry"),
               HouseholdReport.relation, HouseholdReport.name.label("entry_name"),
               HouseholdReport.temperature.label("entry_temperature"),
               HouseholdReport.symptoms.label("entry_symptoms"))
        .join(Member, Member.id == Report.member_id)
        .outerjoin(HouseholdReport, HouseholdReport.report_id == Report.id)
        .where(Member.active, Report.report_date == day,
               ABNORMAL_REPORT, _in_scope(scope))
        .order_by(Report.updated_at, Report.id, HouseholdReport.id)))
    reports: dict[int, Any] = {}
    household: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        reports.setdefault(row.id, row)
        if row.entry is not None and (
                (row.entry_temperature is not None and is_fever(row.entry_temperature))
                or row.entry_symptoms):
            household[row.id].append(row)
    result = []
    for r in reports.values():
        own = ((r.temperature is not None and is_fever(r.temperature)) or bool(r.symptoms)
               or r.contact_case or r.travel or r.isolation)
        if own or not household[r.id]:
            result.append(CaseRow(r.member_id, r.name, r.unit_id, None, r.name, r.temperature,
                                  tuple(r.symptoms or ()), r.contact_case, r.travel,
                                  r.isolation, r.updated_at))
        for h in household[r.id]:
            result.append(CaseRow(r.member_id, r.name, r.unit_id, h.relation, h.entry_name,
                                  h.entry_temperature, tuple(h.entry_symptoms or ()),
                                  r.contact_case, r.travel, r.isolation, r.updated_at))
    return result
