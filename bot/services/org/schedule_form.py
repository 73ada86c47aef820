"""/setschedule by buttons: each setting of a unit's day is a button; its value is tapped from a
few common ones or typed as people say it (`早上7点半`, `10点,11点半`, `跳过`). The unit is
checked against the actor at every step; the typed step is a Draft row, so another instance
or a restart carries on.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Draft
from bot.services import drafts
from bot.services.drafts import DraftKind
from bot.services.org.permissions import Actor, unit_in_reach
from bot.services.org.unit_admin import (
    InvalidSchedule,
    ScheduleArgsError,
    ScheduleView,
    Setting,
    schedule_view,
    set_schedule,
    value_for,
)

SCHEDULE_DRAFT = DraftKind.SCHEDULE
# Zones offered as buttons (by index); any other is typed.
ZONES = ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo",
         "Europe/London", "Europe/Berlin", "America/New_York", "UTC")


class FormStatus(enum.StrEnum):
    ASK = "ask"  # show the setting's choices
    SAVED = "saved"  # see `view`
    INVALID = "invalid"  # see `error`; nothing changed
    NOT_ALLOWED = "not_allowed"
    EXPIRED = "expired"


@dataclass(frozen=True)
class FormReply:
    status: FormStatus
    unit_id: int | None = None
    setting: Setting | None = None
    view: ScheduleView | None = None
    error: InvalidSchedule | None = None



async def ask(session: AsyncSession, actor: Actor, unit_id: int, setting: Setting, *,
              now: datetime) -> FormReply:
    """A setting's button: its choices, and a typed value is awaited."""
    unit = await unit_in_reach(session, actor, unit_id, denied="schedule_denied", now=now)
    if unit is None:
        return FormReply(FormStatus.NOT_ALLOWED)
    await drafts.put(session, actor.telegram_user_id, kind=SCHEDULE_DRAFT, step=setting.value,
                     data={"unit": unit.id}, now=now)
    return FormReply(FormStatus.ASK, unit.id, setting)


async def choose(session: AsyncSession, actor: Actor, unit_id: int, setting: Setting,
                 raw: str, *, now: datetime, default_timezone: str) -> FormReply:
    """A value tapped or typed: saved when the day it makes is sane."""
    unit = await unit_in_reach(session, actor, unit_id, denied="schedule_denied", now=now)
    if unit is None:
        return FormReply(FormStatus.NOT_ALLOWED)
    try:
        value = value_for(setting, raw)
        view = await set_schedule(session, actor, unit, {setting: value}, now=now,
                                  default_timezone=default_timezone)
    except InvalidSchedule as invalid:
        return FormReply(FormStatus.INVALID, unit.id, setting, error=invalid)
    await drafts.drop(session, actor.telegram_user_id, SCHEDULE_DRAFT)
    return FormReply(FormStatus.SAVED, unit.id, setting, view=view)


async def typed(session: AsyncSession, actor: Actor, text: str, *, now: datetime,
                default_timezone: str) -> FormReply:
    """Text while a setting's choices are shown: its value."""
    draft = await session.get(Draft, actor.telegram_user_id)
    data = await drafts.current_data(session, actor.telegram_user_id, SCHEDULE_DRAFT, now)
    if draft is None or data is None:
        return FormReply(FormStatus.EXPIRED)
    try:
        setting = Setting(draft.step)
    except ValueError:
        return FormReply(FormStatus.EXPIRED)
    if len(text) > 64:
        return FormReply(FormStatus.INVALID, int(data["unit"]), setting,
                         error=InvalidSchedule(ScheduleArgsError.TOO_LONG))
    return await choose(session, actor, int(data["unit"]), setting, text, now=now,
                        default_timezone=default_timezone)


async def overview(session: AsyncSession, actor: Actor, unit_id: int, *, now: datetime,
                   default_timezone: str) -> FormReply:
    """Back to the schedule with its buttons (the typed step closed)."""
    unit = await unit_in_reach(session, actor, unit_id, denied="schedule_denied", now=now)
    await drafts.drop(session, actor.telegram_user_id, SCHEDULE_DRAFT)
    if unit is None:
        return FormReply(FormStatus.NOT_ALLOWED)
    return FormReply(FormStatus.SAVED, unit.id,
                     view=await schedule_view(session, unit, default_timezone))
