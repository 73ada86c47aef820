"""/leave by buttons: pick the member from the leader's subtree (units to open, members to
tap, or a name typed), then the days (tapped, or written as people say them: 明天到下周五),
then confirm. The reach is checked at every step; the step is a Draft row.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Draft, Member, Unit
from bot.services import drafts
from bot.services.drafts import DraftKind
from bot.services.members.leaves import (
    Candidate,
    FindStatus,
    actor_today,
    find_members,
)
from bot.services.org.permissions import Actor
from bot.services.org.units import unit_names
from bot.services.when import InvalidWhen, WhenError, parse_day_range

LEAVE_DRAFT = DraftKind.LEAVE
MAX_SHOWN = 30  # units and members at one level


class Step(enum.StrEnum):
    WHO = "who"
    DAYS = "days"


class Preset(enum.StrEnum):
    TODAY = "today"
    TOMORROW = "tomorrow"
    WEEK = "week"  # today and the next six days
    REST_OF_WEEK = "rest"  # today to Sunday


class FormStatus(enum.StrEnum):
    PICK = "pick"  # units and members to tap (see `units`, `members`)
    DAYS = "days"  # which days for `member`
    CONFIRM = "confirm"  # `member`, `start`, `end`
    BAD_DAYS = "bad_days"  # `error`
    NOT_FOUND = "not_found"  # a typed name matched nobody
    NOT_ALLOWED = "not_allowed"
    EXPIRED = "expired"


@dataclass(frozen=True)
class FormReply:
    status: FormStatus
    unit: tuple[str, ...] = ()
    unit_id: int | None = None
    units: tuple[tuple[int, str], ...] = ()
    members: tuple[tuple[int, str], ...] = ()
    member: Candidate | None = None
    start: date | None = None
    end: date | None = None
    error: WhenError | None = None


async def _unit(session: AsyncSession, actor: Actor, unit_id: int | None) -> Unit | None:
    if unit_id is None:
        if actor.root_unit_id is None:
            return None  # an admin: the top of the tree
        unit_id = actor.root_unit_id
    unit = await session.get(Unit, unit_id)
    return unit if unit is not None and unit.active and actor.covers(unit) else None


async def browse(session: AsyncSession, actor: Actor, unit_id: int | None, *,
                 now: datetime) -> FormReply:
    """The units below `unit_id` (None: the actor's own unit, or the top for an admin) and
    the members in it; the form waits for a tap or a typed name."""
    unit = await _unit(session, actor, unit_id)
    if unit is None and (unit_id is not None or actor.root_unit_id is not None):
        return FormReply(FormStatus.NOT_ALLOWED)
    await drafts.put(session, actor.telegram_user_id, kind=LEAVE_DRAFT, step=Step.WHO.value,
                     data={}, now=now)
    condition = Unit.parent_id.is_(None) if unit is None else Unit.parent_id == unit.id
    units = (await session.execute(select(Unit.id, Unit.name).where(condition, Unit.active)
                                   .order_by(Unit.name).limit(MAX_SHOWN))).all()
    members = [] if unit is None else (await session.execute(
        select(Member.id, Member.name).where(Member.unit_id == unit.id, Member.active)
        .order_by(Member.name, Member.id).limit(MAX_SHOWN))).all()
    return FormReply(FormStatus.PICK, tuple(await unit_names(session, unit)) if unit else (),
                     unit.id if unit else None, tuple((u[0], u[1]) for u in units),
                     tuple((m[0], m[1]) for m in members))


async def pick(session: AsyncSession, actor: Actor, member_id: int, *,
               now: datetime) -> FormReply:
    """A member tapped: which days?"""
    member = await session.get(Member, member_id)
    unit = await session.get(Unit, member.unit_id) if member is not None else None
    if member is None or unit is None or not member.active or not actor.covers(unit):
        return FormReply(FormStatus.NOT_ALLOWED)
    await drafts.put(session, actor.telegram_user_id, kind=LEAVE_DRAFT, step=Step.DAYS.value,
                     data={"member": member.id}, now=now)
    return FormReply(FormStatus.DAYS, member=Candidate(
        member.id, member.name, tuple(await unit_names(session, unit))))


async def preset(session: AsyncSession, actor: Actor, member_id: int, which: Preset, *,
                 now: datetime, default_timezone: str) -> FormReply:
    """Days tapped: the confirmation."""
    chosen = await pick(session, actor, member_id, now=now)
    if chosen.member is None:
        return chosen
    today = await actor_today(session, actor, now=now, default_timezone=default_timezone)
    start = today + timedelta(days=1) if which is Preset.TOMORROW else today
    end = {Preset.TODAY: today, Preset.TOMORROW: start, Preset.WEEK: today + timedelta(days=6),
           Preset.REST_OF_WEEK: today + timedelta(days=6 - today.weekday())}[which]
    await drafts.drop(session, actor.telegram_user_id, LEAVE_DRAFT)
    return FormReply(FormStatus.CONFIRM, member=chosen.member, start=start, end=end)


async def typed(session: AsyncSession, actor: Actor, text: str, *, now: datetime,
                default_timezone: str) -> FormReply:
    """Text in the form: a name (or phone) at the first step, the days at the second."""
    draft = await session.get(Draft, actor.telegram_user_id)
    data = await drafts.current_data(session, actor.telegram_user_id, LEAVE_DRAFT, now)
    if draft is None or data is None:
        return FormReply(FormStatus.EXPIRED)
    if draft.step == Step.WHO:
        found = await find_members(session, actor, text[:64], now=now)
        if found.status is not FindStatus.FOUND:
            return FormReply(FormStatus.NOT_FOUND)
        if len(found.candidates) == 1:
            return await pick(session, actor, found.candidates[0].member_id, now=now)
        return FormReply(FormStatus.PICK, members=tuple(
            (c.member_id, f"{c.name} · {' / '.join(c.unit_path[-2:])}")
            for c in found.candidates))
    chosen = await pick(session, actor, int(data.get("member") or 0), now=now)
    if chosen.member is None:
        return chosen
    today = await actor_today(session, actor, now=now, default_timezone=default_timezone)
    try:
        start, end = parse_day_range(text, today)
    except InvalidWhen as invalid:
        return FormReply(FormStatus.BAD_DAYS, member=chosen.member, error=invalid.code)
    await drafts.drop(session, actor.telegram_user_id, LEAVE_DRAFT)
    return FormReply(FormStatus.CONFIRM, member=chosen.member, start=start, end=end)
