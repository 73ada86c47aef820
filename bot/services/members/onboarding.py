"""Joining: linking a Telegram account to its roster row by phone, and invite codes.

Every outcome is a plain status; handlers pick the words. Nothing here trusts the client:
the contact's owner, the code's shape and the invite's uses are all checked here.
"""

from __future__ import annotations

import enum
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Draft, Invite, Member, Role, Unit
from bot.services import drafts
from bot.services.drafts import DraftKind
from bot.services.members import joining
from bot.services.members.history import DEFAULT_TIMEZONE, assign
from bot.services.members.phones import InvalidPhone, normalize_phone
from bot.services.members.settings import MAX_NAME, clean_text
from bot.services.org import audit
from bot.services.org.units import unit_names

logger = logging.getLogger(__name__)

# Telegram's deep-link payload: A-Z a-z 0-9 _ - up to 64 characters. Ours are 22.
_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")
CODE_BYTES = 16  # token_urlsafe(16) → 22 characters, 128 bits
MAX_CODE_LENGTH = 32  # the column
INVITE_DRAFT = DraftKind.INVITE
INVITE_DRAFT_TTL = timedelta(minutes=30)
MAX_INVITE_USES = 10_000
MAX_INVITE_DAYS = 365


@dataclass(frozen=True)
class Linked:
    """A member as greeted after linking or joining."""

    member_id: int
    name: str
    unit_path: tuple[str, ...]
    role: Role


async def describe(session: AsyncSession, member: Member) -> Linked:
    unit = await session.get(Unit, member.unit_id)
    assert unit is not None
    return Linked(member.id, member.name, tuple(await unit_names(session, unit)), member.role)


async def _release_stale_link(session: AsyncSession, telegram_user_id: int) -> None:
    """A deactivated member keeps their Telegram id; free it so this person can join again."""
    await session.execute(
        update(Member)
        .where(Member.telegram_user_id == telegram_user_id, Member.active.is_(False))
        .values(telegram_user_id=None)
    )


# --- link by phone -------------------------------------------------------------------------


class LinkStatus(enum.StrEnum):
    LINKED = "linked"
    ALREADY_LINKED = "already_linked"  # this Telegram account is already someone on the roster
    NOT_OWN = "not_own"  # the contact is someone else's (or has no user id)
    INVALID_PHONE = "invalid_phone"
    UNKNOWN = "unknown"  # no active roster member with this number
    TAKEN = "taken"  # the roster member is linked to another Telegram account


@dataclass(frozen=True)
class LinkResult:
    status: LinkStatus
    member: Linked | None = None


def contact_phone_candidates(raw: str) -> list[str]:
    """E.164 readings of a shared contact's number, most likely first.

    Telegram sends the international number without "+" (`8613800138000`); people and other
    clients sometimes send a national one. Both readings are tried against the roster.
    """
    candidates: list[str] = []
    text = raw.strip()
    attempts = [text] if text.startswith(("+", "00")) else ["+" + text, text]
    for attempt in attempts:
        try:
            phone = normalize_phone(attempt)
        except InvalidPhone:
            continue
        if phone not in candidates:
            candidates.append(phone)
    return candidates


