"""Who has not reported: each digest's list of missing members, in the order the digest
prints them (the units depth first, then by name), read once a day for every digest of it.

The tick's digests share one list of the day (each digest a slice of it). A single large
subtree's (/status, the dashboard: the root of 100,000 members has ~20,000 missing) reads
only what can be shown: every missing member of its first units in that order, more than a
text holds; its length is the count of all of them, from the figures (expected, not
reported), and it says it is not `complete`: a reader lists what there is and counts the
rest, never a count of one kind from the part (bot.render.digest).
"""

from __future__ import annotations

import asyncio
from bisect import bisect_left
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import overload

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.digest import queries as q
from bot.services.digest.figures import Figures
from bot.services.digest.queries import Reach
from bot.services.digest.tree import OrgTree

# A single subtree's missing members read in full up to this many; beyond it its first units
# up to (at least) this many names. A text of 4,096 characters holds fewer names of two
# characters or more (with their separators and the units' names), the dashboard 300.
HEAD = 1000
# ... read by their units' ids when these are no more than this many (else all are read).
_FIRST_UNITS = 500


class InUnit:
    """A line about someone in a unit below (or at) the digest's: `unit_names` is the path
    from just below the digest's unit ("Company A", "Branch 3"), or its own name; readers
    join it with the locale's joiner (bot.i18n.unit_path)."""

    unit_names: tuple[str, ...]

    @property
    def unit_label(self) -> str:
        """The names as one string ("Company A / Branch 3"): the dashboard's JSON."""
        return " / ".join(self.unit_names)


@dataclass(frozen=True)
class Missing(InUnit):
    member_id: int
    name: str
    unit_id: int
    unit_names: tuple[str, ...]
    reach: Reach


class MissingList(Sequence[Missing]):
    """A digest's missing members, in order (unit depth first, then name): a slice of the
    day's list that every digest of that day shares, each line made when read (at 100,000
    members the root alone has ~20,000, and each appeared again in every ancestor's digest).

    `total`, when given, is the count of all of them while the rows are a part (see
    `missing_lists`): a prefix of the whole list, whole units. `len` is then `total`;
    iterating, indexing and `by` read the rows there are."""

    __slots__ = ("_rows", "_start", "_stop", "_org", "_root", "_by", "_total")

    def __init__(self, rows: Sequence[q.MissingRow], start: int, stop: int, org: OrgTree,
                 root: int, total: int | None = None) -> None:
        self._rows, self._start, self._stop = rows, start, stop
        self._org, self._root = org, root
        self._by: dict[str, list[Missing]] = {}
        self._total = stop - start if total is None else total

    @property
    def complete(self) -> bool:
        """Whether every missing member is in the rows (not only those of the first units)."""
        return self._total == self._stop - self._start

    def __len__(self) -> int:
        return self._total

    @overload
    def __getitem__(self, index: int) -> Missing: ...
    @overload
    def __getitem__(self, index: slice) -> list[Missing]: ...
    def __getitem__(self, index: int | slice) -> Missing | list[Missing]:
        read = self._stop - self._start
        if isinstance(index, slice):
            return [self._line(self._start + i) for i in range(*index.indices(read))]
        if not -read <= index < read:
            raise IndexError(index)
        return self._line(self._start + index % read)

    def __iter__(self) -> Iterator[Missing]:
        return (self._line(i) for i in range(self._start, self._stop))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MissingList | list | tuple):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # compared by content, like a list

    def by(self, reach: Reach) -> list[Missing]:
        """Those of `reach` (of a part: those of its first units)."""
        if (found := self._by.get(reach)) is None:
            found = self._by[reach] = [self._line(i) for i in range(self._start, self._stop)
                                       if self._rows[i][q.REACH] == reach]
        return found

    def _line(self, i: int) -> Missing:
        row = self._rows[i]
        return Missing(row[q.MEMBER_ID], row[q.NAME], row[q.UNIT_ID],
                       self._org.label(row[q.UNIT_ID], self._root), Reach(row[q.REACH]))


async def missing_lists(session: AsyncSession, org: OrgTree, day: date, targets: Collection[int],
                        own: dict[tuple[int, date], Figures], scope: q.Scope
                        ) -> dict[int, MissingList]:
    """Each target's missing members for `day` (all of them on it): from the day's one list,
    or for a single subtree of more than HEAD, those of its first units."""
    if len(targets) == 1:
        [target] = targets
        first, total = _first_units(org, own, target, day)
        if first is not None:
            shared = _in_order(org, day, await q.missing(session, day, first))
            return {target: MissingList(shared, 0, len(shared), org, target, total=total)}
    fetched = await q.missing(session, day, scope)
    await asyncio.sleep(0)  # 20,000 rows for the root: read, then sorted, others between
    shared = _in_order(org, day, fetched)
    keys = [org.order[r[q.UNIT_ID]] for r in shared]
    result = {}
    for t in targets:
        # The list is in the units' depth-first order: a subtree's members are side by side.
        start = bisect_left(keys, org.order[t])
        result[t] = MissingList(shared, start, bisect_left(keys, org.order[t] + org.size[t],
                                                           lo=start), org, t)
    return result


def _in_order(org: OrgTree, day: date, rows: Iterable[q.MissingRow]) -> list[q.MissingRow]:
    """The rows of units open that day (a day off expects nobody), in the digest's order."""
    place = {u: org.order[u] for u in org.units if not org.day_off(u, day)}
    shared = [r for r in rows if r[q.UNIT_ID] in place]
    shared.sort(key=lambda r: (place[r[q.UNIT_ID]], r[q.NAME], r[q.MEMBER_ID]))
    return shared


def _first_units(org: OrgTree, own: dict[tuple[int, date], Figures], target: int, day: date
                 ) -> tuple[list[int] | None, int]:
    """The target's first units in order whose missing members (their own figures: expected,
    not reported; none on a day off) reach HEAD, and how many are missing in the whole
    subtree; None instead of the units when the whole subtree has no more than HEAD, or they
    are more than _FIRST_UNITS (few missing in each: reading all of them is then as quick)."""
    units = org.subtree(target)
    first: list[int] | None = None
    total = 0
    for i, u in enumerate(units):
        if (figures := own.get((u, day))) is not None:
            total += figures.expected - figures.reported
            if first is None and total >= HEAD:
                first = units[:i + 1]
    if total <= HEAD or first is None or len(first) > _FIRST_UNITS:
        return None, total
    return first, total
