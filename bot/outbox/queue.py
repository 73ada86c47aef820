"""The outbox: every message the bot sends on its own initiative, as rows a dispatcher drains.

Rows are rendered when enqueued (in the recipient's language) and identified by a dedup key,
so enqueueing is idempotent: a tick that runs twice, or two instances running it, insert one
row. A dispatcher claims due rows under a lease (``locked_until``); the lease is also the
claim's fencing token, so a dispatcher whose lease ran out cannot overwrite the outcome
recorded by the one that took the row over.

Payloads (built by bot.render.payloads) are Bot API calls as JSON::

    {"method": "sendMessage", "text": "...", "parse_mode": "HTML", "reply_markup": {...}}
    {"method": "sendPhoto" | "sendDocument", "file": FILE, "caption"?: "...",
     "parse_mode"?: "HTML", "reply_markup"?: {...}}

where FILE is one of ``{"file_id": "..."}`` (already on Telegram), ``{"path": "/abs/file",
"filename"?: "..."}`` (for fan-outs: one copy on disk, uploaded once per process, then sent
by file_id) or ``{"base64": "...", "filename": "..."}`` (small, single-recipient files such
as a leader's chart: no shared disk needed).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from bot.db import Database
from bot.db.direct import Direct
from bot.db.models import Account, Leave, Member, OutboxMessage, OutboxStatus, Report
from bot.render.payloads import Payload
from bot.services.outgoing import DAILY_KINDS

MAX_ATTEMPTS = 10
RETRY_BASE = timedelta(seconds=2)
RETRY_CAP = timedelta(minutes=5)
_ERROR_LENGTH = 256
# Rows per INSERT: well under SQLite's bound-parameter limit with ~9 columns a row.
_INSERT_CHUNK = 500



# -- enqueueing --------------------------------------------------------------------------------

@dataclass(frozen=True)
class NewMessage:
    dedup_key: str
    kind: str
    chat_id: int
    payload: Payload
    member_id: int | None = None
    report_date: date | None = None


def _insert(session: AsyncSession) -> Any:
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(OutboxMessage)


async def enqueue_many(session: AsyncSession, messages: Iterable[NewMessage], *,
                       now: datetime) -> list[str]:
    """Insert the messages whose dedup key is new; returns the keys actually inserted."""
    inserted: list[str] = []
    batch: list[dict[str, Any]] = []

    async def flush() -> None:
        if not batch:
            return
        stmt = (
            _insert(session)
            .values(batch)
            .on_conflict_do_nothing(index_elements=["dedup_key"])
            .returning(OutboxMessage.dedup_key)
        )
        inserted.extend((await session.scalars(stmt)).all())
        batch.clear()

    for m in messages:
        batch.append({
            "dedup_key": m.dedup_key, "kind": m.kind, "chat_id": m.chat_id,
            "member_id": m.member_id, "report_date": m.report_date, "payload": m.payload,
            "status": OutboxStatus.PENDING, "attempts": 0, "next_attempt_at": now,
            "error": "", "created_at": now,
        })
        if len(batch) >= _INSERT_CHUNK:
            await flush()
    await flush()
    return inserted


async def enqueue(
    session: AsyncSession,
    *,
    dedup_key: str,
    kind: str,
    chat_id: int,
    payload: Payload,
    member_id: int | None = None,
    report_date: date | None = None,
    now: datetime,
) -> bool:
    """Queue one message; False (and nothing changed) when its dedup key is already queued.

    Callers should `dispatcher.poke()` after their transaction commits to send at once.
    """
    message = NewMessage(dedup_key, kind, chat_id, payload, member_id, report_date)
    return bool(await enqueue_many(session, [message], now=now))


# -- claiming ----------------------------------------------------------------------------------

def _due_now(now: Any) -> Any:
    return and_(
        OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.next_attempt_at <= now,
        or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until <= now),
    )


_ANYTHING_DUE = Direct(select(OutboxMessage.id).where(
    _due_now(bindparam("now", type_=OutboxMessage.next_attempt_at.type))).limit(1))


async def anything_due(db: Database, now: datetime) -> bool:
    """Whether `claim_due` would find a row: one prebuilt read on the driver's connection
    (on PostgreSQL without BEGIN and COMMIT), for the dispatcher's idle polls, which cost
    the bot CPU every second even when there is nothing to send."""
    async with db.direct() as connection:
        return await connection.first(_ANYTHING_DUE, {"now": now}) is not None


async def claim_due(
    session: AsyncSession, *, now: datetime, limit: int, lease: timedelta
) -> list[OutboxMessage]:
    """Lease up to `limit` due rows to the caller, oldest first.

    On PostgreSQL the rows are locked with SKIP LOCKED, so concurrent claimers never get the
    same row; on SQLite the engine's BEGIN IMMEDIATE serialises claimers. Daily prompts and
    reminders that are no longer wanted (the member reported, left, or went on leave) are
    cancelled here rather than returned.
    """
    stmt = (
        select(OutboxMessage)
        .where(_due_now(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list((await session.scalars(stmt)).all())
    if not rows:
        return []
    unwanted = await _unwanted(session, rows)
    if unwanted:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(unwanted))
            .values(status=OutboxStatus.CANCELLED, locked_until=None)
            .execution_options(synchronize_session=False)
        )
    claimed = [row for row in rows if row.id not in unwanted]
    until = now + lease
    if claimed:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_([row.id for row in claimed]))
            .values(locked_until=until)
            .execution_options(synchronize_session=False)
        )
    for row in rows:
        if row.id in unwanted:
            _mirror(row, status=OutboxStatus.CANCELLED, locked_until=None)
        else:
            _mirror(row, locked_until=until)
    return claimed


async def renew(session: AsyncSession, rows: Sequence[OutboxMessage], *, now: datetime,
                lease: timedelta) -> set[int]:
    """Extend the leases of rows still ours to `now + lease`, in one UPDATE; the ids renewed.

    A row whose lease is no longer the one we hold (it ran out and another claimer took the
    row, or it was cancelled) is left alone: it must not be sent by us any more.
    """
    by_token: dict[datetime, list[int]] = {}
    for row in rows:
        if row.locked_until is not None:
            by_token.setdefault(row.locked_until, []).append(row.id)
    if not by_token:
        return set()
    until = now + lease
    renewed = set((await session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING,
               or_(*(and_(OutboxMessage.id.in_(ids), OutboxMessage.locked_until == token)
                     for token, ids in by_token.items())))
        .values(locked_until=until)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )).all())
    for row in rows:
        if row.id in renewed:
            _mirror(row, locked_until=until)
    return renewed


def _mirror(row: OutboxMessage, **values: Any) -> None:
    """Show on the object what a bulk UPDATE wrote, without the session writing it again."""
    for key, value in values.items():
        set_committed_value(row, key, value)


async def _unwanted(session: AsyncSession, rows: Sequence[OutboxMessage]) -> set[int]:
    daily = [r for r in rows
             if r.kind in DAILY_KINDS and r.member_id is not None and r.report_date is not None]
    if not daily:
        return set()
    member_ids = {r.member_id for r in daily}
    dates = {r.report_date for r in daily if r.report_date is not None}
    inactive = set(await session.scalars(
        select(Member.id).where(Member.id.in_(member_ids), Member.active.is_(False))))
    reported = set((await session.execute(
        select(Report.member_id, Report.report_date)
        .where(Report.member_id.in_(member_ids), Report.report_date.in_(dates)))).all())
    leaves = (await session.execute(
        select(Leave.member_id, Leave.start_date, Leave.end_date)
        .where(Leave.member_id.in_(member_ids), Leave.start_date <= max(dates),
               Leave.end_date >= min(dates)))).all()

    def on_leave(member_id: int, day: date) -> bool:
        return any(m == member_id and start <= day <= end for m, start, end in leaves)

    return {
        r.id for r in daily
        if r.member_id in inactive
        or (r.member_id, r.report_date) in reported
        or on_leave(r.member_id, r.report_date)  # type: ignore[arg-type]
    }


# -- outcomes ----------------------------------------------------------------------------------

def _ours(row: OutboxMessage) -> Any:
    """Only while our lease holds: a row taken over after it ran out is the other's to record."""
    return and_(
        OutboxMessage.id == row.id,
        OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.locked_until == row.locked_until,
    )


