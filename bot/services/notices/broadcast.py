"""Notices: who may send one where, its audience, fanning it out, acknowledgements.

Who may send to whom is the sender's Actor (services.org.permissions): an admin the whole
organisation, a leader their own unit's subtree. The audience is drawn when the notice is due
(at once, or at its scheduled time) and kept as NoticeRecipient rows; each reachable recipient
gets one copy (a `NoticeCopy` view, sent through bot.outbox.send) keyed
``notice:<id>:<member>``, so a fan-out that runs twice (the tick and the notice job, two
instances, a restart half-way) queues every copy once. The form that composes a notice is
services.notices.compose; what senders see of their notices, services.notices.figures.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, bindparam, cast, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.direct import Direct, DirectConnection
from bot.db.models import (
    Account,
    Member,
    Notice,
    NoticeRecipient,
    NoticeStatus,
    Role,
    Unit,
)
from bot.locales import resolve_locale
from bot.services.notices.draft import NoticeDraft
from bot.services.org import audit
from bot.services.org.permissions import Actor, subtree_clause
from bot.services.outgoing import Outgoing
from bot.services.reports.store import member_schedule

KIND_NOTICE = "notice"
KIND_NOTICE_REMINDER = "notice_reminder"
REMIND_EVERY = timedelta(hours=1)
_INSERT_CHUNK = 500


def notice_key(notice_id: int, member_id: int) -> str:
    return f"{KIND_NOTICE}:{notice_id}:{member_id}"


def key_expr(notice_id: Any) -> Any:
    """notice:<notice>:<member> in SQL, so joins to the outbox use its unique index."""
    return (literal(f"{KIND_NOTICE}:", String) + cast(notice_id, String) + literal(":", String)
            + cast(NoticeRecipient.member_id, String))


# --- targets --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where a notice goes: `path` None is the whole organisation."""

    unit_id: int | None
    path: str | None
    names: tuple[str, ...]  # the unit's names from the root; () for the organisation
    leaders_only: bool


async def unit_names_by_id(session: AsyncSession,
                          unit_ids: set[int]) -> dict[int, tuple[str, ...]]:
    """Each unit's names from the root, with one query for the units and their ancestors."""
    paths = dict((await session.execute(
        select(Unit.id, Unit.path).where(Unit.id.in_(unit_ids)))).all()) if unit_ids else {}
    wanted = {int(p) for path in paths.values() for p in path.strip("/").split("/") if p}
    names = dict((await session.execute(
        select(Unit.id, Unit.name).where(Unit.id.in_(wanted)))).all()) if wanted else {}
    return {uid: tuple(names.get(int(p), "?") for p in path.strip("/").split("/") if p)
            for uid, path in paths.items()}


async def resolve_target(session: AsyncSession, actor: Actor, draft: NoticeDraft,
                         *, now: datetime) -> Target | None:
    """The draft's target if the actor may still send there (rights are checked again at
    every step: a leader moved since, a forged unit button); refusals are audited."""
    if draft.target == "org":
        if actor.root_path is not None:
            await _denied(session, actor, "org", now)
            return None
        return Target(None, None, (), False)
    if draft.target == "leaders":
        if actor.root_unit_id is None:
            return Target(None, None, (), True)
        unit_id: int | None = actor.root_unit_id
    elif draft.target == "unit" and draft.unit_id is not None:
        unit_id = draft.unit_id
    else:
        return None
    unit = await session.get(Unit, unit_id)
    if unit is None or not unit.active:
        return None
    if not actor.covers(unit):
        await _denied(session, actor, f"unit:{unit.id}", now)
        return None
    names = (await unit_names_by_id(session, {unit.id}))[unit.id]
    return Target(unit.id, unit.path, names, draft.target == "leaders")


async def _denied(session: AsyncSession, actor: Actor, target: str, now: datetime) -> None:
    await audit.record(session, actor=actor.audit_name, actor_member_id=actor.member_id,
                       action="notice_denied", now=now, target=target)


async def scope_units(session: AsyncSession, actor: Actor) -> list[tuple[int, tuple[str, ...]]]:
    """The units a sender picks from: their own unit and the units right below it (the
    organisation's top units for an admin; below the top one when there is only one, which
    the whole organisation's button already means)."""
    if actor.root_unit_id is None:
        tops = (await session.scalars(select(Unit.id).where(
            Unit.active, Unit.parent_id.is_(None)).limit(2))).all()
        stmt = select(Unit.id).where(Unit.active, Unit.parent_id.is_(None) if len(tops) != 1
                                     else Unit.parent_id == tops[0])
    else:
        stmt = select(Unit.id).where(Unit.active, (Unit.id == actor.root_unit_id)
                                     | (Unit.parent_id == actor.root_unit_id))
    ids = set((await session.scalars(stmt.order_by(Unit.path).limit(24))).all())
    names = await unit_names_by_id(session, ids)
    return sorted(names.items(), key=lambda item: item[1])


