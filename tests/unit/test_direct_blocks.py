"""bot.db.engine's `Database.direct()` blocks on both databases: a block that fails gives
its connection (and on SQLite its write lock) back, and on SQLite writes nothing; one that
succeeds is committed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

import pytest
from sqlalchemy import Table, bindparam, func, insert, select

from bot.db import Database
from bot.db.direct import Direct
from bot.db.models import BotInstance

_instances = cast(Table, BotInstance.__table__)
_at = _instances.c.heartbeat_at.type
_WRITE = Direct(insert(_instances).values(id=bindparam("id"),
                                          started_at=bindparam("at", type_=_at),
                                          heartbeat_at=bindparam("at", type_=_at)))
_COUNT = Direct(select(func.count()).select_from(_instances))
NOW = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)


class Boom(Exception):
    pass


async def test_a_failed_block_gives_its_connection_back(db: Database) -> None:
    # More failures than the pool holds connections: one not given back would run it dry
    # (PostgreSQL), or leave the write lock held and the next block waiting (SQLite).
    for i in range(20):
        with pytest.raises(Boom):
            async with db.direct() as connection:
                await connection.execute(_WRITE, {"id": f"failed-{i}", "at": NOW})
                raise Boom
    assert db.engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    async with db.direct() as connection:
        await connection.execute(_WRITE, {"id": "kept", "at": NOW})
    async with db.direct() as connection:
        [(stored,)] = await connection.rows(_COUNT)
    # On SQLite the block is one transaction, rolled back; on a server each statement
    # commits on its own (bot.db.direct), so the failed blocks' writes stay.
    assert stored == (1 if db.engine.dialect.name == "sqlite" else 21)
