"""The async engine and sessions; SQLite made safe for concurrent writers."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import greenlet_spawn

from bot.db import sqlite_driver
from bot.db.direct import DirectConnection

# A pooled connection idle this long (seconds) is checked before use; see _ping_when_idle.
PING_AFTER_IDLE = 5.0

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg",
                  "postgres": "postgresql+asyncpg"}


def async_url(url: str) -> URL:
    """Accept plain `sqlite:///…` and `postgresql://…` URLs and pick the async driver."""
    parsed = make_url(url)
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    return parsed.set(drivername=driver) if driver else parsed


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


def create_engine(url: str, *, foreign_keys: bool = True,
                  ping_after_idle: float = PING_AFTER_IDLE, **kwargs: Any) -> AsyncEngine:
    """An engine for `url`. On SQLite: WAL, a busy timeout, and `BEGIN IMMEDIATE` for writers.
    On a database server: a pooled connection idle for `ping_after_idle` seconds is checked
    before use (`_ping_when_idle`).

    A deferred BEGIN that later upgrades to a write fails at once with "database is locked",
    ignoring busy_timeout; taking the write lock up front makes writers queue instead.
    `foreign_keys=False` is for migrations: batch mode recreates tables, and a DROP with
    foreign keys on fires ON DELETE CASCADE.
    """
    parsed = async_url(url)
    # Statement parameters hold health data and phones: never in a log line or an error's text.
    kwargs.setdefault("hide_parameters", True)
    if parsed.get_backend_name() != "sqlite":
        if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() == "asyncpg":
            # PostgreSQL compiles a query it estimates as costly to machine code first: for
            # the digests' counts over 100,000 members, 50-180 ms of compiling for a query
            # that runs in 75-130 ms. Nothing here runs long enough to win it back.
            kwargs.setdefault("connect_args", {"server_settings": {"jit": "off"}})
        server = create_async_engine(parsed, **kwargs)
        if not kwargs.get("pool_pre_ping"):
            _ping_when_idle(server, ping_after_idle)
        return server

    engine = create_async_engine(parsed, connect_args={"timeout": 30},
                                 module=sqlite_driver.DBAPI, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let us issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        if parsed.database and parsed.database != ":memory:":
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Deleted rows are overwritten, not just unlinked: purged health data leaves the file.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Straight to the driver: through exec_driver_sql it cost as much as a query.
        conn.connection.dbapi_connection.begin_immediate()

    return engine


def _ping_when_idle(engine: AsyncEngine, after: float) -> None:
    """Check a pooled connection before use when it has been idle `after` seconds, and
    replace it if the server has gone (restarted, or cut an idle connection).

    SQLAlchemy's pool_pre_ping checks every checkout, and with asyncpg its check is three
    round trips (BEGIN, an empty query, ROLLBACK): six of the one-tap report's eighteen.
    A connection put back a moment ago is used as it is; if the server went in that moment
    the statement fails and SQLAlchemy drops the whole pool, as it would with the ping.
    """
    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < after:
            return  # new, or in use a moment ago
        try:
            dbapi_connection.ping()
        except Exception as error:
            raise exc.DisconnectionError("the database server closed the connection") \
                from error  # the pool retries with a new connection


def _checkout(sync: Any, begin: bool) -> Any:
    """A pooled connection, on SQLite (`begin`) in a `BEGIN IMMEDIATE` transaction; run in
    a greenlet: the checkout may connect or ping, the BEGIN may wait for this process's
    earlier writer."""
    pooled = sync.raw_connection()
    if begin:
        try:
            pooled.dbapi_connection.begin_immediate()
        except BaseException:
            pooled.close()
            raise
    return pooled


class Database:
    """The engine and its session factory; `transaction()` is the one unit of work."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)
        # On a server, statements that need no transaction around them (`statements()`).
        self._one_by_one = engine if is_sqlite(engine) else engine.execution_options(
            isolation_level="AUTOCOMMIT")

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Database:
        return cls(create_engine(url, **kwargs))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed on success, rolled back on any error."""
        async with self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def core(self) -> AsyncIterator[AsyncConnection]:
        """`transaction()` on a bare connection, for prebuilt Core statements: no ORM
        session to set up and tear down (bot.services.reports.one_tap)."""
        async with self.engine.begin() as connection:
            yield connection

    @asynccontextmanager
    async def statements(self) -> AsyncIterator[AsyncConnection]:
        """A connection (no ORM session) whose statements each commit on their own, for
        cheap work in which each statement stands alone: on a database server that saves
        the BEGIN and COMMIT round trips. On SQLite it is one transaction: there a write
        outside BEGIN IMMEDIATE would wait for the write lock in SQLite itself, holding up
        the event loop."""
        async with self._one_by_one.begin() as connection:
            yield connection

    @asynccontextmanager
    async def direct(self) -> AsyncIterator[DirectConnection]:
        """A pooled connection for prebuilt statements on the driver itself
        (bot.db.direct): on a database server each statement commits on its own; on SQLite
        the block is one `BEGIN IMMEDIATE` transaction, committed on success.

        The connection comes straight from the pool, not through an AsyncConnection: that
        layer started a greenlet for the checkout, the raw connection and the close, about
        60-90 µs of CPU a block, and every update runs two of these blocks. Here one
        greenlet does the checkout (which may connect or ping, and on SQLite wait for the
        write lock) and, on SQLite, the BEGIN."""
        sync = self.engine.sync_engine
        sqlite = is_sqlite(self.engine)
        pooled = await greenlet_spawn(_checkout, sync, sqlite)
        direct = DirectConnection(self.engine.dialect, pooled.driver_connection, sync)
        if not sqlite:
            try:
                yield direct
            except BaseException:
                # Past SQLAlchemy's error handling, a connection the server cut would go
                # back to the pool and fail every update that drew it until its idle ping.
                driver: Any = pooled.driver_connection  # asyncpg's Connection
                if driver is not None and driver.is_closed():
                    await greenlet_spawn(pooled.invalidate)
                raise
            finally:
                await greenlet_spawn(pooled.close)
            return
        adapted: Any = pooled.dbapi_connection  # bot.db.sqlite_driver.InLoopConnection
        try:
            try:
                yield direct
            except BaseException:
                adapted.rollback()
                raise
            adapted.commit()
        finally:
            pooled.close()  # back to the pool: no transaction left, nothing to wait for

    async def dispose(self) -> None:
        await self.engine.dispose()