async def link_by_contact(
    session: AsyncSession,
    *,
    telegram_user_id: int,
    contact_user_id: int | None,
    phone_number: str,
    now: datetime,
) -> LinkResult:
    """Link the sender to the active roster member with this phone, if the contact is theirs."""
    current = await session.scalar(
        select(Member).where(Member.telegram_user_id == telegram_user_id, Member.active))
    if current is not None:
        return LinkResult(LinkStatus.ALREADY_LINKED, await describe(session, current))
    if contact_user_id is None or contact_user_id != telegram_user_id:
        return LinkResult(LinkStatus.NOT_OWN)
    phones = contact_phone_candidates(phone_number)
    if not phones:
        return LinkResult(LinkStatus.INVALID_PHONE)
    members = {m.phone: m for m in await session.scalars(
        select(Member).where(Member.phone.in_(phones), Member.active))}
    member = next((members[p] for p in phones if p in members), None)
    if member is None:
        # Not on the roster: keep the number (their own, Telegram says) for asking to join.
        await joining.offer(session, telegram_user_id, phones[0], now=now)
        return LinkResult(LinkStatus.UNKNOWN)
    if member.telegram_user_id is not None:
        return LinkResult(LinkStatus.TAKEN)
    await _release_stale_link(session, telegram_user_id)
    # Conditional: of two accounts racing for one roster row, only one gets it.
    claimed = await session.execute(
        update(Member)
        .where(Member.id == member.id, Member.telegram_user_id.is_(None))
        .values(telegram_user_id=telegram_user_id, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return LinkResult(LinkStatus.TAKEN)
    await session.refresh(member)
    await session.execute(delete(Draft).where(Draft.telegram_user_id == telegram_user_id,
                                              Draft.kind == INVITE_DRAFT))
    logger.info("member %s linked to telegram user %s by phone", member.id, telegram_user_id)
    return LinkResult(LinkStatus.LINKED, await describe(session, member))


# --- invites -------------------------------------------------------------------------------


class InviteStatus(enum.StrEnum):
    VALID = "valid"
    MALFORMED = "malformed"  # not something we could ever have issued
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED_UP = "used_up"
    UNIT_CLOSED = "unit_closed"  # the unit was deactivated after the invite was made
    ALREADY_MEMBER = "already_member"
    NO_DRAFT = "no_draft"  # a name arrived, but no invite is waiting for one (or it expired)
    NAME_INVALID = "name_invalid"
    JOINED = "joined"


@dataclass(frozen=True)
class InviteResult:
    status: InviteStatus
    unit_path: tuple[str, ...] = ()
    role: Role | None = None
    member: Linked | None = None
    name_error: str | None = None  # members.TextError value when NAME_INVALID


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


async def create_invite(
    session: AsyncSession,
    *,
    unit: Unit,
    role: Role = Role.MEMBER,
    uses: int = 1,
    days: int = 7,
    created_by: int | None,
    now: datetime,
    actor: str = "cli",
) -> Invite:
    """A new invite to `unit`: `uses` joins within `days` days."""
    if not 1 <= uses <= MAX_INVITE_USES:
        raise ValueError(f"uses must be 1..{MAX_INVITE_USES}")
    if not 1 <= days <= MAX_INVITE_DAYS:
        raise ValueError(f"days must be 1..{MAX_INVITE_DAYS}")
    invite = Invite(code=new_code(), unit_id=unit.id, role=role, uses_left=uses,
                    expires_at=now + timedelta(days=days), created_by=created_by, created_at=now)
    session.add(invite)
    await session.flush()
    await audit.record(session, actor=actor, actor_member_id=created_by, action="invite_create",
                       now=now, target=f"unit:{unit.id}",
                       details={"invite": invite.id, "role": role.value, "uses": uses,
                                "days": days})
    return invite


async def _check(session: AsyncSession, code: str, now: datetime) -> tuple[InviteStatus,
                                                                         Invite | None]:
    if not _CODE.fullmatch(code) or len(code) > MAX_CODE_LENGTH:
        return InviteStatus.MALFORMED, None
    invite = await session.scalar(select(Invite).where(Invite.code == code))
    if invite is None:
        return InviteStatus.UNKNOWN, None
    if invite.expires_at <= now:
        return InviteStatus.EXPIRED, invite
    if invite.uses_left <= 0:
        return InviteStatus.USED_UP, invite
    unit = await session.get(Unit, invite.unit_id)
    if unit is None or not unit.active:
        return InviteStatus.UNIT_CLOSED, invite
    return InviteStatus.VALID, invite


async def open_invite(
    session: AsyncSession, *, telegram_user_id: int, code: str, now: datetime
) -> InviteResult:
    """`/start <code>`: check the code and, when valid, wait for the newcomer's name."""
    current = await session.scalar(
        select(Member).where(Member.telegram_user_id == telegram_user_id, Member.active))
    if current is not None:
        return InviteResult(InviteStatus.ALREADY_MEMBER, member=await describe(session, current))
    status, invite = await _check(session, code, now)
    if status is not InviteStatus.VALID or invite is None:
        return InviteResult(status)
    unit = await session.get(Unit, invite.unit_id)
    assert unit is not None
    await drafts.put(session, telegram_user_id, kind=INVITE_DRAFT, step="name",
                     data={"code": code}, now=now, ttl=INVITE_DRAFT_TTL)
    return InviteResult(InviteStatus.VALID, tuple(await unit_names(session, unit)), invite.role)


async def pending_invite(session: AsyncSession, telegram_user_id: int) -> Draft | None:
    """The invite draft waiting for this user's name, expired or not (the caller tells)."""
    draft = await session.get(Draft, telegram_user_id)
    return draft if draft is not None and draft.kind == INVITE_DRAFT else None


async def join_by_invite(
    session: AsyncSession, *, telegram_user_id: int, name: str, now: datetime,
    default_timezone: str = DEFAULT_TIMEZONE,
) -> InviteResult:
    """The name step: create the member in the invite's unit, linked, using up one use.

    The use is taken with one conditional UPDATE, so of two people racing for the last use
    exactly one joins; the other is told the invite is used up.
    """
    draft = await pending_invite(session, telegram_user_id)
    if draft is None:
        return InviteResult(InviteStatus.NO_DRAFT)
    if draft.expires_at <= now:
        await session.delete(draft)
        return InviteResult(InviteStatus.NO_DRAFT)
    current = await session.scalar(
        select(Member).where(Member.telegram_user_id == telegram_user_id, Member.active))
    if current is not None:
        await session.delete(draft)
        return InviteResult(InviteStatus.ALREADY_MEMBER, member=await describe(session, current))
    try:
        clean = clean_text(name, limit=MAX_NAME)
    except ValueError as exc:
        draft.expires_at, draft.updated_at = now + INVITE_DRAFT_TTL, now
        return InviteResult(InviteStatus.NAME_INVALID, name_error=str(exc))
    code = str(draft.data.get("code", ""))
    await session.delete(draft)
    status, invite = await _check(session, code, now)
    if status is not InviteStatus.VALID or invite is None:
        return InviteResult(status)
    taken = await session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.uses_left > 0, Invite.expires_at > now)
        .values(uses_left=Invite.uses_left - 1)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return InviteResult(InviteStatus.USED_UP)
    await _release_stale_link(session, telegram_user_id)
    member = Member(unit_id=invite.unit_id, name=clean, role=invite.role,
                    telegram_user_id=telegram_user_id, created_at=now, updated_at=now)
    session.add(member)
    await assign(session, [(member, invite.unit_id)], now=now,
                 default_timezone=default_timezone)
    await audit.record(session, actor=f"tg:{telegram_user_id}", actor_member_id=member.id,
                       action="invite_join", now=now, target=f"member:{member.id}",
                       details={"invite": invite.id, "unit": invite.unit_id})
    logger.info("telegram user %s joined unit %s as member %s by invite %s",
                telegram_user_id, invite.unit_id, member.id, invite.id)
    linked = await describe(session, member)
    return InviteResult(InviteStatus.JOINED, linked.unit_path, member.role, member=linked)


async def linked_member(session: AsyncSession, telegram_user_id: int) -> Linked | None:
    """Who this Telegram user is on the roster, if they are linked to an active member."""
    member = await session.scalar(
        select(Member).where(Member.telegram_user_id == telegram_user_id, Member.active))
    return await describe(session, member) if member is not None else None


async def draft_kind(session: AsyncSession, telegram_user_id: int) -> str | None:
    """The kind of form this user is in the middle of (expired or not), for routing text."""
    return await session.scalar(
        select(Draft.kind).where(Draft.telegram_user_id == telegram_user_id))
