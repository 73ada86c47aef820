"""Asking to join: someone whose number is not on the roster gives their name and picks their
unit from the tree; the unit's chain (else the nearest one up, else leaders, else the admins —
faq.recipients decides) gets the request with Approve / Decline. Approval adds and links them.

The phone is the one they shared as a contact (Telegram vouches that it is theirs), kept in
the form until the request is made. Every decision, and every refusal to decide, is audited.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Draft, JoinRequest, JoinStatus, Member, Role, Unit
from bot.services import drafts
from bot.services.drafts import DraftKind
from bot.services.faq.recipients import locale_of, recipients_for
from bot.services.members.history import DEFAULT_TIMEZONE, assign
from bot.services.members.settings import MAX_NAME, InvalidText, clean_text
from bot.services.org import audit
from bot.services.org.permissions import Actor
from bot.services.org.units import unit_names
from bot.services.outgoing import Outgoing

logger = logging.getLogger(__name__)

JOIN_DRAFT = DraftKind.JOIN
JOIN_TTL = timedelta(hours=1)
KIND_JOIN = "join"
MAX_CHOICES = 40  # units shown at one level of the tree


class Step(enum.StrEnum):
    OFFERED = "offered"  # the phone is known; "Ask to join" not pressed yet
    NAME = "name"
    UNIT = "unit"


class Outcome(enum.StrEnum):
    ASK_NAME = "ask_name"
    BAD_NAME = "bad_name"
    UNITS = "units"  # pick a unit: `units` below `parent`
    SENT = "sent"  # the request went to `approvers`
    PENDING = "pending"  # one is already waiting
    NO_PHONE = "no_phone"  # the form expired: share the contact again
    LINKED = "linked"  # already on the roster
    NO_UNITS = "no_units"
    NOT_ASKED = "not_asked"  # text before "Ask to join": not a name (a question, perhaps)


@dataclass(frozen=True)
class JoinReply:
    outcome: Outcome
    parent: tuple[str, ...] = ()  # the names down to the unit being browsed
    parent_id: int | None = None
    units: tuple[tuple[int, str, bool], ...] = ()  # (id, name, has children)
    approvers: tuple[str, ...] = ()
    name_error: str | None = None
    outgoing: tuple[Outgoing, ...] = ()


@dataclass(frozen=True)
class JoinAsked:
    """To an approver: who asks to join where."""

    request_id: int
    name: str
    phone: str
    unit_path: tuple[str, ...]


@dataclass(frozen=True)
class JoinDecided:
    """To the person who asked: the answer."""

    approved: bool
    unit_path: tuple[str, ...]
    decided_by: str


async def offer(session: AsyncSession, telegram_user_id: int, phone: str, *,
                now: datetime) -> None:
    """An unknown number was shared: keep it so that "Ask to join" can use it."""
    await drafts.put(session, telegram_user_id, kind=JOIN_DRAFT, step=Step.OFFERED.value,
                     data={"phone": phone}, now=now, ttl=JOIN_TTL)


async def _pending(session: AsyncSession, telegram_user_id: int) -> JoinRequest | None:
    return await session.scalar(select(JoinRequest).where(
        JoinRequest.telegram_user_id == telegram_user_id,
        JoinRequest.status == JoinStatus.PENDING).order_by(JoinRequest.id.desc()).limit(1))


async def _is_linked(session: AsyncSession, telegram_user_id: int) -> bool:
    return await session.scalar(select(Member.id).where(
        Member.telegram_user_id == telegram_user_id, Member.active)) is not None


async def where_asked(session: AsyncSession, telegram_user_id: int, *,
                      now: datetime) -> JoinReply | None:
    """For someone not on the roster: PENDING (their request, waiting), NOT_ASKED (their
    number was shared and is not on the roster: "Ask to join" is open), else None."""
    waiting = await _pending(session, telegram_user_id)
    if waiting is not None:
        unit = await session.get(Unit, waiting.unit_id)
        return JoinReply(Outcome.PENDING, tuple(await unit_names(session, unit)) if unit else ())
    data = await drafts.current_data(session, telegram_user_id, JOIN_DRAFT, now)
    return JoinReply(Outcome.NOT_ASKED) if data is not None and data.get("phone") else None


async def start(session: AsyncSession, telegram_user_id: int, *, now: datetime) -> JoinReply:
    """"Ask to join" pressed: ask for the name."""
    if await _is_linked(session, telegram_user_id):
        return JoinReply(Outcome.LINKED)
    waiting = await _pending(session, telegram_user_id)
    if waiting is not None:
        unit = await session.get(Unit, waiting.unit_id)
        return JoinReply(Outcome.PENDING, tuple(await unit_names(session, unit)) if unit else ())
    data = await drafts.current_data(session, telegram_user_id, JOIN_DRAFT, now)
    if data is None or not data.get("phone"):
        return JoinReply(Outcome.NO_PHONE)
    await drafts.put(session, telegram_user_id, kind=JOIN_DRAFT, step=Step.NAME.value,
                     data=data, now=now, ttl=JOIN_TTL)
    return JoinReply(Outcome.ASK_NAME)


async def answer_name(session: AsyncSession, telegram_user_id: int, text: str, *,
                      now: datetime) -> JoinReply:
    """The name, then the top of the tree to pick from."""
    draft = await session.get(Draft, telegram_user_id)
    step = draft.step if draft is not None and draft.kind == JOIN_DRAFT else None
    if step == Step.OFFERED:
        return JoinReply(Outcome.NOT_ASKED)
    if step == Step.UNIT:
        return await browse(session, telegram_user_id, None, now=now)
    data = await drafts.current_data(session, telegram_user_id, JOIN_DRAFT, now)
    if data is None or not data.get("phone"):
        return JoinReply(Outcome.NO_PHONE)
    try:
        data["name"] = clean_text(text, limit=MAX_NAME)
    except InvalidText as invalid:
        return JoinReply(Outcome.BAD_NAME, name_error=invalid.code.value)
    await drafts.put(session, telegram_user_id, kind=JOIN_DRAFT, step=Step.UNIT.value,
                     data=data, now=now, ttl=JOIN_TTL)
    return await browse(session, telegram_user_id, None, now=now)


async def browse(session: AsyncSession, telegram_user_id: int, unit_id: int | None, *,
                 now: datetime) -> JoinReply:
    """The units below `unit_id` (None: the top of the tree) to pick from."""
    data = await drafts.current_data(session, telegram_user_id, JOIN_DRAFT, now)
    if data is None or not data.get("name"):
        return JoinReply(Outcome.NO_PHONE)
    parent = await session.get(Unit, unit_id) if unit_id is not None else None
    if unit_id is not None and (parent is None or not parent.active):
        return JoinReply(Outcome.NO_UNITS)
    condition = Unit.parent_id.is_(None) if parent is None else Unit.parent_id == parent.id
    children = (await session.scalars(select(Unit).where(condition, Unit.active)
                                      .order_by(Unit.name).limit(MAX_CHOICES))).all()
    with_children = set((await session.scalars(select(Unit.parent_id).where(
        Unit.parent_id.in_([c.id for c in children]), Unit.active))).all())
    if not children and parent is None:
        return JoinReply(Outcome.NO_UNITS)
    return JoinReply(Outcome.UNITS, tuple(await unit_names(session, parent)) if parent else (),
                     parent.id if parent else None,
                     tuple((c.id, c.name, c.id in with_children) for c in children))


async def choose(session: AsyncSession, telegram_user_id: int, unit_id: int, *,
                 admin_ids: Collection[int], default_locale: str, now: datetime) -> JoinReply:
    """The unit picked: the request is made and goes to whoever may approve it."""
    data = await drafts.current_data(session, telegram_user_id, JOIN_DRAFT, now)
    if data is None or not data.get("name") or not data.get("phone"):
        return JoinReply(Outcome.NO_PHONE)
    if await _is_linked(session, telegram_user_id):
        return JoinReply(Outcome.LINKED)
    if (waiting := await _pending(session, telegram_user_id)) is not None:
        unit = await session.get(Unit, waiting.unit_id)
        return JoinReply(Outcome.PENDING, tuple(await unit_names(session, unit)) if unit else ())
    unit = await session.get(Unit, unit_id)
    if unit is None or not unit.active:
        return JoinReply(Outcome.NO_UNITS)
    request = JoinRequest(telegram_user_id=telegram_user_id, name=str(data["name"]),
                          phone=str(data["phone"]), unit_id=unit.id, created_at=now)
    session.add(request)
    await session.flush()
    await drafts.drop(session, telegram_user_id, JOIN_DRAFT)
    path = tuple(await unit_names(session, unit))
    recipients = await recipients_for(session, unit, exclude_telegram_id=telegram_user_id,
                                      admin_ids=admin_ids, default_locale=default_locale)
    view = JoinAsked(request.id, request.name, request.phone, path)
    outgoing = tuple(Outgoing(f"join:{request.id}:{r.telegram_user_id}", KIND_JOIN, r.chat_id,
                              r.locale, view, member_id=r.member_id) for r in recipients)
    ids = [r.member_id for r in recipients if r.member_id is not None]
    names = dict((await session.execute(select(Member.id, Member.name)
                                        .where(Member.id.in_(ids)))).all()) if ids else {}
    approvers = tuple(names[i] for i in ids if i in names)
    await audit.record(session, actor=f"tg:{telegram_user_id}", action="join_request",
                       now=now, target=f"unit:{unit.id}", details={"request": request.id})
    logger.info("telegram user %s asks to join unit %s (request %s, %s approvers)",
                telegram_user_id, unit.id, request.id, len(outgoing))
    return JoinReply(Outcome.SENT, path, unit.id, approvers=approvers, outgoing=outgoing)


# --- deciding --------------------------------------------------------------------------------


class Decision(enum.StrEnum):
    APPROVED = "approved"
    DECLINED = "declined"
    ALREADY = "already"  # someone decided first (see `decided_by`)
    NOT_ALLOWED = "not_allowed"
    TAKEN = "taken"  # the phone or the Telegram account is on the roster by now
    GONE = "gone"


@dataclass(frozen=True)
class DecideResult:
    decision: Decision
    name: str = ""
    unit_path: tuple[str, ...] = ()
    decided_by: str = ""
    outgoing: tuple[Outgoing, ...] = field(default_factory=tuple)


async def decide(session: AsyncSession, actor: Actor, request_id: int, *, approve: bool,
                 default_locale: str, now: datetime,
                 default_timezone: str = DEFAULT_TIMEZONE) -> DecideResult:
    """Approve (add and link the person to the unit as a member) or decline, once."""
    request = await session.get(JoinRequest, request_id)
    unit = await session.get(Unit, request.unit_id) if request is not None else None
    if request is None or unit is None:
        return DecideResult(Decision.GONE)
    path = tuple(await unit_names(session, unit))
    if not actor.answers_for(unit):
        await audit.record(session, actor=actor.audit_name, actor_member_id=actor.member_id,
                           action="join_denied", now=now, target=f"unit:{unit.id}",
                           details={"request": request.id})
        return DecideResult(Decision.NOT_ALLOWED)
    if request.status is not JoinStatus.PENDING:
        by = await session.get(Member, request.decided_by) if request.decided_by else None
        return DecideResult(Decision.ALREADY, request.name, path, by.name if by else "")
    member: Member | None = None
    if approve:
        if await _is_linked(session, request.telegram_user_id) or await session.scalar(
                select(Member.id).where(Member.phone == request.phone)) is not None:
            return DecideResult(Decision.TAKEN, request.name, path)
    # Conditional: of two approvers pressing at once, one decides.
    claimed = await session.execute(
        update(JoinRequest).where(JoinRequest.id == request.id,
                                  JoinRequest.status == JoinStatus.PENDING)
        .values(status=JoinStatus.APPROVED if approve else JoinStatus.DECLINED,
                decided_at=now, decided_by=actor.member_id)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return DecideResult(Decision.ALREADY, request.name, path)
    if approve:
        member = Member(unit_id=unit.id, name=request.name, phone=request.phone,
                        role=Role.MEMBER, telegram_user_id=request.telegram_user_id,
                        created_at=now, updated_at=now)
        session.add(member)
        await assign(session, [(member, unit.id)], now=now, default_timezone=default_timezone)
        await session.execute(update(JoinRequest).where(JoinRequest.id == request.id)
                              .values(member_id=member.id))
    await audit.record(session, actor=actor.audit_name, actor_member_id=actor.member_id,
                       action="join_approve" if approve else "join_decline", now=now,
                       target=f"member:{member.id}" if member else f"unit:{unit.id}",
                       details={"request": request.id, "unit": unit.id})
    decided_by = actor.name or ""
    view = JoinDecided(approve, path, decided_by)
    locale = await locale_of(session, request.telegram_user_id, default_locale)
    outgoing = (Outgoing(f"join_decided:{request.id}", KIND_JOIN, request.telegram_user_id,
                         locale, view, member_id=member.id if member else None),)
    return DecideResult(Decision.APPROVED if approve else Decision.DECLINED, request.name,
                        path, decided_by, outgoing)
