"""Exports of a date range, as a leader files them: one row per member who belonged to the
unit that day — reported, not reported, on leave or exempt — with the member's own answers
and the household's apart, and each unit's figures per day.

Leaders export their own subtree, admins the whole organisation. Who belonged where on a past
day is membership history's (`members_on`), so a past day's rows and figures do not change
when someone joins or moves. `export_days` yields one day at a time, from a handful of
queries per day: a 92-day export of a big organisation never holds more than one day in
memory. Every export is audited (what range, how many rows — never the content).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.db.models import (
    HouseholdReport,
    Leave,
    LeaveKind,
    Member,
    Report,
    ReportStatus,
    Unit,
)
from bot.services.members.history import members_on
from bot.services.org import audit
from bot.services.org.permissions import Actor, in_subtree, subtree_clause
from bot.services.reports.temperature import is_fever

MAX_DAYS = 92
DEFAULT_DAYS = 7
# Rows in one file sent through the chat; bigger exports are the CLI's (`selfreport export`).
MAX_CHAT_ROWS = 50_000
_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")


class RangeError(enum.StrEnum):
    FORMAT = "format"  # not one or two dates
    BAD_DATE = "bad_date"  # looks like a date, is not one
    REVERSED = "reversed"  # end before start
    TOO_LONG = "too_long"  # more than MAX_DAYS days


class InvalidRange(ValueError):
    def __init__(self, code: RangeError) -> None:
        super().__init__(code.value)
        self.code = code


def _parse_date(token: str) -> date:
    match = _DATE.fullmatch(token)
    if match is None:
        raise InvalidRange(RangeError.FORMAT)
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise InvalidRange(RangeError.BAD_DATE) from None


def parse_range(text: str, today: date) -> tuple[date, date]:
    """`` → the last DEFAULT_DAYS days up to today; `FROM` → FROM..today (or FROM alone if
    later); `FROM TO` → that range, inclusive, at most MAX_DAYS days."""
    if len(text) > 64:
        raise InvalidRange(RangeError.FORMAT)
    tokens = unicodedata.normalize("NFKC", text).replace("~", " ").split()
    if not tokens:
        return today - timedelta(days=DEFAULT_DAYS - 1), today
    if len(tokens) > 2:
        raise InvalidRange(RangeError.FORMAT)
    start = _parse_date(tokens[0])
    end = _parse_date(tokens[1]) if len(tokens) == 2 else max(start, today)
    if end < start:
        raise InvalidRange(RangeError.REVERSED)
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidRange(RangeError.TOO_LONG)
    return start, end


class Attendance(enum.StrEnum):
    REPORTED = "reported"
    MISSING = "missing"  # expected, no report
    LEAVE = "leave"  # on leave, no report
    EXEMPT = "exempt"  # exempt, no report


@dataclass(frozen=True)
class HouseholdLine:
    relation: str
    name: str
    temperature: Decimal | None
    fever: bool
    symptoms: tuple[str, ...]
    note: str

    @property
    def unwell(self) -> bool:
        return self.fever or bool(self.symptoms)


@dataclass(frozen=True)
class ExportRow:
    """One member on one day: their own answers and their household's, apart."""

    day: date
    unit: str  # the path of names, "Group / Company A"
    member_id: int
    member: str
    attendance: Attendance
    abnormal: bool  # the member's own answers (fever, symptoms, contact, travel, isolation)
    temperature: Decimal | None
    fever: bool
    symptoms: tuple[str, ...]
    contact_case: bool
    travel: bool
    isolation: bool
    note: str
    late: bool
    reported_at: datetime | None
    entered_by: str
    household: tuple[HouseholdLine, ...]

    @property
    def household_unwell(self) -> tuple[HouseholdLine, ...]:
        return tuple(h for h in self.household if h.unwell)


@dataclass(frozen=True)
class UnitDay:
    """A unit's own members' figures for one day (the digest's definitions)."""

    day: date
    unit: str
    day_off: bool
    expected: int  # on the roster that day, not on leave, not a day off
    reported: int  # expected and reported
    abnormal: int  # abnormal reports (the member or the household), expected or not
    late: int  # late reports among `reported`
    on_leave: int  # on leave or exempt

    @property
    def missing(self) -> int:
        return self.expected - self.reported


@dataclass(frozen=True)
class ExportDay:
    day: date
    rows: list[ExportRow]
    units: list[UnitDay]


