"""The shared record of update ids taken (bot.runtime.dedup explains why): a row per id,
whichever instance inserts it first, pruned once Telegram can no longer send it again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any, cast

from sqlalchemy import CTE, Connection, Insert, Table, bindparam, delete
from sqlalchemy.dialects import postgresql, sqlite

from bot.db.engine import Database
from bot.db.models import SeenUpdate

# Telegram keeps an update for 24 hours: none comes back after that.
KEEP = timedelta(hours=25)
PRUNE_EVERY = timedelta(minutes=10)


class SeenUpdates:
    """The shared record of update ids taken; prunes itself every few minutes."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._pruned_at = datetime.min.replace(tzinfo=UTC)

    async def first_sight(self, update_id: int, digest: str,
                          now: datetime | None = None) -> bool:
        """True for the first delivery of (update_id, content); False for a repeat."""
        async with self._db.core() as connection:
            return await connection.run_sync(self.first_sight_sync, update_id, digest, now)

    def first_sight_sync(self, connection: Connection, update_id: int, digest: str,
                         now: datetime | None = None) -> bool:
        """`first_sight` in the caller's transaction, for synchronous code (run_sync)."""
        now = now or datetime.now(UTC)
        taken = connection.execute(_TAKE[connection.dialect.name], {
            "update_id": update_id, "digest": digest, "seen_at": now}).first() is not None
        self.prune_sync(connection, now)
        return taken

    def prune_sync(self, connection: Connection, now: datetime) -> None:
        """Forget the ids Telegram can no longer send again, every PRUNE_EVERY."""
        if now - self._pruned_at > PRUNE_EVERY:
            self._pruned_at = now
            connection.execute(_PRUNE, {"before": now - KEEP})


def take_update_cte() -> CTE:
    """`first_sight`'s statement as a WITH on PostgreSQL, to run with another read in one
    round trip (bot.services.org.accounts.touch_and_take); parameters update_id, digest and
    seen_at; its update_id column is NULL for a repeat."""
    row = postgresql.insert(_seen).values(update_id=bindparam("update_id"),
                                          digest=bindparam("digest"),
                                          seen_at=bindparam("seen_at"))
    return _on_conflict(row).cte("taken")


def _take(dialect: ModuleType) -> Insert:
    return _on_conflict(dialect.insert(_seen))


def _on_conflict(row: Any) -> Any:
    # The same id with other content replaces the row: a new update, not a repeat.
    return row.on_conflict_do_update(
        index_elements=[_seen.c.update_id],
        set_={"digest": row.excluded.digest, "seen_at": row.excluded.seen_at},
        where=_seen.c.digest != row.excluded.digest,
    ).returning(_seen.c.update_id)


_seen = cast(Table, SeenUpdate.__table__)
# Built once: a statement built per update costs more than running it.
_TAKE = {"sqlite": _take(sqlite), "postgresql": _take(postgresql)}
_PRUNE = delete(_seen).where(_seen.c.seen_at < bindparam("before"))


