"""Leaders' daily digests: each unit's whole-subtree figures for its own local date.

Computed for many units at once from a small, constant number of aggregate queries (see
services.digest.queries): today's member and leave counts GROUP BY the member's current unit
and the report counts the database keeps by that unit (`unit_day_reports`), then rolled up
the tree by materialised path in Python. A parent's figures are therefore exactly the sum of
its children's plus its own direct members'.

Definitions (per unit and local date):
- expected: active members not on leave that day, 0 when the member's unit is on a day off
  (a holiday on it or an ancestor, or a weekend when it skips them);
- reported: expected members with a report for that day;
- abnormal: abnormal reports of active members that day, whether expected or not (someone
  on leave who reports a fever still matters).
Today is counted live, with today's roster. A past day is read from the figures stored once
its reporting closed (services.digest.fixing, the `daily_figures` table), or — not stored
yet — counted with the members each unit had that day (services.digest.past): a member who
joins, moves or leaves changes today and later only.

Open alerts (services.digest.alerts: not marked handled, report still abnormal) are those of
reports made in the subtree, whatever their date, as they stand now: one query for all units.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.digest import fixing
from bot.services.digest import queries as q
from bot.services.digest.figures import Figures, History
from bot.services.digest.missing import InUnit, Missing, MissingList, missing_lists
from bot.services.digest.open_alerts import open_alerts
from bot.services.digest.queries import Reach
from bot.services.digest.tree import OrgTree, org_tree, schedules_of
from bot.services.duty.shifts import shift_figures

HISTORY_DAYS = 14
# Units rolled up between two turns of the event loop (a few ms of work).
_YIELD_EVERY = 250
# A single target's subtree up to this many units is read by its unit ids, not its path.
_LISTED_SUBTREE = 200


@dataclass(frozen=True)
class AbnormalCase(InUnit):
    member_id: int
    member_name: str
    unit_id: int
    unit_names: tuple[str, ...]  # the member's unit, relative to the digest's unit
    relation: str | None  # None: the member themselves; else the household entry's relation
    person: str  # the member's name, or the household entry's
    temperature: Decimal | None
    symptoms: tuple[str, ...]
    contact_case: bool
    travel: bool
    isolation: bool
    reported_at: datetime


@dataclass(frozen=True)
class OpenAlertLine(InUnit):
    alert_id: int
    member_id: int
    member_name: str
    unit_id: int  # the unit the report was made in
    unit_names: tuple[str, ...]
    report_date: date
    level: int  # escalations so far: 0 while only the unit's own chain has it
    since: datetime  # when the alert was raised


@dataclass(frozen=True)
class SubUnit:
    unit_id: int | None  # None: the digest unit's own direct members
    name: str
    figures: Figures


@dataclass
class UnitDigest:
    unit_id: int
    unit_name: str
    unit_path: str
    day: date
    timezone: str
    day_off: bool
    figures: Figures
    previous: Figures
    history: Sequence[tuple[date, Figures]] = field(default_factory=list)
    cases: list[AbnormalCase] = field(default_factory=list)
    missing: Sequence[Missing] = field(default_factory=list)
    subunits: list[SubUnit] = field(default_factory=list)
    # Today's duty shifts of the subtree: (filled, confirmed); see services.duty.shifts.
    shifts: tuple[int, int] = (0, 0)
    alerts: list[OpenAlertLine] = field(default_factory=list)

    @property
    def missing_complete(self) -> bool:
        """Whether `missing` holds every missing member, not only its first units' (a large
        subtree's /status: see services.digest.missing)."""
        return not isinstance(self.missing, MissingList) or self.missing.complete

    def missing_by(self, reach: Reach) -> list[Missing]:
        if isinstance(self.missing, MissingList):
            return self.missing.by(reach)
        return [m for m in self.missing if m.reach is reach]


