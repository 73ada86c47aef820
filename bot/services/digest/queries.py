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
from typing import Any, Protocol

from sqlalchemy import and_, case, distinct, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    Account,
    Holiday,
    HouseholdReport,
    Leave,
    Member,
    Report,
    ReportStatus,
    Unit,
)
from bot.services.org.permissions import planned_subtree_clause
from bot.services.reports.schedule import Schedule, ScheduleFields, resolve
from bot.services.reports.temperature import is_fever


class Reach(StrEnum):
    PENDING = "pending"  # linked, reachable: simply has not answered
    BLOCKED = "blocked"  # blocked the bot
    UNLINKED = "unlinked"  # never linked a Telegram account


@dataclass(frozen=True)
class MissingRow:
    member_id: int
    name: str
    unit_id: int
    reach: Reach


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
    return list((await session.execute(select(*UNIT_COLUMNS).where(Unit.active, *where))).all())


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
    rows = await session.execute(
        select(Holiday.unit_id, Holiday.day).where(Holiday.day.between(first, last)))
    return {(u, d) for u, d in rows.all()}


async def active_members(session: AsyncSession, scope: str | None) -> dict[int, int]:
    rows = await session.execute(
        select(Member.unit_id, func.count()).where(Member.active, _in_scope(scope))
        .group_by(Member.unit_id))
    return {u: int(n) for u, n in rows.all()}


async def leave_days(session: AsyncSession, first: date, last: date,
                     scope: str | None) -> dict[tuple[int, date], int]:
    """(unit, day) → active members on leave that day (overlapping leaves count once)."""
    rows = await session.execute(
        select(Leave.member_id, Member.unit_id, Leave.start_date, Leave.end_date)
        .join(Member, Member.id == Leave.member_id)
        .where(Member.active, Leave.start_date <= last, Leave.end_date >= first,
               _in_scope(scope)))
    away: dict[tuple[int, date], set[int]] = defaultdict(set)
    for member_id, unit_id, start, end in rows.all():
        d = max(start, first)
        while d <= min(end, last):
            away[(unit_id, d)].add(member_id)
            d += timedelta(days=1)
    return {key: len(members) for key, members in away.items()}


async def report_counts(session: AsyncSession, first: date, last: date,
                        scope: str | None) -> dict[tuple[int, date], tuple[int, int]]:
    """(unit, day) → (reports, abnormal reports) of active members."""
    abnormal = func.sum(case((Report.status == ReportStatus.ABNORMAL, 1), else_=0))
    rows = await session.execute(
        select(Member.unit_id, Report.report_date, func.count(), abnormal)
        .join(Member, Member.id == Report.member_id)
        .where(Member.active, Report.report_date.between(first, last), _in_scope(scope))
        .group_by(Member.unit_id, Report.report_date))
    return {(u, d): (int(n), int(a or 0)) for u, d, n, a in rows.all()}


async def reports_on_leave(session: AsyncSession, first: date, last: date,
                           scope: str | None) -> dict[tuple[int, date], int]:
    """(unit, day) → reports by members who were on leave that day (not expected, so not
    counted as reported)."""
    rows = await session.execute(
        select(Member.unit_id, Report.report_date, func.count(distinct(Report.id)))
        .join(Member, Member.id == Report.member_id)
        .join(Leave, and_(Leave.member_id == Report.member_id,
                          Leave.start_date <= Report.report_date,
                          Leave.end_date >= Report.report_date))
        .where(Member.active, Report.report_date.between(first, last), _in_scope(scope))
        .group_by(Member.unit_id, Report.report_date))
    return {(u, d): int(n) for u, d, n in rows.all()}


def _in_scope(scope: str | None) -> Any:
    if scope is None:
        return True
    return Member.unit_id.in_(select(Unit.id).where(planned_subtree_clause(Unit.path, scope)))


async def missing(session: AsyncSession, day: date, scope: str | None) -> list[MissingRow]:
    """Active members not on leave without a report for `day` (day-off units included: the
    caller drops them), with whether they can be reached at all."""
    stmt = (
        select(Member.id, Member.name, Member.unit_id, Member.telegram_user_id,
               Account.blocked_at)
        .outerjoin(Account, Account.telegram_user_id == Member.telegram_user_id)
        .outerjoin(Report, and_(Report.member_id == Member.id, Report.report_date == day))
        .where(Member.active, Report.id.is_(None), _in_scope(scope),
               ~exists().where(Leave.member_id == Member.id, Leave.start_date <= day,
                               Leave.end_date >= day))
    )
    result = []
    for member_id, name, unit_id, user_id, blocked_at in (await session.execute(stmt)).all():
        reach = (Reach.UNLINKED if user_id is None
                 else Reach.BLOCKED if blocked_at is not None else Reach.PENDING)
        result.append(MissingRow(member_id, name, unit_id, reach))
    return result


async def abnormal(session: AsyncSession, day: date, scope: str | None) -> list[CaseRow]:
    """One line per unwell person of each abnormal report for `day`: the member (when their
    own answers are abnormal, or no household entry is) and each unwell household entry."""
    reports = (await session.execute(
        select(Report.id, Report.member_id, Member.name, Member.unit_id, Report.temperature,
               Report.symptoms, Report.contact_case, Report.travel, Report.isolation,
               Report.updated_at)
        .join(Member, Member.id == Report.member_id)
        .where(Member.active, Report.report_date == day,
               Report.status == ReportStatus.ABNORMAL, _in_scope(scope))
        .order_by(Report.updated_at, Report.id))).all()
    if not reports:
        return []
    household: dict[int, list[Any]] = defaultdict(list)
    for row in (await session.execute(
        select(HouseholdReport.report_id, HouseholdReport.relation, HouseholdReport.name,
               HouseholdReport.temperature, HouseholdReport.symptoms)
        .join(Report, Report.id == HouseholdReport.report_id)
        .join(Member, Member.id == Report.member_id)
        .where(Member.active, Report.report_date == day,
               Report.status == ReportStatus.ABNORMAL, _in_scope(scope))
        .order_by(HouseholdReport.id))).all():
        if (row.temperature is not None and is_fever(row.temperature)) or row.symptoms:
            household[row.report_id].append(row)
    result = []
    for r in reports:
        own = ((r.temperature is not None and is_fever(r.temperature)) or bool(r.symptoms)
               or r.contact_case or r.travel or r.isolation)
        if own or not household[r.id]:
            result.append(CaseRow(r.member_id, r.name, r.unit_id, None, r.name, r.temperature,
                                  tuple(r.symptoms or ()), r.contact_case, r.travel,
                                  r.isolation, r.updated_at))
        for h in household[r.id]:
            result.append(CaseRow(r.member_id, r.name, r.unit_id, h.relation, h.name,
                                  h.temperature, tuple(h.symptoms or ()), r.contact_case,
                                  r.travel, r.isolation, r.updated_at))
    return result