async def _record(session: AsyncSession, row: OutboxMessage, **values: Any) -> bool:
    result = await session.execute(
        update(OutboxMessage).where(_ours(row)).values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    _mirror(row, **values)
    return True


async def mark_sent(session: AsyncSession, row: OutboxMessage, *, telegram_message_id: int,
                    now: datetime) -> bool:
    """Record delivery. False when the lease was lost (the row is someone else's now)."""
    return await _record(
        session, row, status=OutboxStatus.SENT, sent_at=now, locked_until=None,
        telegram_message_id=telegram_message_id, attempts=row.attempts + 1, error="")


def backoff(attempts: int, base: timedelta = RETRY_BASE, cap: timedelta = RETRY_CAP) -> timedelta:
    """Delay before the next try after `attempts` failed ones: doubling, capped."""
    return min(cap, base * (2 ** max(0, min(attempts - 1, 30))))


async def mark_retry(
    session: AsyncSession,
    row: OutboxMessage,
    *,
    error: str,
    now: datetime,
    delay: timedelta | None = None,
    max_attempts: int = MAX_ATTEMPTS,
) -> bool:
    """A failed attempt: try again after `delay` (default: backoff), or FAILED after the last."""
    attempts = row.attempts + 1
    if attempts >= max_attempts:
        return await _record(session, row, status=OutboxStatus.FAILED, attempts=attempts,
                             locked_until=None, error=error[:_ERROR_LENGTH])
    return await _record(
        session, row, attempts=attempts, locked_until=None, error=error[:_ERROR_LENGTH],
        next_attempt_at=now + (delay if delay is not None else backoff(attempts)))


async def release(session: AsyncSession, rows: Sequence[OutboxMessage], *,
                  not_before: datetime | None = None) -> int:
    """Give claimed rows back untried (shutdown, flood control): no attempt is counted."""
    released = 0
    for row in rows:
        values: dict[str, Any] = {"locked_until": None}
        if not_before is not None:
            values["next_attempt_at"] = not_before
        released += await _record(session, row, **values)
    return released


async def mark_blocked(session: AsyncSession, row: OutboxMessage, *, error: str,
                       now: datetime) -> bool:
    """The chat refuses us (blocked, never started, gone): never retried; the account shows it."""
    recorded = await _record(session, row, status=OutboxStatus.BLOCKED, locked_until=None,
                             attempts=row.attempts + 1, error=error[:_ERROR_LENGTH])
    if recorded:
        # Private chats: the chat id is the user id, and Account.chat_id may not be known yet.
        await session.execute(
            update(Account)
            .where(or_(Account.chat_id == row.chat_id,
                       Account.telegram_user_id == row.chat_id),
                   Account.blocked_at.is_(None))
            .values(blocked_at=now)
            .execution_options(synchronize_session=False)
        )
    return recorded


async def mark_failed(session: AsyncSession, row: OutboxMessage, *, error: str) -> bool:
    """Telegram refused the message itself (bad markup, too long): retrying cannot help."""
    return await _record(session, row, status=OutboxStatus.FAILED, locked_until=None,
                         attempts=row.attempts + 1, error=error[:_ERROR_LENGTH])