@dataclass(frozen=True)
class _Units:
    labels: dict[int, str]  # the actor's units: "Group / Company A"
    order: dict[int, tuple[int, ...]]  # the actor's units: ids from the root (tree order)
    ancestors: dict[int, list[int]]  # every active unit
    skip_weekends: set[int]


async def _units(session: AsyncSession, actor: Actor) -> _Units:
    from bot.services.digest import queries as q

    units = await q.load_units(session)
    every = (await session.execute(select(Unit.id, Unit.name, Unit.path))).all()
    names = {uid: name for uid, name, _path in every}
    order = {uid: tuple(int(p) for p in path.strip("/").split("/") if p)
             for uid, _name, path in every
             if actor.root_path is None or in_subtree(path, actor.root_path)}
    return _Units(
        labels={uid: " / ".join(names.get(i, "?") for i in ids) for uid, ids in order.items()},
        order=order,
        ancestors={u.id: [int(p) for p in u.path.strip("/").split("/") if p] for u in units},
        skip_weekends={uid for uid, s in q.resolve_schedules(units, "UTC").items()
                       if s.skip_weekends})


def _fever(value: Decimal | None) -> bool:
    return value is not None and is_fever(value)


@dataclass
class _Read:
    """What one day's queries return: the roster, the reports, names and leaves."""

    roster: dict[int, int]  # member → unit that day
    reports: dict[int, Any]  # member → report row
    household: dict[int, list[HouseholdLine]]  # report id → its household's answers
    names: dict[int, str]
    away: dict[int, tuple[LeaveKind, str]]  # member → their leave that day, and its note


async def _read_day(session: AsyncSession, actor: Actor, labels: dict[int, str],
                    day: date) -> _Read:
    leader = aliased(Member)
    roster = {m: u for m, u in await members_on(session, list(labels), day) if u in labels}
    # Columns, not Report objects: loading ORM instances was half the time of a big day.
    stmt = (select(Report.id, Report.member_id, Report.unit_id, Report.status,
                   Report.temperature, Report.symptoms, Report.contact_case, Report.travel,
                   Report.isolation, Report.note, Report.late, Report.updated_at,
                   leader.name.label("entered_by"))
            .join(Unit, Unit.id == Report.unit_id)
            .outerjoin(leader, leader.id == Report.entered_by)
            .where(Report.report_date == day))
    if actor.root_path is not None:
        stmt = stmt.where(subtree_clause(Unit.path, actor.root_path))
    read = _Read(roster, {r.member_id: r for r in (await session.execute(stmt)).all()},
                 defaultdict(list), {}, {})
    if read.reports:
        for h in await session.scalars(select(HouseholdReport).where(
                HouseholdReport.report_id.in_(stmt.with_only_columns(Report.id)
                                              .scalar_subquery()))
                .order_by(HouseholdReport.id)):
            read.household[h.report_id].append(HouseholdLine(
                h.relation, h.name, h.temperature, _fever(h.temperature),
                tuple(h.symptoms or ()), h.note))
    for chunk in _chunks(sorted(set(roster) | set(read.reports))):  # asyncpg: ≤ 32767 binds
        for member_id, name in (await session.execute(
                select(Member.id, Member.name).where(Member.id.in_(chunk)))).all():
            read.names[member_id] = name
        for member_id, kind, note in (await session.execute(
                select(Leave.member_id, Leave.kind, Leave.note).where(
                    Leave.member_id.in_(chunk), Leave.start_date <= day,
                    Leave.end_date >= day).order_by(Leave.id))).all():
            read.away[member_id] = (kind, note)
    return read


