"""The shared record of update ids taken (bot.runtime.dedup explains why): a row per id,
whichever instance inserts it first, pruned once Telegram can no longer send it again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any, cast

from sqlalchemy import CTE, Insert, Table, bindparam, delete
from sqlalchemy.dialects import postgresql, sqlite

from bot.db.direct import Direct, DirectConnection
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
        async with self._db.direct() as connection:
            return await self.take(connection, update_id, digest, now)

    async def take(self, connection: DirectConnection, update_id: int, digest: str,
                   now: datetime | None = None) -> bool:
        """`first_sight` on `Database.direct`'s connection (in its transaction on SQLite)."""
        now = now or datetime.now(UTC)
        taken = await connection.first(_TAKE[connection.dialect.name], {
            "update_id": update_id, "digest": digest, "seen_at": now}) is not None
        await self.prune(connection, now)
        return taken

    async def prune(self, connection: DirectConnection, now: datetime) -> None:
        """Forget the ids Telegram can no longer send again, every PRUNE_EVERY."""
        if now - self._pruned_at > PRUNE_EVERY:
            self._pruned_at = now
            await connection.execute(_PRUNE, {"before": now - KEEP})


def take_update_cte() -> CTE:
    """`first_sight`'s statement as a WITH on PostgreSQL, to run with another read in one
    round trip (bot.services.org.accounts.touch_and_take); parameters update_id, digest and
    seen_at; its update_id column is NULL for a repeat."""
    row = postgresql.insert(_seen).values(update_id=bindparam("update_id"),
                                          digest=bindparam("digest"),
                                          seen_at=bindparam("seen_at"))
    return _on_conflict(row).cte("taken")


def _take(dialect: ModuleType) -> Insert:
    return _on_conflict(dialect.insert(_seen).values(
        update_id=bindparam("update_id"), digest=bindparam("digest"),
        seen_at=bindparam("seen_at", type_=_seen.c.seen_at.type)))


def _on_conflict(row: Any) -> Any:
    # The same id with other content replaces the row: a new update, not a repeat.
    return row.on_conflict_do_update(
        index_elements=[_seen.c.update_id],
        set_={"digest": row.excluded.digest, "seen_at": row.excluded.seen_at},
        where=_seen.c.digest != row.excluded.digest,
    ).returning(_seen.c.update_id)


_seen = cast(Table, SeenUpdate.__table__)
# Built once: a statement built per update costs more than running it.
_TAKE = {"sqlite": Direct(_take(sqlite)), "postgresql": Direct(_take(postgresql))}
_PRUNE = Direct(delete(_seen).where(_seen.c.seen_at < bindparam("before")))