# --- the audience ---------------------------------------------------------------------------


def _audience(path: str | None, leaders_only: bool, exclude_member: int | None) -> Any:
    stmt = (
        select(Member.id, Member.unit_id, Member.telegram_user_id, Account.chat_id,
               Account.locale, Account.language_code, Account.blocked_at)
        .join(Unit, Unit.id == Member.unit_id)
        .outerjoin(Account, Account.telegram_user_id == Member.telegram_user_id)
        .where(Member.active, Unit.active)
        .order_by(Member.id)
    )
    if path is not None:
        stmt = stmt.where(subtree_clause(Unit.path, path))
    if leaders_only:
        stmt = stmt.where(Member.role.in_([Role.LEADER, Role.ADMIN]))
    if exclude_member is not None:
        stmt = stmt.where(Member.id != exclude_member)
    return stmt


@dataclass(frozen=True)
class AudienceSize:
    total: int
    reachable: int


async def audience_size(session: AsyncSession, target: Target,
                        exclude_member: int | None) -> AudienceSize:
    rows = (await session.execute(_audience(target.path, target.leaders_only,
                                            exclude_member))).all()
    reachable = sum(1 for r in rows if r.telegram_user_id is not None and r.blocked_at is None)
    return AudienceSize(len(rows), reachable)


# --- creating and fanning out ---------------------------------------------------------------


async def create_notice(session: AsyncSession, actor: Actor, draft: NoticeDraft, target: Target,
                        *, author_telegram_id: int, author_name: str, author_locale: str,
                        progress_chat_id: int, progress_message_id: int | None,
                        now: datetime) -> Notice:
    """The confirmed notice, due at once or at its time (audited)."""
    notice = Notice(
        author_member_id=actor.member_id, author_telegram_id=author_telegram_id,
        author_name=author_name[:64], author_locale=author_locale, unit_id=target.unit_id,
        scope_path=target.path, leaders_only=target.leaders_only, text=draft.text,
        media_kind=draft.media_kind, media_file_id=draft.media_file_id,
        ack_required=bool(draft.ack), status=NoticeStatus.SCHEDULED,
        scheduled_at=draft.scheduled_at or now, recipients=0,
        progress_chat_id=progress_chat_id,
        progress_message_id=progress_message_id if draft.scheduled_at is None else None,
        progress_text="", progress_done=False, created_at=now)
    session.add(notice)
    await session.flush()
    await audit.record(session, actor=actor.audit_name, actor_member_id=actor.member_id,
                       action="notice", now=now, target=f"notice:{notice.id}",
                       details={"unit": target.unit_id, "leaders_only": target.leaders_only,
                                "ack": notice.ack_required, "media": draft.media_kind,
                                "scheduled_at": notice.scheduled_at.isoformat()})
    return notice


@dataclass(frozen=True)
class NoticeCopy:
    """What a recipient gets: the notice (with an acknowledge button when one is asked
    for); a reminder says so above it."""

    notice_id: int
    author: str
    unit_names: tuple[str, ...]  # () for the whole organisation
    text: str
    media_kind: str | None
    media_file_id: str | None
    ack_required: bool
    reminder: bool = False
    # Set on the copy the recipient acknowledged: shown in their unit's `timezone`.
    acknowledged_at: datetime | None = None
    timezone: str | None = None


def copy_of(notice: Notice, names: tuple[str, ...], *, reminder: bool = False) -> NoticeCopy:
    return NoticeCopy(notice.id, notice.author_name, names, notice.text, notice.media_kind,
                      notice.media_file_id, notice.ack_required, reminder)


def _due(now: Any) -> Any:
    """A notice whose time has come and that is not fanned out yet (`queue_due`)."""
    return and_(Notice.status == NoticeStatus.SCHEDULED, Notice.scheduled_at <= now)


# A fanned-out notice whose sender's progress message is still kept current
# (figures.open_progress).
PROGRESS_OPEN = and_(Notice.status == NoticeStatus.QUEUED, Notice.progress_done.is_(False),
                     Notice.progress_chat_id.is_not(None))
_ANYTHING_TO_DO = Direct(select(Notice.id).where(or_(
    _due(bindparam("now", type_=Notice.scheduled_at.type)), PROGRESS_OPEN)).limit(1))


async def anything_to_do(connection: DirectConnection, now: datetime) -> bool:
    """Whether a notice is due for its fan-out (`queue_due`) or has a sender's progress
    message to keep current (figures.open_progress): one prebuilt read on
    `Database.direct`'s connection, for the job that asks every few seconds, which
    otherwise opened a transaction and ran both ORM queries even with no notice at all."""
    return await connection.first(_ANYTHING_TO_DO, {"now": now}) is not None