async def compute_digests(
    session: AsyncSession,
    *,
    now: datetime,
    default_timezone: str,
    unit_ids: Collection[int] | None = None,
    day: date | None = None,
    history: bool = True,
    span: int | None = None,
    charts: Collection[int] | None = None,
) -> dict[int, UnitDigest]:
    """The digest of each unit in `unit_ids` (default: every active unit) for its local date
    at `now` (or `day` for all of them), from a constant number of queries. Without
    `history` (the chart's 14 days) only today and yesterday are read: much less work;
    `span` asks for that many days of history instead (the dashboard's 30-day trend);
    `charts`, for these units only (the charts a tick draws), the others' being today and
    yesterday."""
    units = await q.load_units(session)
    units_by_id = {u.id: u for u in units}
    schedules = schedules_of(units, default_timezone)
    await asyncio.sleep(0)  # each step below is tens of ms at 5,000 units: others go between
    targets = [i for i in (unit_ids if unit_ids is not None else schedules) if i in schedules]
    if not targets:
        return {}
    days = {t: day or schedules[t].local_date(now) for t in targets}
    span = span or (HISTORY_DAYS if history else 2)
    charted = (set(targets) if charts is None or not history
               else set(charts).intersection(targets))
    if not charted:
        span = 2
    first, last = min(days.values()) - timedelta(days=span - 1), max(days.values())
    today_first = min(days.values())
    org = org_tree(units, default_timezone, (today_first, last),
                   await q.holidays(session, today_first, last))
    await asyncio.sleep(0)
    # Only what the targets cover: one subtree (a prefix filter) or the whole organisation
    # (no filter, also when the one target is the root of every active unit).
    scope = (units_by_id[targets[0]].path
             if len(targets) == 1 and not org.covers_all(targets[0]) else None)
    members_in = (org.subtree(targets[0])
                  if scope is not None and org.size[targets[0]] <= _LISTED_SUBTREE else scope)
    own = await _own_figures(session, org, today_first, last, members_in)
    await asyncio.sleep(0)
    live = org.rolled_up(own, [today_first + timedelta(i)
                               for i in range((last - today_first).days + 1)])
    await asyncio.sleep(0)
    subtree = await _with_past(session, org, days, live, first, scope, charted)

    digests: dict[int, UnitDigest] = {}
    back = {(d, n): [d - timedelta(i) for i in range(n - 1, -1, -1)]
            for d in set(days.values()) for n in {span, 2}}
    for n, t in enumerate(targets, start=1):
        unit, d = org.units[t], days[t]
        digests[t] = UnitDigest(
            unit_id=t, unit_name=unit.name, unit_path=unit.path, day=d,
            timezone=schedules[t].timezone, day_off=org.day_off(t, d),
            figures=_shared(live.get((t, d))),
            previous=_shared(subtree.get((t, d - timedelta(1)))),
            history=History(t, back[(d, span if t in charted else 2)], subtree),
            subunits=_subunits(org, own, live, t, d),
        )
        if n % _YIELD_EVERY == 0:
            await asyncio.sleep(0)  # thousands of units: let other updates through
    targets_on: dict[date, set[int]] = defaultdict(set)
    for t, d in days.items():
        targets_on[d].add(t)
    for d, on_day in targets_on.items():
        for t, listed in (await missing_lists(session, org, d, on_day, own, members_in)).items():
            digests[t].missing = listed
        for case in await q.abnormal(session, d, members_in):
            if case.unit_id not in org.units:
                continue
            for t in on_day.intersection(org.ancestors[case.unit_id]):
                digests[t].cases.append(_case(case, org.label(case.unit_id, t)))
    wanted = set(targets)
    for alert in await open_alerts(session, scope):  # oldest first
        if alert.unit_id not in org.units:
            continue
        for t in wanted.intersection(org.ancestors[alert.unit_id]):
            digests[t].alerts.append(OpenAlertLine(
                alert.alert_id, alert.member_id, alert.member_name, alert.unit_id,
                org.label(alert.unit_id, t), alert.report_date, alert.level, alert.created_at))
    for digest in digests.values():
        digest.cases.sort(key=lambda c: (c.reported_at, c.member_id, c.relation or ""))
    await shift_figures(session, digests)
    return digests


def _shared(figures: Figures | None) -> Figures:
    """Once rolled up, a (unit, day)'s figures are one object that every digest showing them
    shares (the unit's own, its parent's sub-unit line, the history): read, never added to.
    Copying them was a tenth of the time of every unit's digest at 5,000 units."""
    return figures if figures is not None else Figures()