async def export_days(session: AsyncSession, actor: Actor, start: date,
                      end: date) -> AsyncIterator[ExportDay]:
    """Day by day (memory holds one day): one row per member who belonged to the actor's
    units that day — reported, not reported, on leave or exempt — by unit and name, and each
    unit's figures. A report made in those units by someone not on that day's roster has its
    row too."""
    from bot.services.digest import queries as q

    units = await _units(session, actor)
    labels, holidays = units.labels, await q.holidays(session, start, end)
    day = start
    while day <= end:
        read = await _read_day(session, actor, labels, day)
        rows: list[tuple[tuple[int, ...], ExportRow]] = []
        figures: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
        for member_id in set(read.roster) | set(read.reports):
            found = read.reports.get(member_id)
            unit_id = found.unit_id if found else read.roster[member_id]
            off = _off(day, unit_id, units, holidays)
            leave, on_roster = read.away.get(member_id), member_id in read.roster
            expected = on_roster and leave is None and not off
            counts = figures[unit_id]  # expected, reported, abnormal, late, on leave
            counts[0] += expected
            counts[4] += on_roster and leave is not None
            name, place = read.names.get(member_id, ""), units.order.get(unit_id, ())
            if found is None:
                if not off:  # on a day off, not expected: nothing to say
                    rows.append((place, _absent(day, labels[unit_id], member_id, name, leave)))
                continue
            counts[1] += expected
            counts[2] += found.status == ReportStatus.ABNORMAL
            counts[3] += expected and found.late
            rows.append((place, _reported(day, labels.get(unit_id, ""), name, found,
                                          tuple(read.household.get(found.id, ())))))
        rows.sort(key=lambda r: (r[0], r[1].member, r[1].member_id))
        by_unit = sorted(figures.items(), key=lambda f: units.order.get(f[0], ()))
        yield ExportDay(day, [r for _place, r in rows], [
            UnitDay(day, labels.get(u, ""), _off(day, u, units, holidays), *c)
            for u, c in by_unit])
        day += timedelta(days=1)


def _chunks(ids: list[int], size: int = 1000) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def _off(day: date, unit_id: int, units: _Units, holidays: set[tuple[int, date]]) -> bool:
    """A weekend the unit skips, or a holiday on it or an ancestor."""
    return (day.weekday() >= 5 and unit_id in units.skip_weekends) or any(
        (a, day) in holidays for a in units.ancestors.get(unit_id, [unit_id]))


def _absent(day: date, unit: str, member_id: int, name: str,
            leave: tuple[LeaveKind, str] | None) -> ExportRow:
    """No report: missing, or on leave / exempt (the leave's note in the note column)."""
    attendance = (Attendance.MISSING if leave is None else Attendance.EXEMPT
                  if leave[0] == LeaveKind.EXEMPT else Attendance.LEAVE)
    return ExportRow(day=day, unit=unit, member_id=member_id, member=name,
                     attendance=attendance, abnormal=False, temperature=None, fever=False,
                     symptoms=(), contact_case=False, travel=False, isolation=False,
                     note=leave[1] if leave else "",
                     late=False, reported_at=None, entered_by="", household=())


def _reported(day: date, unit: str, name: str, r: Any,
              household: tuple[HouseholdLine, ...]) -> ExportRow:
    fever = _fever(r.temperature)
    own = fever or bool(r.symptoms) or r.contact_case or r.travel or r.isolation
    return ExportRow(day=day, unit=unit, member_id=r.member_id, member=name,
                     attendance=Attendance.REPORTED, abnormal=own, temperature=r.temperature,
                     fever=fever, symptoms=tuple(r.symptoms or ()),
                     contact_case=r.contact_case, travel=r.travel, isolation=r.isolation,
                     note=r.note, late=r.late, reported_at=r.updated_at,
                     entered_by=r.entered_by or "", household=household)


async def estimated_rows(session: AsyncSession, actor: Actor, start: date, end: date) -> int:
    """About how many rows an export will have (today's active members every day, or the
    reports when there are more): enough to refuse a file too big for the chat before
    building it."""
    days = (end - start).days + 1
    members = (select(func.count()).select_from(Member).join(Unit, Unit.id == Member.unit_id)
               .where(Member.active))
    reports = (select(func.count()).select_from(Report).join(Unit, Unit.id == Report.unit_id)
               .where(Report.report_date >= start, Report.report_date <= end))
    if actor.root_path is not None:
        members = members.where(subtree_clause(Unit.path, actor.root_path))
        reports = reports.where(subtree_clause(Unit.path, actor.root_path))
    return max(int(await session.scalar(members) or 0) * days,
               int(await session.scalar(reports) or 0))


async def record_export(session: AsyncSession, actor: Actor, *, start: date, end: date,
                        rows: int, now: datetime) -> None:
    await audit.record(session, actor=actor.audit_name, actor_member_id=actor.member_id,
                       action="export", now=now,
                       target=f"unit:{actor.root_unit_id}" if actor.root_unit_id else "org",
                       details={"from": start.isoformat(), "to": end.isoformat(),
                                "rows": rows})
