"""What senders see of their notices: delivery progress, /notices figures, the drill-down
(per unit, who has not acknowledged; kept apart, who cannot be reached), and reminders.

A leader sees the notices aimed at their subtree, their own, and those aimed at a unit above
them — of those, only their own subtree's part. Every drill-down is audited.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    Account,
    AuditEntry,
    Member,
    Notice,
    NoticeRecipient,
    NoticeStatus,
    OutboxMessage,
    OutboxStatus,
    Unit,
)
from bot.locales import resolve_locale
from bot.services.notices.broadcast import (
    KIND_NOTICE_REMINDER,
    PROGRESS_OPEN,
    REMIND_EVERY,
    copy_of,
    key_expr,
    unit_names_by_id,
)
from bot.services.org import audit
from bot.services.org.permissions import Actor, in_subtree, subtree_clause
from bot.services.outgoing import Outgoing

# --- progress -------------------------------------------------------------------------------


@dataclass
class Progress:
    recipients: int = 0
    queued: int = 0  # outbox rows
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    pending: int = 0
    acknowledged: int = 0

    @property
    def unreachable(self) -> int:
        """Never linked, or had blocked the bot before the notice went out."""
        return self.recipients - self.queued

    @property
    def done(self) -> bool:
        return self.pending == 0


def outcome(queued: OutboxStatus | None, kept: str | None) -> OutboxStatus | None:
    """A copy's outcome: its outbox row's, else the one kept when that row was purged."""
    if queued is not None:
        return queued
    return OutboxStatus(kept) if kept else None


async def progress(session: AsyncSession, notice_id: int, scope_path: str | None = None
                   ) -> Progress:
    """Delivery figures of one notice (within `scope_path` when given)."""
    stmt = (
        select(OutboxMessage.status, NoticeRecipient.delivery,
               NoticeRecipient.acknowledged_at.is_not(None))
        .select_from(NoticeRecipient)
        .outerjoin(OutboxMessage, OutboxMessage.dedup_key == key_expr(NoticeRecipient.notice_id))
        .where(NoticeRecipient.notice_id == notice_id)
    )
    if scope_path is not None:
        stmt = stmt.join(Unit, Unit.id == NoticeRecipient.unit_id).where(
            subtree_clause(Unit.path, scope_path))
    result = Progress()
    for queued, kept, acked in (await session.execute(stmt)).all():
        status = outcome(queued, kept)
        result.recipients += 1
        result.acknowledged += bool(acked)
        if status is None:
            continue
        result.queued += 1
        if status == OutboxStatus.SENT:
            result.sent += 1
        elif status == OutboxStatus.BLOCKED:
            result.blocked += 1
        elif status == OutboxStatus.PENDING:
            result.pending += 1
        else:
            result.failed += 1
    return result


async def open_progress(session: AsyncSession) -> list[Notice]:
    """Notices whose sender's progress message still needs updating."""
    return list((await session.scalars(
        select(Notice).where(PROGRESS_OPEN)
        .order_by(Notice.id).limit(20))).all())


async def record_progress(session: AsyncSession, notice_id: int, *, text: str,
                          message_id: int | None, done: bool) -> None:
    await session.execute(update(Notice).where(Notice.id == notice_id).values(
        progress_text=text[:512], progress_message_id=message_id, progress_done=done))


# --- what senders see: /notices -------------------------------------------------------------


def visible(actor: Actor) -> Any:
    """Notices an actor may look at: every one for an admin; for a leader those aimed at
    their subtree, at a unit above it (their part of it), and their own."""
    if actor.root_path is None:
        return Notice.id.is_not(None)
    path = actor.root_path
    return (Notice.scope_path.is_(None) | subtree_clause(Notice.scope_path, path)
            # a unit above theirs: their part of it (figures narrowed by `_narrow`)
            | Notice.scope_path.in_(_paths_above(path))
            | (Notice.author_member_id == actor.member_id))


def _paths_above(path: str) -> list[str]:
    """The paths of the units whose subtree holds the unit at `path` ("/1/4/" → "/1/",
    "/1/4/"): those `path` is `in_subtree` of."""
    ids = [part for part in path.strip("/").split("/") if part]
    return [f"/{'/'.join(ids[:n])}/" for n in range(1, len(ids) + 1)]


@dataclass(frozen=True)
class NoticeLine:
    notice_id: int
    at: datetime
    author: str
    target: tuple[str, ...]
    leaders_only: bool
    ack_required: bool
    status: NoticeStatus
    snippet: str
    figures: Progress


