"""A unit's figures for one day: the numbers the digests, /status, the dashboard and the
stored daily figures (services.digest.fixing) share."""

from __future__ import annotations

from dataclasses import dataclass


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
