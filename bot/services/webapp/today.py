"""Today's figures of one unit and its children, read for that subtree only: the dashboard's
first screen and drill-downs.

compute_digests (the digests' engine) loads the whole organisation's units and schedules
whatever it is asked; for one unit this reads only the unit's subtree and its ancestors (for
the inherited schedules), with the same aggregate queries (services.digest.queries) and the
same definitions (expected / reported / abnormal, days off, leaves). tests/webapp holds it
equal to compute_digests. Today is always counted live; past days (the trend) are the stored
daily figures that compute_digests reads (services.digest.fixing).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Unit
from bot.services.digest import queries as q
from bot.services.digest.compute import Figures, OpenAlertLine, SubUnit, UnitDigest
from bot.services.digest.open_alerts import open_alerts
from bot.services.org.permissions import subtree_clause


def _ids(path: str) -> list[int]:
    return [int(p) for p in path.strip("/").split("/") if p]


@dataclass(frozen=True)
class _Tree:
    units: dict[int, q.OrgUnit]
    root: Unit
    chains: dict[int, list[int]]  # each unit's path as ids, root of the organisation first

    def below(self, unit_id: int) -> list[int]:
        """The ids from the root's child down to `unit_id` (empty for the root itself)."""
        chain = self.chains[unit_id]
        return chain[chain.index(self.root.id) + 1:]

    def label(self, unit_id: int) -> tuple[str, ...]:
        names = tuple(self.units[i].name for i in self.below(unit_id) if i in self.units)
        return names or (self.root.name,)


async def unit_figures(session: AsyncSession, unit: Unit, *, now: datetime,
                       default_timezone: str) -> UnitDigest:
    """`unit`'s digest of today (figures, sub-units, open alerts; no lists of people)."""
    ancestors = [i for i in _ids(unit.path) if i != unit.id]
    loaded = await q.load_units(session, or_(subtree_clause(Unit.path, unit.path),
                                             Unit.id.in_(ancestors)))
    schedules = q.resolve_schedules(loaded, default_timezone)
    inside = {u.id: u for u in loaded if u.path.startswith(unit.path)}
    tree = _Tree(inside, unit, {i: _ids(u.path) for i, u in inside.items()})
    day = schedules[unit.id].local_date(now)
    holidays = await q.holidays(session, day, day)
    known = {u.id for u in loaded}
    off_on = {a for a, d in holidays if d == day and a in known}  # a holiday today

    def day_off(unit_id: int, d: date) -> bool:
        if schedules[unit_id].skip_weekends and d.weekday() >= 5:
            return True
        return bool(off_on) and any(a in off_on for a in tree.chains[unit_id])

    # A top unit's subtree is every member of its tree: no path filter to evaluate (the loop
    # below keeps to the units of this tree).
    scope = None if unit.parent_id is None else unit.path
    active = await q.active_members(session, scope)
    on_leave, on_leave_reported = await q.leave_days(session, day, day, scope)
    reports = await q.report_counts(session, day, day, scope)
    total = Figures()
    children: dict[int, Figures] = defaultdict(Figures)
    own: Figures | None = None
    for unit_id in tree.units:
        members = active.get(unit_id, 0)
        count, abnormal = reports.get((unit_id, day), (0, 0))
        if not members and not count:
            continue
        if day_off(unit_id, day):
            figures = Figures(0, 0, abnormal)
        else:
            figures = Figures(members - on_leave.get((unit_id, day), 0),
                              count - on_leave_reported.get((unit_id, day), 0), abnormal)
        total.add(figures)
        below = tree.below(unit_id)
        if below:
            children[below[0]].add(figures)
        else:
            own = figures
    lines = [SubUnit(c.id, c.name, children.get(c.id, Figures()))
             for c in tree.units.values() if c.parent_id == unit.id]
    if own is not None and (own.expected or own.abnormal) and lines:
        lines.append(SubUnit(None, unit.name, own))
    lines.sort(key=lambda s: (s.figures.rate is None, s.figures.rate or 0.0,
                              -s.figures.abnormal, s.name))
    alerts = [OpenAlertLine(a.alert_id, a.member_id, a.member_name, a.unit_id,
                            tree.label(a.unit_id), a.report_date, a.level, a.created_at)
              for a in await open_alerts(session, scope) if a.unit_id in tree.units]
    return UnitDigest(unit_id=unit.id, unit_name=unit.name, unit_path=unit.path, day=day,
                      timezone=schedules[unit.id].timezone, day_off=day_off(unit.id, day),
                      figures=total, previous=Figures(), history=[(day, total)],
                      subunits=lines, alerts=alerts)
