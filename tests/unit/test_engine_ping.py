"""bot.db.engine on PostgreSQL: a pooled connection that the server dropped while it sat idle
is noticed and replaced before use, without a round trip on every checkout."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import exc, text
from sqlalchemy.engine import make_url

from bot.db import Database
from bot.db.engine import create_engine


async def backend_pid(db: Database) -> int:
    async with db.transaction() as s:
        return int(await s.scalar(text("SELECT pg_backend_pid()")) or 0)


async def cut(url: str, pid: int) -> None:
    """What a server restart or an idle-connection timeout does to the bot's connection."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(dsn)
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()


async def test_a_connection_dropped_while_idle_is_replaced(postgres_database: str) -> None:
    db = Database(create_engine(postgres_database, ping_after_idle=0.2, pool_size=1))
    try:
        first = await backend_pid(db)
        assert await backend_pid(db) == first  # used again at once: the same, unchecked
        await cut(postgres_database, first)
        await asyncio.sleep(0.4)
        assert await backend_pid(db) not in (first, 0)  # checked, found gone, replaced
    finally:
        await db.dispose()


async def test_a_connection_dropped_a_moment_ago_fails_once_then_the_pool_recovers(
    postgres_database: str
) -> None:
    # The trade-off of not checking a connection used a moment ago (as pool_pre_ping does).
    db = Database(create_engine(postgres_database, ping_after_idle=60, pool_size=1))
    try:
        first = await backend_pid(db)
        await cut(postgres_database, first)
        await asyncio.sleep(0.2)
        with pytest.raises(exc.DBAPIError):
            await backend_pid(db)
        assert await backend_pid(db) not in (first, 0)
    finally:
        await db.dispose()


async def test_the_direct_path_drops_a_connection_the_server_cut(postgres_database: str) -> None:
    """The one-tap report's statements run on the driver (Database.direct), past SQLAlchemy's
    error handling: a connection the server cut must still leave the pool at its first
    failure, not fail every update that draws it until it has sat idle long enough."""
    from sqlalchemy import literal_column, select

    from bot.db.direct import Direct

    pid = Direct(select(literal_column("pg_backend_pid()").label("pid")))

    async def direct_pid(db: Database) -> int:
        async with db.direct() as connection:
            row = await connection.first(pid)
            return int(row.pid)

    db = Database(create_engine(postgres_database, ping_after_idle=60, pool_size=1))
    try:
        first = await direct_pid(db)
        assert await direct_pid(db) == first
        await cut(postgres_database, first)
        await asyncio.sleep(0.2)
        with pytest.raises(Exception):  # noqa: B017 - the driver's own error
            await direct_pid(db)
        assert await direct_pid(db) not in (first, 0)  # a new connection, at once
    finally:
        await db.dispose()