async def queue_due(session: AsyncSession, *, now: datetime,
                    default_locale: str) -> list[Outgoing]:
    """Fan out every notice whose time has come: its recipients recorded, the notice marked
    queued, and one copy for each reachable recipient for the caller to send
    (bot.outbox.send, in this transaction). Idempotent, and safe beside another instance
    doing the same (the notice row is locked, SKIP LOCKED on PostgreSQL)."""
    due = list((await session.scalars(
        select(Notice).where(_due(now))
        .order_by(Notice.id).limit(20).with_for_update(skip_locked=True))).all())
    return [item for notice in due
            for item in await _fan_out(session, notice, now=now, default_locale=default_locale)]


def _insert(session: AsyncSession) -> Any:
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(NoticeRecipient)


async def _fan_out(session: AsyncSession, notice: Notice, *, now: datetime,
                   default_locale: str) -> list[Outgoing]:
    rows = (await session.execute(_audience(notice.scope_path, notice.leaders_only,
                                            notice.author_member_id))).all()
    for start in range(0, len(rows), _INSERT_CHUNK):
        chunk = [{"notice_id": notice.id, "member_id": r.id, "unit_id": r.unit_id}
                 for r in rows[start:start + _INSERT_CHUNK]]
        await session.execute(_insert(session).values(chunk).on_conflict_do_nothing(
            index_elements=["notice_id", "member_id"]))
    names: tuple[str, ...] = ()
    if notice.unit_id is not None:
        names = (await unit_names_by_id(session, {notice.unit_id})).get(notice.unit_id, ())
    view = copy_of(notice, names)
    notice.status, notice.queued_at, notice.recipients = NoticeStatus.QUEUED, now, len(rows)
    return [Outgoing(notice_key(notice.id, r.id), KIND_NOTICE, r.chat_id or r.telegram_user_id,
                     resolve_locale(r.locale, r.language_code, default_locale), view,
                     member_id=r.id)
            for r in rows
            # those who cannot be reached are shown apart in the drill-down
            if r.telegram_user_id is not None and r.blocked_at is None]


# --- acknowledging --------------------------------------------------------------------------


class AckStatus(enum.StrEnum):
    ACKNOWLEDGED = "acknowledged"
    ALREADY = "already"
    NOT_YOURS = "not_yours"  # not a recipient: someone else's copy, or forged data


@dataclass(frozen=True)
class AckResult:
    status: AckStatus
    at: datetime | None = None


async def acknowledge(session: AsyncSession, *, notice_id: int, telegram_user_id: int,
                      now: datetime) -> AckResult:
    """Record the first acknowledgement; a second press changes nothing."""
    row = await session.scalar(
        select(NoticeRecipient).join(Member, Member.id == NoticeRecipient.member_id)
        .where(NoticeRecipient.notice_id == notice_id,
               Member.telegram_user_id == telegram_user_id))
    if row is None:
        await audit.record(session, actor=f"tg:{telegram_user_id}", action="notice_ack_denied",
                           now=now, target=f"notice:{notice_id}")
        return AckResult(AckStatus.NOT_YOURS)
    if row.acknowledged_at is not None:
        return AckResult(AckStatus.ALREADY, row.acknowledged_at)
    result = await session.execute(
        update(NoticeRecipient)
        .where(NoticeRecipient.notice_id == notice_id, NoticeRecipient.member_id == row.member_id,
               NoticeRecipient.acknowledged_at.is_(None))
        .values(acknowledged_at=now).execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return AckResult(AckStatus.ALREADY)
    return AckResult(AckStatus.ACKNOWLEDGED, now)


async def acknowledged_copy(session: AsyncSession, *, notice_id: int, telegram_user_id: int,
                            default_timezone: str) -> NoticeCopy | None:
    """The recipient's copy as it reads once acknowledged (when they did): the message they
    tapped is shown again with the time instead of the request to acknowledge."""
    row = (await session.execute(
        select(NoticeRecipient.acknowledged_at, Member)
        .join(Member, Member.id == NoticeRecipient.member_id)
        .where(NoticeRecipient.notice_id == notice_id,
               Member.telegram_user_id == telegram_user_id))).first()
    notice = await session.get(Notice, notice_id)
    if row is None or row[0] is None or notice is None:
        return None
    acknowledged_at, member = row
    names: tuple[str, ...] = ()
    if notice.unit_id is not None:
        names = (await unit_names_by_id(session, {notice.unit_id})).get(notice.unit_id, ())
    schedule = await member_schedule(session, member, default_timezone)
    return replace(copy_of(notice, names), acknowledged_at=acknowledged_at,
                   timezone=schedule.timezone)
