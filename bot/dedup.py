"""A repeated update (the same update_id delivered again) is processed once, by one instance.

Telegram delivers an update again when a webhook answer times out or a poller restarts from an
unconfirmed offset. A TypeHandler in the first group records each update id in `seen_updates`
(primary key: one row per id, whichever instance inserts it first) and stops any update whose
id some instance already took, before any handler sees it. The row is written in its own
short transaction, shared with the account touch of handlers.users.remember_user (one
transaction for both, see `take_update`): an instance that dies after it and before the
handlers finish loses that update (as Telegram itself would, having had a 200 from the
webhook).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot.context import Context
from bot.db import Database
from bot.db.models import SeenUpdate

logger = logging.getLogger(__name__)

# Telegram keeps an update for 24 hours: none comes back after that.
KEEP = timedelta(hours=25)
PRUNE_EVERY = timedelta(minutes=10)


def digest_of(update: Update) -> str:
    return hashlib.blake2b(update.to_json().encode(), digest_size=8).hexdigest()


class SeenUpdates:
    """The shared record of update ids taken; prunes itself every few minutes."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._pruned_at = datetime.min.replace(tzinfo=UTC)

    async def first_sight(self, update_id: int, digest: str,
                          now: datetime | None = None) -> bool:
        """True for the first delivery of (update_id, content); False for a repeat."""
        async with self._db.transaction() as session:
            return await self.first_sight_in(session, update_id, digest, now)

    async def first_sight_in(self, session: AsyncSession, update_id: int, digest: str,
                             now: datetime | None = None) -> bool:
        """`first_sight` inside the caller's transaction (committed by the caller)."""
        now = now or datetime.now(UTC)
        dialect = self._db.engine.dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        row = insert(SeenUpdate).values(update_id=update_id, digest=digest, seen_at=now)
        # The same id with other content replaces the row: a new update, not a repeat.
        stmt = row.on_conflict_do_update(
            index_elements=[SeenUpdate.update_id],
            set_={"digest": row.excluded.digest, "seen_at": row.excluded.seen_at},
            where=SeenUpdate.digest != row.excluded.digest,
        ).returning(SeenUpdate.update_id)
        taken = (await session.execute(stmt)).first() is not None
        if now - self._pruned_at > PRUNE_EVERY:
            self._pruned_at = now
            await session.execute(delete(SeenUpdate).where(SeenUpdate.seen_at < now - KEEP))
        return taken


async def take_update(session: AsyncSession, update: Update, context: Context) -> bool:
    """True when this delivery is the update's first (here or on another instance); False,
    counted and logged, for a repeat, which the caller stops (ApplicationHandlerStop) once
    its transaction has ended."""
    seen = context.bot_data.seen_updates
    if seen is None:
        seen = context.bot_data.seen_updates = SeenUpdates(context.db)
    if await seen.first_sight_in(session, update.update_id, digest_of(update)):
        return True
    logger.info("update %s delivered again: dropped", update.update_id)
    metrics = context.bot_data.metrics
    if metrics is not None:
        metrics.duplicates.inc()
    return False
