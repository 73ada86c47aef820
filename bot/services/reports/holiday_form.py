"""/holidays: a leader's days off for their unit (and so its subtree), from the chat.

The list with a remove button for each, and Add: the day (or days) and a name written as
people say them (`1月1日 元旦`, `Feb 10 to Feb 16 Spring Festival`). The unit is checked
against the actor at every step; the typed step is a Draft row; changes are audited
(services.reports.holidays).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Draft, Unit
from bot.services import drafts
from bot.services.drafts import DraftKind
from bot.services.members.leaves import actor_today
from bot.services.org.permissions import Actor, unit_in_reach
from bot.services.org.units import unit_names
from bot.services.reports.holidays import (
    HolidayLine,
    add_holiday,
    list_holidays,
    remove_holiday,
)
from bot.services.reports.schedule import schedule_for
from bot.services.when import InvalidWhen, WhenError, parse_day_range

HOLIDAY_DRAFT = DraftKind.HOLIDAY
MAX_DAYS = 31
MAX_NAME = 64


class Status(enum.StrEnum):
    LIST = "list"
    ASK = "ask"  # the day and name awaited
    ADDED = "added"  # `start`..`end` named `name`, then the list
    REMOVED = "removed"  # `start`, then the list
    BAD = "bad"  # the text could not be read: ask again
    TOO_LONG = "too_long"
    NOT_ALLOWED = "not_allowed"
    EXPIRED = "expired"


@dataclass(frozen=True)
class HolidayReply:
    status: Status
    unit_id: int | None = None
    unit: tuple[str, ...] = ()
    lines: tuple[HolidayLine, ...] = ()
    start: date | None = None
    end: date | None = None
    name: str = ""



async def listing(session: AsyncSession, unit: Unit, *, now: datetime,
                  default_timezone: str, status: Status = Status.LIST, start: date | None = None,
                  end: date | None = None, name: str = "") -> HolidayReply:
    today = (await schedule_for(session, unit, default_timezone)).local_date(now)
    lines = await list_holidays(session, unit, since=today)
    return HolidayReply(status, unit.id, tuple(await unit_names(session, unit)), tuple(lines),
                        start, end, name)


async def ask(session: AsyncSession, actor: Actor, unit_id: int, *,
              now: datetime) -> HolidayReply:
    unit = await unit_in_reach(session, actor, unit_id, denied="holiday_denied", now=now)
    if unit is None:
        return HolidayReply(Status.NOT_ALLOWED)
    await drafts.put(session, actor.telegram_user_id, kind=HOLIDAY_DRAFT, step="day",
                     data={"unit": unit.id}, now=now)
    return HolidayReply(Status.ASK, unit.id, tuple(await unit_names(session, unit)))


def split_day_and_name(text: str, today: date) -> tuple[date, date, str]:
    """`1月1日 元旦`, `1月1日元旦`, `Feb 10 to Feb 16 Spring Festival` → (first, last, name);
    the longest head that reads as days wins."""
    words = text.split()
    for size in range(len(words), 0, -1):
        try:
            start, end = parse_day_range(" ".join(words[:size]), today)
        except InvalidWhen:
            continue
        return start, end, " ".join(words[size:])
    first = words[0] if words else ""
    for cut in range(len(first) - 1, 0, -1):  # a name written right after the day
        try:
            start, end = parse_day_range(first[:cut], today)
        except InvalidWhen:
            continue
        return start, end, " ".join([first[cut:], *words[1:]])
    raise InvalidWhen(WhenError.FORMAT)


async def typed(session: AsyncSession, actor: Actor, text: str, *, now: datetime,
                default_timezone: str) -> HolidayReply:
    draft = await session.get(Draft, actor.telegram_user_id)
    data = await drafts.current_data(session, actor.telegram_user_id, HOLIDAY_DRAFT, now)
    if draft is None or data is None:
        return HolidayReply(Status.EXPIRED)
    unit = await unit_in_reach(session, actor, int(data["unit"]), denied="holiday_denied",
                               now=now)
    if unit is None:
        return HolidayReply(Status.NOT_ALLOWED)
    today = await actor_today(session, actor, now=now, default_timezone=default_timezone)
    try:
        start, end, name = split_day_and_name(" ".join(text.split())[:100], today)
    except InvalidWhen:
        return HolidayReply(Status.BAD, unit.id, tuple(await unit_names(session, unit)))
    if end < start or (end - start).days + 1 > MAX_DAYS:
        return HolidayReply(Status.TOO_LONG, unit.id, tuple(await unit_names(session, unit)))
    name = name[:MAX_NAME] or "—"
    day = start
    while day <= end:
        await add_holiday(session, unit, day, name, now=now, actor=actor.audit_name)
        day += timedelta(days=1)
    await drafts.drop(session, actor.telegram_user_id, HOLIDAY_DRAFT)
    return await listing(session, unit, now=now, default_timezone=default_timezone,
                         status=Status.ADDED, start=start, end=end, name=name)


async def remove(session: AsyncSession, actor: Actor, unit_id: int, day: date, *,
                 now: datetime, default_timezone: str) -> HolidayReply:
    unit = await unit_in_reach(session, actor, unit_id, denied="holiday_denied", now=now)
    if unit is None:
        return HolidayReply(Status.NOT_ALLOWED)
    await remove_holiday(session, unit, day, now=now, actor=actor.audit_name)
    return await listing(session, unit, now=now, default_timezone=default_timezone,
                         status=Status.REMOVED, start=day)
