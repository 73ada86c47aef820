"""Each unit's daily schedule, inherited down the tree, and local dates in its time zone.

A unit's unset fields come from the nearest ancestor that sets them, else the defaults.
Holidays set on a unit apply to its whole subtree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Holiday, Unit
from bot.services.when import InvalidWhen, parse_clock

DEFAULT_PROMPT = time(7, 30)
DEFAULT_REMINDERS = (time(10, 0), time(11, 30))
DEFAULT_DEADLINE = time(12, 0)
DIGEST_AFTER_DEADLINE_MINUTES = 30


class ScheduleError(ValueError):
    """A schedule value that is not HH:MM (or a list of them)."""


def parse_hhmm(value: str) -> time:
    """"7:30" or "07:30" (full-width colon too), or as people say it ("早上7点半", "7:30am")
    → time; ScheduleError otherwise."""
    text = value.strip().replace("：", ":")
    hours, sep, minutes = text.partition(":")
    if sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and len(hours) <= 2 \
            and int(hours) <= 23 and int(minutes) <= 59:
        return time(int(hours), int(minutes))
    try:
        return parse_clock(value)
    except InvalidWhen:
        raise ScheduleError(value) from None


def parse_times(value: str) -> tuple[time, ...]:
    """"10:00,11:30" → sorted unique times; empty string → no times."""
    parts = [p for p in value.replace("，", ",").replace(" ", ",").split(",") if p.strip()]
    return tuple(sorted({parse_hhmm(p) for p in parts}))


def format_times(times: tuple[time, ...]) -> str:
    return ",".join(t.strftime("%H:%M") for t in times)


@dataclass(frozen=True)
class Schedule:
    timezone: str
    prompt: time
    reminders: tuple[time, ...]
    deadline: time
    digest: time
    skip_weekends: bool

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local(self, now: datetime) -> datetime:
        return now.astimezone(self.zone)

    def local_date(self, now: datetime) -> date:
        return self.local(now).date()

    def at(self, day: date, moment: time) -> datetime:
        """The instant `moment` on `day` in the unit's zone (aware)."""
        return datetime.combine(day, moment, tzinfo=self.zone)

    def is_late(self, now: datetime) -> bool:
        """After today's deadline in the unit's zone."""
        return self.local(now).time() >= self.deadline


class ScheduleFields(Protocol):
    """What a schedule is made of: a Unit, or a row of those columns
    (bot.services.reports.one_tap)."""

    @property
    def path(self) -> str: ...
    @property
    def timezone(self) -> str | None: ...
    @property
    def prompt_time(self) -> str | None: ...
    @property
    def reminder_times(self) -> str | None: ...
    @property
    def deadline_time(self) -> str | None: ...
    @property
    def digest_time(self) -> str | None: ...
    @property
    def skip_weekends(self) -> bool | None: ...


def _ancestor_ids(unit: ScheduleFields) -> list[int]:
    """Ids from the root down to the unit itself."""
    return [int(p) for p in unit.path.strip("/").split("/") if p]


def ancestor_ids(unit: ScheduleFields) -> list[int]:
    """The ids of the unit's ancestors, root first (not the unit itself)."""
    return _ancestor_ids(unit)[:-1]


def resolve(chain: Sequence[ScheduleFields], default_timezone: str) -> Schedule:
    """The schedule of the last unit in `chain` (root first), inheriting unset fields."""
    def nearest(attr: str) -> object:
        for unit in reversed(chain):
            value = getattr(unit, attr)
            if value is not None:
                return value
        return None

    timezone = nearest("timezone") or default_timezone
    prompt = nearest("prompt_time")
    reminders = nearest("reminder_times")
    deadline_text = nearest("deadline_time")
    digest_text = nearest("digest_time")
    deadline = parse_hhmm(str(deadline_text)) if deadline_text else DEFAULT_DEADLINE
    if digest_text:
        digest = parse_hhmm(str(digest_text))
    else:
        minutes = deadline.hour * 60 + deadline.minute + DIGEST_AFTER_DEADLINE_MINUTES
        digest = time(min(minutes // 60, 23), minutes % 60 if minutes < 24 * 60 else 59)
    return Schedule(
        timezone=str(timezone),
        prompt=parse_hhmm(str(prompt)) if prompt else DEFAULT_PROMPT,
        reminders=parse_times(str(reminders)) if reminders is not None else DEFAULT_REMINDERS,
        deadline=deadline,
        digest=digest,
        skip_weekends=bool(nearest("skip_weekends")),
    )


async def unit_chain(session: AsyncSession, unit: Unit) -> list[Unit]:
    ancestors = ancestor_ids(unit)  # the unit is in hand: none to read for a root unit
    if not ancestors:
        return [unit]
    found = {u.id: u for u in await session.scalars(select(Unit).where(Unit.id.in_(ancestors)))}
    return [found[i] for i in ancestors if i in found] + [unit]


async def schedule_for(session: AsyncSession, unit: Unit, default_timezone: str) -> Schedule:
    return resolve(await unit_chain(session, unit), default_timezone)


async def all_schedules(session: AsyncSession, default_timezone: str) -> dict[int, Schedule]:
    """Every active unit's schedule, from one query (the tick needs them all each minute)."""
    units = {u.id: u for u in await session.scalars(select(Unit).where(Unit.active))}
    result = {}
    for unit in units.values():
        chain = [units[i] for i in _ancestor_ids(unit) if i in units]
        result[unit.id] = resolve(chain, default_timezone)
    return result


async def is_day_off(session: AsyncSession, unit: Unit, schedule: Schedule, day: date) -> bool:
    """A weekend (when the unit skips them) or a holiday set on the unit or an ancestor."""
    if schedule.skip_weekends and day.weekday() >= 5:
        return True
    holiday = await session.scalar(
        select(Holiday.id).where(Holiday.unit_id.in_(_ancestor_ids(unit)), Holiday.day == day)
    )
    return holiday is not None
