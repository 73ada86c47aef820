"""bot.db.sqlite_driver: SQLite on the event loop's thread keeps SQLite's transaction
semantics: writers queue (in this process and against other processes) without blocking
the event loop, and a failed transaction lets the next one in."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.db import Database
from bot.db.engine import create_engine


@pytest.fixture
async def sdb(tmp_path: Path) -> Database:
    db = Database(create_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.sqlite3'}"))
    async with db.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)"))
    yield db
    await db.dispose()


async def test_transactions_of_one_process_queue_and_all_commit(sdb: Database) -> None:
    order: list[str] = []

    async def writer(name: str, pause: float) -> None:
        async with sdb.transaction() as s:
            await s.execute(text("INSERT INTO t (v) VALUES (1)"))  # BEGIN IMMEDIATE here
            order.append(f"{name} in")
            await asyncio.sleep(pause)  # other coroutines run while the lock is held
            order.append(f"{name} out")

    await asyncio.wait_for(asyncio.gather(writer("a", 0.05), writer("b", 0), writer("c", 0)),
                           10)
    # One transaction at a time, in arrival order: none started inside another.
    assert order == ["a in", "a out", "b in", "b out", "c in", "c out"]
    async with sdb.transaction() as s:
        assert await s.scalar(text("SELECT count(*) FROM t")) == 3


async def test_a_failed_transaction_lets_the_next_one_in(sdb: Database) -> None:
    with pytest.raises(RuntimeError):
        async with sdb.transaction() as s:
            await s.execute(text("INSERT INTO t (v) VALUES (1)"))
            raise RuntimeError("handler failed")
    with pytest.raises(Exception, match="no such table"):
        async with sdb.transaction() as s:
            await s.execute(text("INSERT INTO missing (v) VALUES (1)"))
    async with asyncio.timeout(5):
        async with sdb.transaction() as s:
            await s.execute(text("INSERT INTO t (v) VALUES (2)"))
    async with sdb.transaction() as s:
        assert list(await s.scalars(text("SELECT v FROM t"))) == [2]  # the first rolled back


async def test_waiting_for_another_process_does_not_block_the_event_loop(
    sdb: Database, tmp_path: Path
) -> None:
    # Another connection (as another process would) holds the write lock for 0.5 s.
    other = sqlite3.connect(tmp_path / "driver.sqlite3", isolation_level=None,
                            check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t (v) VALUES (10)")
    threading.Timer(0.5, other.commit).start()

    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    running = asyncio.create_task(ticker())
    try:
        async with sdb.transaction() as s:  # waits for the other writer's commit
            await s.execute(text("INSERT INTO t (v) VALUES (11)"))
    finally:
        running.cancel()
    other.close()
    assert ticks >= 20  # the loop kept running while we waited (~50 ticks in 0.5 s)
    async with sdb.transaction() as s:
        assert sorted(await s.scalars(text("SELECT v FROM t"))) == [10, 11]


async def test_async_connection_and_streaming_work(sdb: Database) -> None:
    async with sdb.engine.begin() as conn:  # AsyncConnection checks that its driver awaits
        await conn.execute(text("INSERT INTO t (v) VALUES (1), (2), (3)"))
        result = await conn.stream(text("SELECT v FROM t ORDER BY v"))
        assert [row.v async for row in result] == [1, 2, 3]
        assert (await conn.execute(text("DELETE FROM t WHERE v > 1"))).rowcount == 2


async def test_a_streamed_result_is_read_as_asked_for(sdb: Database) -> None:
    async with sdb.engine.begin() as conn:
        await conn.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": i} for i in range(1000)])
        result = await conn.stream(text("SELECT v FROM t ORDER BY v"))
        sizes = [len(part) async for part in result.partitions(300)]
        assert sizes == [300, 300, 300, 100]
        first = await (await conn.stream(text("SELECT v FROM t ORDER BY v DESC"))).fetchmany(2)
        assert [r.v for r in first] == [999, 998]
        async with sdb.sessions(bind=conn) as session:  # the ORM's yield_per streams too
            streamed = await session.stream_scalars(
                text("SELECT v FROM t WHERE v < 10 ORDER BY v").columns(),
                execution_options={"yield_per": 3})
            assert [v async for v in streamed] == list(range(10))


async def test_a_long_column_read_lets_the_event_loop_run(sdb: Database) -> None:
    """bot.db.rows.core (the digests' reads) runs SQLite statements on a worker thread: a
    read that keeps SQLite busy for a while does not hold up the other updates."""
    from sqlalchemy import func, literal_column, select

    from bot.db.rows import core

    # A recursive count: SQLite works for a while (tens to hundreds of ms) on one statement.
    steps = select(literal_column("1").label("n")).cte("steps", recursive=True)
    steps = steps.union_all(select((steps.c.n + 1).label("n")).where(steps.c.n < 2_000_000))
    statement = select(func.count(), func.max(steps.c.n))
    ticks: list[float] = []
    done = asyncio.Event()

    async def ticker() -> None:
        while not done.is_set():
            ticks.append(asyncio.get_running_loop().time())
            await asyncio.sleep(0.005)

    beside = asyncio.create_task(ticker())
    await asyncio.sleep(0.02)
    async with sdb.transaction() as s:
        start = asyncio.get_running_loop().time()
        rows = await core(s, statement)
        took = asyncio.get_running_loop().time() - start
    done.set()
    await beside
    assert tuple(rows[0]) == (2_000_000, 2_000_000)
    during = [t for t in ticks if start < t < start + took]
    assert took > 0.05, "the statement was too quick to tell"
    # On the loop's thread the ticker would not have run at all while SQLite worked.
    assert len(during) >= 3, (took, len(during))
