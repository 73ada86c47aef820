"""A unit's figures for one day: the numbers the digests, /status, the dashboard and the
stored daily figures (services.digest.fixing) share; and a digest's run of them (`History`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import overload


@dataclass(slots=True)
class Figures:
    expected: int = 0
    reported: int = 0
    abnormal: int = 0
    late: int = 0  # of the reported, those made after the deadline (past days only)
    on_leave: int = 0  # members on leave or exempt (past days only)

    def add(self, other: Figures) -> None:
        self.expected += other.expected
        self.reported += other.reported
        self.abnormal += other.abnormal
        self.late += other.late
        self.on_leave += other.on_leave

    def copy(self) -> Figures:
        return Figures(self.expected, self.reported, self.abnormal, self.late, self.on_leave)

    @property
    def rate(self) -> float | None:
        """Reported / expected, None when nobody is expected (no division by zero)."""
        return self.reported / self.expected if self.expected else None


class History(Sequence[tuple[date, Figures]]):
    """A digest's daily figures for its chart, oldest first: read from the run's shared
    (unit, day) → figures when asked (5,000 digests × 14 days were 70,000 tuples made for
    the few charts a tick draws)."""

    __slots__ = ("_unit", "_days", "_figures")

    def __init__(self, unit_id: int, days: Sequence[date],
                 figures: Mapping[tuple[int, date], Figures]) -> None:
        self._unit, self._days, self._figures = unit_id, days, figures

    def __len__(self) -> int:
        return len(self._days)

    @overload
    def __getitem__(self, index: int) -> tuple[date, Figures]: ...
    @overload
    def __getitem__(self, index: slice) -> list[tuple[date, Figures]]: ...
    def __getitem__(self, index: int | slice
                    ) -> tuple[date, Figures] | list[tuple[date, Figures]]:
        if isinstance(index, slice):
            return [self._point(d) for d in self._days[index]]
        return self._point(self._days[index])

    def _point(self, day: date) -> tuple[date, Figures]:
        found = self._figures.get((self._unit, day))
        return day, found if found is not None else Figures()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, History | list | tuple):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # compared by content, like a list
