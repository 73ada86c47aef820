"""Each unit's own figures for past days, by who belonged to it then (membership history).

Today's figures are counted with today's roster (services.digest.queries); a past day is
counted with the members of each unit on that day (the `memberships` rows), so a member who
joins, moves or leaves changes today and later only. The same definitions as today's: expected
are that day's members not on leave (none on a day off), reported are the expected with a
report for that day, abnormal are all abnormal reports of that day's members, late are the
reported made after the deadline, on leave are the members away that day.

services.digest.fixing stores these per unit subtree once a day's reporting has closed;
compute reads them back, and falls back to this only for a day not stored yet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Leave, Membership, Report, ReportStatus, Unit
from bot.db.rows import core
from bot.services.digest.figures import Figures
from bot.services.org.permissions import planned_subtree_clause


def _in_scope(scope: str | None) -> Any:
    if scope is None:
        return True
    return Membership.unit_id.in_(
        select(Unit.id).where(planned_subtree_clause(Unit.path, scope)))


def _during(first: date, last: date) -> Any:
    return and_(Membership.start_day <= last,
                or_(Membership.end_day.is_(None), Membership.end_day >= first))


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(i) for i in range((last - first).days + 1)]


async def own_figures(session: AsyncSession, first: date, last: date, scope: str | None,
                      day_off: Callable[[int, date], bool],
                      known: Collection[int]) -> dict[tuple[int, date], Figures]:
    """(unit, day) → the unit's own direct members' figures, for each day of [first, last]
    and each unit of `known` (others are ignored: inactive units)."""
    members: dict[tuple[int, date], int] = defaultdict(int)
    for unit_id, start, end, n in (await core(session,
            select(Membership.unit_id, Membership.start_day, Membership.end_day, func.count())
            .where(_during(first, last), _in_scope(scope))
            .group_by(Membership.unit_id, Membership.start_day, Membership.end_day), named=False)):
        for d in _days(max(start, first), min(end or last, last)):
            members[(unit_id, d)] += int(n)

    away: dict[tuple[int, date], set[int]] = defaultdict(set)
    for member_id, unit_id, start, end, left, back in (await core(session,
            select(Membership.member_id, Membership.unit_id, Membership.start_day,
                   Membership.end_day, Leave.start_date, Leave.end_date)
            .join(Leave, Leave.member_id == Membership.member_id)
            .where(_during(first, last), Leave.start_date <= last, Leave.end_date >= first,
                   _in_scope(scope)), named=False)):
        for d in _days(max(start, left, first), min(end or last, back, last)):
            away[(unit_id, d)].add(member_id)

    belonged = and_(Membership.member_id == Report.member_id,
                    Membership.start_day <= Report.report_date,
                    or_(Membership.end_day.is_(None), Membership.end_day >= Report.report_date))
    on_leave = exists().where(Leave.member_id == Report.member_id,
                              Leave.start_date <= Report.report_date,
                              Leave.end_date >= Report.report_date)
    counted: dict[tuple[int, date], list[int]] = {}  # expected's reports, their late, abnormal
    for unit_id, day, n, abnormal, late in (await core(session,
            select(Membership.unit_id, Report.report_date, func.count(),
                   func.sum(case((Report.status == ReportStatus.ABNORMAL, 1), else_=0)),
                   func.sum(case((Report.late, 1), else_=0)))
            .join(Membership, belonged)
            .where(Report.report_date.between(first, last), _in_scope(scope))
            .group_by(Membership.unit_id, Report.report_date), named=False)):
        counted[(unit_id, day)] = [int(n), int(late or 0), int(abnormal or 0)]
    # Reports of members on leave that day: not expected, so not counted as reported.
    for unit_id, day, n, late in (await core(session,
            select(Membership.unit_id, Report.report_date, func.count(),
                   func.sum(case((Report.late, 1), else_=0)))
            .join(Membership, belonged)
            .where(Report.report_date.between(first, last), on_leave, _in_scope(scope))
            .group_by(Membership.unit_id, Report.report_date), named=False)):
        row = counted[(unit_id, day)]
        row[0] -= int(n)
        row[1] -= int(late or 0)

    result: dict[tuple[int, date], Figures] = {}
    for key in set(members) | set(counted):
        unit_id, d = key
        if unit_id not in known:
            continue
        reported, late, abnormal = counted.get(key, [0, 0, 0])
        if day_off(unit_id, d):
            result[key] = Figures(0, 0, abnormal)
            continue
        gone = len(away.get(key, ()))
        result[key] = Figures(members.get(key, 0) - gone, reported, abnormal, late=late,
                              on_leave=gone)
    return result