async def recent(session: AsyncSession, actor: Actor, *, limit: int = 8) -> list[NoticeLine]:
    notices = list((await session.scalars(
        select(Notice).where(visible(actor), Notice.status != NoticeStatus.CANCELLED)
        .order_by(Notice.scheduled_at.desc(), Notice.id.desc()).limit(limit))).all())
    names = await unit_names_by_id(session, {n.unit_id for n in notices if n.unit_id})
    return [await _line(session, actor, n, names) for n in notices]


async def _line(session: AsyncSession, actor: Actor, notice: Notice,
                names: dict[int, tuple[str, ...]]) -> NoticeLine:
    figures = await progress(session, notice.id, _narrow(actor, notice))
    return NoticeLine(notice.id, notice.scheduled_at, notice.author_name,
                      names.get(notice.unit_id, ()) if notice.unit_id else (),
                      notice.leaders_only, notice.ack_required, notice.status,
                      " ".join(notice.text.split())[:60], figures)


def _narrow(actor: Actor, notice: Notice) -> str | None:
    """A leader looking at a notice aimed above their unit sees their own subtree's part."""
    if actor.root_path is None or notice.author_member_id == actor.member_id:
        return None
    if notice.scope_path is not None and in_subtree(notice.scope_path, actor.root_path):
        return None
    return actor.root_path


class ViewStatus(enum.StrEnum):
    OK = "ok"
    NOT_FOUND = "not_found"  # no such notice, or not one this actor may see


@dataclass(frozen=True)
class Person:
    name: str
    reason: str = ""  # for the unreachable: "unlinked", "blocked", "failed"


@dataclass
class NoticeDetail:
    line: NoticeLine
    # (unit names, members who have not acknowledged), by unit
    pending: list[tuple[tuple[str, ...], list[Person]]] = field(default_factory=list)
    unreachable: list[tuple[tuple[str, ...], list[Person]]] = field(default_factory=list)
    can_remind: bool = False


async def _find(session: AsyncSession, actor: Actor, notice_id: int, action: str,
                now: datetime) -> Notice | None:
    notice = await session.scalar(select(Notice).where(Notice.id == notice_id, visible(actor)))
    if notice is None:
        await audit.record(session, actor=actor.audit_name, actor_member_id=actor.member_id,
                           action=f"{action}_denied", now=now, target=f"notice:{notice_id}")
    return notice


async def detail(session: AsyncSession, actor: Actor, notice_id: int,
                 *, now: datetime) -> NoticeDetail | None:
    """Per unit, who has not acknowledged; kept apart, who cannot be reached (audited)."""
    notice = await _find(session, actor, notice_id, "notice_view", now)
    if notice is None:
        return None
    names = await unit_names_by_id(session, {notice.unit_id} if notice.unit_id else set())
    line = await _line(session, actor, notice, names)
    narrow = _narrow(actor, notice)
    stmt = (
        select(Member.name, NoticeRecipient.unit_id, NoticeRecipient.acknowledged_at,
               Member.telegram_user_id, Account.blocked_at, OutboxMessage.status,
               NoticeRecipient.delivery)
        .select_from(NoticeRecipient)
        .join(Member, Member.id == NoticeRecipient.member_id)
        .join(Unit, Unit.id == NoticeRecipient.unit_id)
        .outerjoin(Account, Account.telegram_user_id == Member.telegram_user_id)
        .outerjoin(OutboxMessage, OutboxMessage.dedup_key == key_expr(NoticeRecipient.notice_id))
        .where(NoticeRecipient.notice_id == notice.id)
        .order_by(Unit.path, Member.name)
    )
    if narrow is not None:
        stmt = stmt.where(subtree_clause(Unit.path, narrow))
    pending: dict[int, list[Person]] = defaultdict(list)
    unreachable: dict[int, list[Person]] = defaultdict(list)
    for name, unit_id, acked, tg, _blocked, queued, kept in (await session.execute(stmt)).all():
        status = outcome(queued, kept)
        if acked is not None:
            continue
        if tg is None:
            unreachable[unit_id].append(Person(name, "unlinked"))
        elif status is None or status == OutboxStatus.BLOCKED:
            unreachable[unit_id].append(Person(name, "blocked"))
        elif status in (OutboxStatus.FAILED, OutboxStatus.CANCELLED):
            unreachable[unit_id].append(Person(name, "failed"))
        elif notice.ack_required:
            pending[unit_id].append(Person(name))
    unit_names = await unit_names_by_id(session, set(pending) | set(unreachable))
    await audit.record(session, actor=actor.audit_name, actor_member_id=actor.member_id,
                       action="notice_view", now=now, target=f"notice:{notice.id}")
    return NoticeDetail(
        line,
        sorted(((unit_names.get(u, ()), p) for u, p in pending.items()), key=lambda x: x[0]),
        sorted(((unit_names.get(u, ()), p) for u, p in unreachable.items()),
               key=lambda x: x[0]),
        can_remind=notice.ack_required and notice.status == NoticeStatus.QUEUED)


