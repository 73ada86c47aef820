"""The active unit tree the digests are computed over: ancestors, depth-first order and
subtree sizes, schedules and days off, roll-ups and the relative labels digests print."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from bot.services.digest import queries as q
from bot.services.digest.figures import Figures
from bot.services.reports.schedule import Schedule


def _ids(path: str) -> list[int]:
    return [int(p) for p in path.strip("/").split("/") if p]


class OrgTree:
    """The active unit tree with schedules, and the relative labels digests print."""

    def __init__(self, units: Sequence[q.OrgUnit], schedules: dict[int, Schedule],
                 holidays: set[tuple[int, date]]) -> None:
        self.units = {u.id: u for u in units}
        self.schedules = schedules
        self.holidays = holidays
        self.children: dict[int, list[int]] = defaultdict(list)
        for u in units:
            if u.parent_id is not None and u.parent_id in self.units:
                self.children[u.parent_id].append(u.id)
        self.ancestors = {u.id: [a for a in _ids(u.path) if a in self.units] for u in units}
        # Depth-first, children by id: a subtree is `size` units from its own place.
        depth_first = self._depth_first = sorted(self.units,
                                                 key=lambda u: _ids(self.units[u].path))
        self.order = {u: i for i, u in enumerate(depth_first)}
        self.size = dict.fromkeys(self.units, 1)
        for uid in reversed(depth_first):
            if len(chain := self.ancestors[uid]) > 1:
                self.size[chain[-2]] += self.size[uid]
        self._bottom_up = [uid for uid in reversed(depth_first) if len(self.ancestors[uid]) > 1]
        self._labels: dict[tuple[int, int], tuple[str, ...]] = {}
        self._days_off: dict[tuple[int, date], bool] = {}

    def day_off(self, unit_id: int, day: date) -> bool:
        if (off := self._days_off.get((unit_id, day))) is None:
            off = (self.schedules[unit_id].skip_weekends and day.weekday() >= 5) or any(
                (a, day) in self.holidays for a in self.ancestors[unit_id])
            self._days_off[(unit_id, day)] = off
        return off

    def subtree(self, unit_id: int) -> list[int]:
        """`unit_id` and every active unit below it."""
        start = self.order[unit_id]
        return self._depth_first[start:start + self.size[unit_id]]

    def covers_all(self, unit_id: int) -> bool:
        """Whether every active unit is in `unit_id`'s subtree."""
        return self.size[unit_id] == len(self.units)

    def rolled_up(self, own: dict[tuple[int, date], Figures],
                  days: Sequence[date]) -> dict[tuple[int, date], Figures]:
        """Each unit's whole-subtree figures for each of `days`: its own plus its children's,
        added once into the nearest active parent, deepest units first."""
        result = {key: figures.copy() for key, figures in own.items()}
        for u in self._bottom_up:
            parent = self.ancestors[u][-2]
            for d in days:
                if (mine := result.get((u, d))) is not None:
                    if (theirs := result.get((parent, d))) is None:
                        result[(parent, d)] = mine.copy()
                    else:
                        theirs.add(mine)
        return result

    def label(self, unit_id: int, root_id: int) -> tuple[str, ...]:
        """`unit_id`'s names below `root_id` ("Company A", "Branch 3"), or root's own name.
        Kept: every member missing in a unit asks for the same few labels."""
        if (label := self._labels.get((unit_id, root_id))) is None:
            chain = self.ancestors[unit_id]
            below = chain[chain.index(root_id) + 1:] if root_id in chain else chain
            label = tuple(self.units[i].name for i in below) or (self.units[root_id].name,)
            self._labels[(unit_id, root_id)] = label
        return label


class _Last:
    """The last tree made, with what it was made of: the tree changes a few times a day, while
    /status, the dashboard and the digests ask for it many times; at 5,000 units making it
    (and resolving the schedules) is ~30 ms of the root's /status."""

    units: Sequence[q.OrgUnit] = ()
    default_timezone = ""
    schedules: dict[int, Schedule] = {}
    holidays: frozenset[tuple[int, date]] = frozenset()
    days: tuple[date, date] | None = None
    tree: OrgTree | None = None


def schedules_of(units: Sequence[q.OrgUnit], default_timezone: str) -> dict[int, Schedule]:
    """`q.resolve_schedules`, made again only when a unit's row (or the default) changed.
    The caller reads it, never changes it."""
    if units != _Last.units or default_timezone != _Last.default_timezone:
        _Last.schedules = q.resolve_schedules(units, default_timezone)
        _Last.units, _Last.default_timezone, _Last.tree = units, default_timezone, None
    return _Last.schedules


def org_tree(units: Sequence[q.OrgUnit], default_timezone: str, days: tuple[date, date],
             holidays: set[tuple[int, date]]) -> OrgTree:
    """The tree of `units` (their rows as loaded now) with the `holidays` of the `days`
    (first, last) it is asked about, made again when any of them changed: at least once a
    day, so that what the tree keeps of a day (days off, labels) goes with it."""
    schedules = schedules_of(units, default_timezone)
    if _Last.tree is None or days != _Last.days or holidays != _Last.holidays:
        _Last.tree = OrgTree(units, schedules, holidays)
        _Last.days, _Last.holidays = days, frozenset(holidays)
    return _Last.tree
