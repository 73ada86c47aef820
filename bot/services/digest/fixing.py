"""Fixed daily figures: each unit's whole-subtree figures for a day, stored once that day's
reporting has closed and never changed (the `daily_figures` table).

A day closes for a unit at the next day's prompt time in the unit's zone: after the deadline,
and the last moment yesterday's buttons still report for yesterday
(services.reports.store.report_day_for), so late reports are in the figures and counted as
late. The figures are counted with the members each unit had that day (services.digest.past).

The scheduler's tick calls `fix_due` every minute: it writes the rows of the days closed in
the last FIX_DAYS days that are not stored yet (a late start or a new unit catches up,
DAYS_PER_TICK days a tick, newest first) with INSERT … ON CONFLICT DO NOTHING, so two ticks
or two instances never write a row twice and never overwrite one. Its usual cost is two
queries: the units' schedules and a count of stored rows per day.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import DailyFigures, Unit
from bot.db.rows import core
from bot.services.digest import past
from bot.services.digest import queries as q
from bot.services.digest.figures import Figures
from bot.services.digest.tree import schedules_of
from bot.services.reports.schedule import Schedule

logger = logging.getLogger(__name__)

# How far back a missing day is still written: the dashboard's longest trend.
FIX_DAYS = 30
# Days counted in one tick at most (newest first): a first start, or a long outage, catches
# up over a few minutes instead of holding one tick for all of them.
DAYS_PER_TICK = 2


def closes_at(schedule: Schedule, day: date) -> datetime:
    """When `day`'s figures are final for a unit: the next day's prompt, in the unit's zone."""
    return schedule.at(day + timedelta(days=1), schedule.prompt)


def last_closed(schedule: Schedule, now: datetime) -> date:
    """The latest day whose reporting has closed at `now` for a unit with `schedule`."""
    today = schedule.local_date(now)
    return today - timedelta(days=1) if now >= closes_at(schedule, today - timedelta(days=1)) \
        else today - timedelta(days=2)


def _ids(path: str) -> list[int]:
    return [int(p) for p in path.strip("/").split("/") if p]


async def fix_due(session: AsyncSession, *, now: datetime, default_timezone: str,
                  max_days: int = DAYS_PER_TICK) -> int:
    """Store the figures of every (unit, day) closed at `now` and not stored yet, the newest
    `max_days` days of them a call; how many rows were written."""
    units = await q.load_units(session)
    if not units:
        return 0
    schedules = schedules_of(units, default_timezone)
    # Units by the last day closed for them (one or two groups: their zones and prompts).
    closed: dict[date, list[int]] = defaultdict(list)
    for unit in units:
        closed[last_closed(schedules[unit.id], now)].append(unit.id)
    first = min(closed) - timedelta(days=FIX_DAYS - 1)
    wanted = {first + timedelta(days=i): sum(len(ids) for d, ids in closed.items()
                                             if d >= first + timedelta(days=i))
              for i in range((max(closed) - first).days + 1)}
    stored = dict(await core(session,
        select(DailyFigures.day, func.count()).join(Unit, Unit.id == DailyFigures.unit_id)
        .where(Unit.active, DailyFigures.day >= first)
        .group_by(DailyFigures.day), named=False))
    days = sorted((d for d, n in wanted.items() if stored.get(d, 0) < n), reverse=True)
    days = sorted(days[:max_days])
    if not days:
        return 0
    have = {(u, d) for u, d in (await core(session,
        select(DailyFigures.unit_id, DailyFigures.day)
        .where(DailyFigures.day.in_(days)), named=False))}
    figures = await subtree_figures(session, units, schedules,
                                    days[0], days[-1])
    rows = [{"unit_id": u, "day": d, **_columns(figures.get((u, d), Figures())),
             "fixed_at": now}
            for d in days for last, ids in closed.items() if d <= last for u in ids
            if (u, d) not in have]
    if not rows:
        return 0
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    # One executemany (batched by SQLAlchemy); RETURNING counts only the rows inserted.
    result = await session.execute(
        module.insert(DailyFigures).on_conflict_do_nothing(index_elements=["unit_id", "day"])
        .returning(DailyFigures.id), rows)
    written = len(result.all())
    logger.info("daily figures fixed: %d rows for %d days", written, len(days))
    return written


def _columns(f: Figures) -> dict[str, int]:
    return {"expected": f.expected, "reported": f.reported, "abnormal": f.abnormal,
            "late": f.late, "on_leave": f.on_leave}


async def subtree_figures(session: AsyncSession, units: Sequence[q.OrgUnit],
                          schedules: dict[int, Schedule], first: date, last: date,
                          scope: str | None = None) -> dict[tuple[int, date], Figures]:
    """(unit, day) → the unit's whole-subtree figures for each day of [first, last], by who
    belonged where that day (services.digest.past)."""
    by_id = {u.id: u for u in units}
    ancestors = {u.id: [a for a in _ids(u.path) if a in by_id] for u in units}
    holidays = await q.holidays(session, first, last)

    def day_off(unit_id: int, d: date) -> bool:
        if schedules[unit_id].skip_weekends and d.weekday() >= 5:
            return True
        return any((a, d) in holidays for a in ancestors[unit_id])

    own = await past.own_figures(session, first, last, scope, day_off, by_id)
    result: dict[tuple[int, date], Figures] = defaultdict(Figures)
    for (unit_id, d), f in own.items():
        for a in ancestors[unit_id]:
            result[(a, d)].add(f)
    return result


# Rows turned into figures between two turns of the event loop (a few ms of work).
_YIELD_EVERY = 10_000


async def stored(session: AsyncSession, unit_ids: Collection[int] | None, first: date,
                 last: date, *, history: tuple[Collection[int] | None, date] | None = None,
                 ) -> dict[tuple[int, date], Figures]:
    """The stored figures of `unit_ids` (None: every unit) for the days [first, last], and
    with `history` (units, since), those units' (None: every unit's) from `since` on."""
    wanted: ColumnElement[bool] = DailyFigures.day.between(first, last)
    if unit_ids is not None:
        wanted = and_(wanted, DailyFigures.unit_id.in_(list(unit_ids)))
    if history is not None:
        units, since = history
        longer = DailyFigures.day.between(since, last)
        wanted = or_(wanted, longer if units is None
                     else and_(longer, DailyFigures.unit_id.in_(list(units))))
    stmt = select(DailyFigures.unit_id, DailyFigures.day, DailyFigures.expected,
                  DailyFigures.reported, DailyFigures.abnormal, DailyFigures.late,
                  DailyFigures.on_leave).where(wanted)
    result = {}
    rows = await core(session, stmt, named=False)
    for n, (u, d, e, r, a, late, away) in enumerate(rows, start=1):
        result[(u, d)] = Figures(e, r, a, late, away)
        if n % _YIELD_EVERY == 0:
            await asyncio.sleep(0)  # every unit's 14 days are 70,000 rows: let chats through
    return result