async def _with_past(session: AsyncSession, org: OrgTree, days: dict[int, date],
                     live: dict[tuple[int, date], Figures], first: date,
                     scope: str | None, charted: set[int]) -> dict[tuple[int, date], Figures]:
    """Each target's figures for its day and the day before, and those of `charted` for
    every day from `first`: today's live, past days stored (services.digest.fixing) or, not
    stored yet, counted by that day's members."""
    result: dict[tuple[int, date], Figures] = {}
    before = max(days.values()) - timedelta(days=1)
    if first <= before:
        yesterday = min(days.values()) - timedelta(days=1)
        # The charts' longer run of days: for every unit when all of them are charted.
        longer = ((charted if len(charted) < len(org.units) else None, first)
                  if first < yesterday else None)
        result.update(await fixing.stored(session, days if len(days) <= 50 else None,
                                          min(yesterday, before), before, history=longer))
        past_days = [first + timedelta(i) for i in range((before - first).days + 1)]
        missing: list[tuple[int, date]] = []
        for n, (t, d) in enumerate(days.items(), start=1):
            since = first if t in charted else d - timedelta(days=1)
            missing.extend((t, x) for x in past_days
                           if since <= x < d and (t, x) not in result)
            if n % _YIELD_EVERY == 0:
                await asyncio.sleep(0)
        if missing:
            counted = await fixing.subtree_figures(
                session, list(org.units.values()), org.schedules,
                min(d for _t, d in missing), max(d for _t, d in missing), scope)
            for key in missing:
                result[key] = counted.get(key, Figures())
    for t, d in days.items():
        if (t, d) in live:
            result[(t, d)] = live[(t, d)]
        else:
            result.pop((t, d), None)
    return result


async def _own_figures(session: AsyncSession, org: OrgTree, first: date, last: date,
                       scope: q.Scope) -> dict[tuple[int, date], Figures]:
    """Each unit's own direct members' figures for each day of [first, last]."""
    active = await q.active_members(session, scope)
    on_leave, on_leave_reported = await q.leave_days(session, first, last, scope)
    reports = await q.report_counts(session, first, last, scope)  # -> (all, abnormal)
    result: dict[tuple[int, date], Figures] = {}
    days = [first + timedelta(i) for i in range((last - first).days + 1)]
    for unit_id in org.units:
        members = active.get(unit_id, 0)
        for d in days:
            count, abnormal = reports.get((unit_id, d), (0, 0))
            if not members and not count:
                continue
            if org.day_off(unit_id, d):
                result[(unit_id, d)] = Figures(0, 0, abnormal)
                continue
            expected = members - on_leave.get((unit_id, d), 0)
            reported = count - on_leave_reported.get((unit_id, d), 0)
            result[(unit_id, d)] = Figures(expected, reported, abnormal)
    return result


def _subunits(org: OrgTree, own: dict[tuple[int, date], Figures],
              subtree: dict[tuple[int, date], Figures], unit_id: int, d: date) -> list[SubUnit]:
    """Children ranked by rate, lowest first (none expected: last); plus the unit's own
    direct members as a line of their own, so that the lines add up to the unit's figures."""
    lines = [SubUnit(c, org.units[c].name, _shared(subtree.get((c, d))))
             for c in org.children.get(unit_id, [])]
    mine = own.get((unit_id, d))
    if mine is not None and (mine.expected or mine.abnormal) and lines:
        lines.append(SubUnit(None, org.units[unit_id].name, _shared(mine)))
    return sorted(lines, key=lambda s: (s.figures.rate is None, s.figures.rate or 0.0,
                                        -s.figures.abnormal, s.name))


def _case(row: q.CaseRow, label: tuple[str, ...]) -> AbnormalCase:
    return AbnormalCase(
        member_id=row.member_id, member_name=row.member_name, unit_id=row.unit_id,
        unit_names=label, relation=row.relation, person=row.person,
        temperature=row.temperature, symptoms=row.symptoms, contact_case=row.contact_case,
        travel=row.travel, isolation=row.isolation, reported_at=row.reported_at)