# --- reminding those who have not acknowledged ----------------------------------------------


class RemindStatus(enum.StrEnum):
    SENT = "sent"
    TOO_SOON = "too_soon"
    NOBODY = "nobody"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class RemindResult:
    status: RemindStatus
    count: int = 0
    next_at: datetime | None = None
    # SENT by `remind`: the reminders for the caller to send before it calls `reminded`
    items: tuple[Outgoing, ...] = ()


async def remind(session: AsyncSession, actor: Actor, notice_id: int, *, now: datetime,
                 default_locale: str) -> RemindResult:
    """The notice again for the actor's reachable recipients who have not acknowledged it
    (SENT with `items`); at most once per REMIND_EVERY per notice (the audit log is the
    record, written by `reminded` once the items are sent)."""
    notice = await _find(session, actor, notice_id, "notice_remind", now)
    if notice is None or not notice.ack_required or notice.status != NoticeStatus.QUEUED:
        return RemindResult(RemindStatus.NOT_FOUND)
    last = await session.scalar(
        select(AuditEntry.at).where(AuditEntry.action == "notice_remind",
                                    AuditEntry.target == f"notice:{notice.id}",
                                    AuditEntry.at > now - REMIND_EVERY)
        .order_by(AuditEntry.at.desc()).limit(1))
    if last is not None:
        return RemindResult(RemindStatus.TOO_SOON, next_at=last + REMIND_EVERY)
    stmt = (
        select(Member.id, Member.telegram_user_id, Account.chat_id, Account.locale,
               Account.language_code)
        .select_from(NoticeRecipient)
        .join(Member, Member.id == NoticeRecipient.member_id)
        .join(Unit, Unit.id == NoticeRecipient.unit_id)
        .outerjoin(Account, Account.telegram_user_id == Member.telegram_user_id)
        .outerjoin(OutboxMessage,
                   OutboxMessage.dedup_key == key_expr(NoticeRecipient.notice_id))
        .where(NoticeRecipient.notice_id == notice.id,
               NoticeRecipient.acknowledged_at.is_(None), Member.active,
               Member.telegram_user_id.is_not(None), Account.blocked_at.is_(None),
               or_(OutboxMessage.status.in_([OutboxStatus.SENT, OutboxStatus.PENDING]),
                   OutboxMessage.id.is_(None) & NoticeRecipient.delivery.in_(
                       [OutboxStatus.SENT.value, OutboxStatus.PENDING.value])))
    )
    narrow = _narrow(actor, notice)
    if narrow is not None:
        stmt = stmt.where(subtree_clause(Unit.path, narrow))
    names = await unit_names_by_id(session, {notice.unit_id} if notice.unit_id else set())
    view = copy_of(notice, names.get(notice.unit_id, ()) if notice.unit_id else (),
                   reminder=True)
    items = tuple(
        Outgoing(f"notice_remind:{notice.id}:{now:%Y%m%d%H%M}:{r.id}", KIND_NOTICE_REMINDER,
                 r.chat_id or r.telegram_user_id,
                 resolve_locale(r.locale, r.language_code, default_locale), view,
                 member_id=r.id)
        for r in (await session.execute(stmt)).all())
    return RemindResult(RemindStatus.SENT, len(items), items=items)


async def reminded(session: AsyncSession, actor: Actor, notice_id: int, *, queued: int,
                   now: datetime) -> RemindResult:
    """After `remind`'s items were sent: `queued` of them went into the outbox (audited)."""
    if queued == 0:
        return RemindResult(RemindStatus.NOBODY)
    await audit.record(session, actor=actor.audit_name, actor_member_id=actor.member_id,
                       action="notice_remind", now=now, target=f"notice:{notice_id}",
                       details={"count": queued})
    return RemindResult(RemindStatus.SENT, queued)
