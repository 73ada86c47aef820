"""Days off: holidays set on a unit (for its whole subtree) and skipping weekends.

Operator tools (the CLI) call these; schedule.is_day_off and the tick read the result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Holiday, Unit
from bot.services.org import audit

_SEPARATOR = re.compile(r"[/／]")


def split_unit_path(text: str) -> tuple[str, ...]:
    """`Group/Company A/Branch 3` → ("Group", "Company A", "Branch 3"); empty parts dropped."""
    return tuple(part.strip() for part in _SEPARATOR.split(text) if part.strip())


async def find_unit(session: AsyncSession, parts: tuple[str, ...]) -> Unit | None:
    """The existing unit at `parts` (names from the root), or None; never creates one."""
    parent_id: int | None = None
    unit: Unit | None = None
    for name in parts:
        condition = Unit.parent_id.is_(None) if parent_id is None else \
            Unit.parent_id == parent_id
        unit = await session.scalar(select(Unit).where(condition, Unit.name == name))
        if unit is None:
            return None
        parent_id = unit.id
    return unit


@dataclass(frozen=True)
class HolidayLine:
    day: date
    name: str


async def add_holiday(session: AsyncSession, unit: Unit, day: date, name: str, *,
                      now: datetime, actor: str) -> bool:
    """Add (or rename) the unit's holiday on `day`; True when it is new."""
    holiday = await session.scalar(
        select(Holiday).where(Holiday.unit_id == unit.id, Holiday.day == day))
    created = holiday is None
    if holiday is None:
        holiday = Holiday(unit_id=unit.id, day=day)
        session.add(holiday)
    holiday.name = name[:64]
    await audit.record(session, actor=actor, action="holiday_add", now=now,
                       target=f"unit:{unit.id}", details={"day": day.isoformat()})
    return created


async def remove_holiday(session: AsyncSession, unit: Unit, day: date, *,
                         now: datetime, actor: str) -> bool:
    """Remove the unit's holiday on `day`; False when there was none."""
    result = await session.execute(
        delete(Holiday).where(Holiday.unit_id == unit.id, Holiday.day == day))
    removed = bool(result.rowcount)  # type: ignore[attr-defined]
    if removed:
        await audit.record(session, actor=actor, action="holiday_remove", now=now,
                           target=f"unit:{unit.id}", details={"day": day.isoformat()})
    return removed


async def list_holidays(session: AsyncSession, unit: Unit,
                        since: date | None = None) -> list[HolidayLine]:
    """The holidays set on this unit itself (ancestors' apply too, but are listed there)."""
    query = select(Holiday).where(Holiday.unit_id == unit.id).order_by(Holiday.day)
    if since is not None:
        query = query.where(Holiday.day >= since)
    return [HolidayLine(h.day, h.name) for h in await session.scalars(query)]


async def set_skip_weekends(session: AsyncSession, unit: Unit, value: bool | None, *,
                            now: datetime, actor: str) -> None:
    """True/False for this unit and (unless they set their own) its subtree; None inherits."""
    unit.skip_weekends = value
    await audit.record(session, actor=actor, action="schedule_change", now=now,
                       target=f"unit:{unit.id}", details={"skip_weekends": value})
