"""Adding a shift by buttons (/shifts → Add): the day, the hours, the post, the person — each
tapped or written as people say it (明天, 早上8点到12点, a name). A Draft row keeps the
answers; the person is checked against the leader's units when the shift is added.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Draft, Shift, Unit
from bot.services import drafts
from bot.services.drafts import DraftKind
from bot.services.duty.file import ShiftArgsError, parse_post, parse_time
from bot.services.duty.shifts import EditResult, add_shift
from bot.services.members.leaves import FindStatus, actor_today, find_members
from bot.services.org.permissions import Actor, subtree_clause
from bot.services.roster.tabular import CellError
from bot.services.when import InvalidWhen, parse_clock
from bot.services.when import parse_day as parse_when_day

SHIFT_DRAFT = DraftKind.SHIFT_ADD
DAYS_OFFERED = 7
MAX_POSTS = 6


class Step(enum.StrEnum):
    DAY = "day"
    HOURS = "hours"
    POST = "post"
    WHO = "who"


class FormStatus(enum.StrEnum):
    ASK = "ask"  # `step` with its choices (`days`, `posts`, `people`)
    BAD = "bad"  # what was written for `step` could not be read
    DONE = "done"  # `edit`
    EXPIRED = "expired"


@dataclass(frozen=True)
class FormReply:
    status: FormStatus
    step: Step | None = None
    days: tuple[date, ...] = ()
    posts: tuple[str, ...] = ()
    people: tuple[tuple[int, str], ...] = ()
    edit: EditResult | None = None


async def _save(session: AsyncSession, actor: Actor, step: Step, data: dict[str, Any],
                now: datetime) -> None:
    await drafts.put(session, actor.telegram_user_id, kind=SHIFT_DRAFT, step=step.value,
                     data=data, now=now)


async def _ask(session: AsyncSession, actor: Actor, step: Step, data: dict[str, Any], *,
               now: datetime, default_timezone: str) -> FormReply:
    await _save(session, actor, step, data, now)
    if step is Step.DAY:
        today = await actor_today(session, actor, now=now, default_timezone=default_timezone)
        return FormReply(FormStatus.ASK, step, days=tuple(
            today + timedelta(days=i) for i in range(DAYS_OFFERED)))
    if step is Step.POST:
        query = select(Shift.post).join(Unit, Unit.id == Shift.unit_id).where(
            Shift.cancelled.is_(False)).order_by(Shift.id.desc()).limit(50)
        if actor.root_path is not None:
            query = query.where(subtree_clause(Unit.path, actor.root_path))
        recent = list(dict.fromkeys((await session.scalars(query)).all()))[:MAX_POSTS]
        data["posts"] = recent  # a tapped post is its index here
        await _save(session, actor, step, data, now)
        return FormReply(FormStatus.ASK, step, posts=tuple(recent))
    return FormReply(FormStatus.ASK, step)


async def start(session: AsyncSession, actor: Actor, *, now: datetime,
                default_timezone: str) -> FormReply:
    return await _ask(session, actor, Step.DAY, {}, now=now, default_timezone=default_timezone)


async def _current(session: AsyncSession, actor: Actor,
                   now: datetime) -> tuple[Step, dict[str, Any]] | None:
    draft = await session.get(Draft, actor.telegram_user_id)
    data = await drafts.current_data(session, actor.telegram_user_id, SHIFT_DRAFT, now)
    if draft is None or data is None:
        return None
    try:
        return Step(draft.step), data
    except ValueError:
        return None


async def answer(session: AsyncSession, actor: Actor, value: str, *, tapped: bool,
                 now: datetime, default_timezone: str) -> FormReply:
    """A tap or a text for the current step; the next step, or the shift added."""
    current = await _current(session, actor, now)
    if current is None:
        return FormReply(FormStatus.EXPIRED)
    step, data = current
    value = value.strip()[:100]
    try:
        if step is Step.DAY:
            today = await actor_today(session, actor, now=now,
                                      default_timezone=default_timezone)
            day = date.fromisoformat(value) if tapped else parse_when_day(value, today)
            data["day"] = day.isoformat()
            nxt = Step.HOURS
        elif step is Step.HOURS:
            if tapped:  # HHMM-HHMM
                value = f"{value[:2]}:{value[2:4]}-{value[5:7]}:{value[7:9]}"
            data["start"], data["end"] = _hours(value)
            nxt = Step.POST
        elif step is Step.POST:
            posts = list(data.get("posts") or [])
            data["post"] = parse_post(posts[int(value)] if tapped else value)
            nxt = Step.WHO
        else:
            return await _who(session, actor, data, value, tapped=tapped, now=now)
    except (InvalidWhen, CellError, ShiftArgsError, ValueError, IndexError):
        return FormReply(FormStatus.BAD, step)
    return await _ask(session, actor, nxt, data, now=now, default_timezone=default_timezone)


def _hours(text: str) -> tuple[str, str]:
    """`08:00-12:00`, `早上8点到12点`, `8am to 12pm` → ("08:00", "12:00")."""
    for separator in ("-", "–", "—", "~", "～", "到", "至", " to "):
        start, sep, end = text.partition(separator)
        if sep and start.strip() and end.strip():
            break
    else:
        raise ShiftArgsError("no range")
    times = []
    for part in (start, end):
        try:
            times.append(parse_time(part))
        except CellError:
            times.append(parse_clock(part).strftime("%H:%M"))
    if times[0] == times[1]:
        raise ShiftArgsError("same times")
    return times[0], times[1]


async def _who(session: AsyncSession, actor: Actor, data: dict[str, Any], value: str, *,
               tapped: bool, now: datetime) -> FormReply:
    if tapped:
        member_id = int(value)
    else:
        found = await find_members(session, actor, value[:64], now=now)
        if found.status is not FindStatus.FOUND:
            return FormReply(FormStatus.BAD, Step.WHO)
        if len(found.candidates) > 1:
            return FormReply(FormStatus.ASK, Step.WHO, people=tuple(
                (c.member_id, f"{c.name} · {' / '.join(c.unit_path[-2:])}")
                for c in found.candidates))
        member_id = found.candidates[0].member_id
    edit = await add_shift(session, actor, member_id=member_id,
                           day=date.fromisoformat(str(data["day"])), start=str(data["start"]),
                           end=str(data["end"]), post=str(data["post"]), now=now)
    await drafts.drop(session, actor.telegram_user_id, SHIFT_DRAFT)
    return FormReply(FormStatus.DONE, Step.WHO, edit=edit)
