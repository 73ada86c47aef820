"""SQLite for SQLAlchemy's asyncio engine, run on the event loop's own thread.

aiosqlite hands every call (make a cursor, execute, fetch, close, begin, commit) to a worker
thread and wakes the event loop when it is done. For our statements, which take
microseconds in SQLite itself, those hand-offs were the largest part of the bot's CPU per
update (benchmarks/throughput.py: about 40 a one-tap report; with this driver the report's
CPU fell by ~4.5 ms, a quarter of it). Here SQLAlchemy's aiosqlite adapter is kept and its
connection and cursor call sqlite3 directly.

What the thread was also doing, and how it is kept:

- **Waiting for the write lock.** Every transaction starts with `BEGIN IMMEDIATE`
  (bot.db.engine), so transactions wait for each other on SQLite's write lock. Waiting in
  SQLite's busy handler here would block the event loop, and with it the transaction that
  holds the lock: a deadlock. So a connection first takes this process's lock for the
  database file (an asyncio.Lock: the transactions of one process queue in order, without
  polling), then tries `BEGIN IMMEDIATE` without waiting; when another *process* holds the
  write lock it waits for it on a worker thread, with the connection's busy timeout, as
  aiosqlite did. The process lock is released when the transaction commits or rolls back.
- **Long statements.** A statement that takes long in SQLite (the digests' counts over a
  100,000-member organisation) would hold up the event loop for its duration: the column
  reads of bot.db.rows.core (digests, /status, the dashboard, the daily figures) run on a
  worker thread instead (bot.db.direct's `off_loop`); the statements of updates take
  microseconds and stay here.

Plugged in as the engine's DBAPI module (`DBAPI`, bot.db.engine.create_engine).
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
import weakref
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

BEGIN = "BEGIN IMMEDIATE"
# How long a transaction waits for this process's lock on the database: as long as SQLite
# waits for the write lock (bot.db.engine's busy timeout), with the same error after it.
LOCK_TIMEOUT = 30.0

# One asyncio.Lock per event loop and database file.
_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary())


def _lock_for(database: str) -> asyncio.Lock | None:
    """This process's lock for a database file; None for an in-memory database, which
    each connection has to itself."""
    if database in ("", ":memory:") or "mode=memory" in database:
        return None
    loop = asyncio.get_running_loop()
    per_loop = _locks.setdefault(loop, {})
    lock = per_loop.get(database)
    if lock is None:
        lock = per_loop[database] = asyncio.Lock()
    return lock


async def _done() -> None:
    """Awaited once a statement: SQLAlchemy's AsyncConnection checks that its driver
    awaited something (a cheap switch of greenlets: the event loop does not run)."""


def _is_busy(error: sqlite3.OperationalError) -> bool:
    return "locked" in str(error) or "busy" in str(error)


class InLoopCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor: each statement runs to completion, rows fetched at once."""

    __slots__ = ("_description", "_rowcount", "_lastrowid")

    def __init__(self, adapt_connection: InLoopConnection) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection  # type: ignore[assignment]
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass

    async def _async_soft_close(self) -> None:
        """Nothing to close: the sqlite3 cursor is closed after each statement."""

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        connection: InLoopConnection = self._adapt_connection  # type: ignore[assignment]
        if operation == BEGIN:
            connection.begin_immediate()
            return
        self._run(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        self._run(operation, seq_of_parameters, many=True)

    def _run(self, operation: Any, parameters: Any, many: bool) -> None:
        await_(_done())
        connection: sqlite3.Connection = self._connection  # type: ignore[assignment]
        cursor = connection.cursor()
        try:
            if many:
                cursor.executemany(operation, parameters)
            elif parameters is None:
                cursor.execute(operation)
            else:
                cursor.execute(operation, parameters)
            self._description = cursor.description
            if self._description:
                self._rows = collections.deque(cursor.fetchall())
            self._rowcount, self._lastrowid = cursor.rowcount, cursor.lastrowid
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        finally:
            cursor.close()

    def nextset(self) -> None:
        raise NotImplementedError("SQLite has no further result sets")

    def setinputsizes(self, *inputsizes: Any) -> None:
        pass


class InLoopServerSideCursor(InLoopCursor):
    """`stream()` / `yield_per`: the sqlite3 cursor stays open and rows are read as asked
    for, so a large result is never all in memory."""

    __slots__ = ("_open",)
    server_side = True

    def _run(self, operation: Any, parameters: Any, many: bool) -> None:
        await_(_done())
        connection: sqlite3.Connection = self._connection  # type: ignore[assignment]
        self._open = connection.cursor()
        try:
            if parameters is None:
                self._open.execute(operation)
            else:
                self._open.execute(operation, parameters)
            self._description = self._open.description
            self._rowcount, self._lastrowid = self._open.rowcount, self._open.lastrowid
        except Exception as error:
            self._open.close()
            self._adapt_connection._handle_exception(error)

    def fetchone(self) -> Any:
        return self._open.fetchone()

    def fetchmany(self, size: int | None = None) -> Any:
        return self._open.fetchmany(size or 1)

    def fetchall(self) -> Any:
        return self._open.fetchall()

    def __iter__(self) -> Any:
        return iter(self._open)

    def close(self) -> None:
        if getattr(self, "_open", None) is not None:
            self._open.close()


class InLoopConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's aiosqlite connection adapter over a plain sqlite3 connection."""

    __slots__ = ("_database", "_holds_lock", "_busy_ms")
    _cursor_cls = InLoopCursor  # type: ignore[assignment]
    _ss_cursor_cls = InLoopServerSideCursor  # type: ignore[assignment]
    _connection: sqlite3.Connection  # type: ignore[assignment]

    def __init__(self, dbapi: Any, connection: sqlite3.Connection, database: str) -> None:
        self.dbapi = dbapi
        self._connection = connection
        self._execute_mutex = asyncio.Lock()  # unused: nothing here awaits mid-statement
        self._database = database
        self._holds_lock = False
        self._busy_ms: int | None = None  # the busy timeout, read at the first BEGIN

    @property
    def isolation_level(self) -> str | None:
        return self._connection.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self._connection.isolation_level = value  # type: ignore[assignment]

    def create_function(self, *args: Any, **kw: Any) -> None:
        self._connection.create_function(*args, **kw)

    def begin_immediate(self) -> None:
        """`BEGIN IMMEDIATE` once this process's earlier transactions on the file ended."""
        lock = _lock_for(self._database)
        if lock is not None and not self._holds_lock:
            try:
                await_(asyncio.wait_for(lock.acquire(), LOCK_TIMEOUT) if lock.locked()
                       else lock.acquire())
            except TimeoutError:
                raise sqlite3.OperationalError("database is locked") from None
            self._holds_lock = True
        try:
            self._begin()
        except BaseException:
            self._release()
            raise

    def _begin(self) -> None:
        connection = self._connection
        if self._busy_ms is None:  # set on connect (bot.db.engine), not changed after
            self._busy_ms = int(connection.execute("PRAGMA busy_timeout").fetchone()[0])
        connection.execute("PRAGMA busy_timeout=0")
        try:
            connection.execute(BEGIN)
            return
        except sqlite3.OperationalError as error:
            if not _is_busy(error):
                raise
        finally:
            connection.execute(f"PRAGMA busy_timeout={self._busy_ms}")
        # Another process writes: wait for it off the event loop, as long as it takes.
        await_(asyncio.to_thread(connection.execute, BEGIN))

    def _release(self) -> None:
        if self._holds_lock:
            self._holds_lock = False
            try:
                lock = _lock_for(self._database)
            except RuntimeError:  # no running loop (garbage collection): nobody waits
                return
            if lock is not None and lock.locked():
                lock.release()

    def commit(self) -> None:
        try:
            self._connection.commit()
        except Exception as error:
            self._handle_exception(error)
        finally:
            if self._connection.in_transaction is False:
                self._release()

    def rollback(self) -> None:
        try:
            self._connection.rollback()
        except Exception as error:
            self._handle_exception(error)
        finally:
            self._release()

    def close(self) -> None:
        try:
            self._connection.close()
        finally:
            self._release()

    async def _terminate_graceful_close(self) -> None:
        self.close()

    def _terminate_force_close(self) -> None:
        self.close()


class InLoopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The aiosqlite DBAPI module whose connections are `InLoopConnection`s."""

    def connect(self, *arg: Any, **kw: Any) -> InLoopConnection:
        kw.pop("async_creator_fn", None)
        kw["check_same_thread"] = False  # the cross-process wait runs on a worker thread
        database = str(arg[0] if arg else kw.get("database", ""))
        try:
            connection = sqlite3.connect(*arg, **kw)
        except Exception as error:
            InLoopConnection._handle_exception_no_connection(self, error)
        return InLoopConnection(self, connection, database)


DBAPI = InLoopDBAPI(aiosqlite, sqlite3)
