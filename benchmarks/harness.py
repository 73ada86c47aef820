"""What the benchmark scripts share: a scratch PostgreSQL database, waiting on a condition
with the bot's log at hand, and a time zone where it is a given hour now."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url


@asynccontextmanager
async def scratch_postgres(server_url: str) -> AsyncIterator[str]:
    """A new, empty database on the PostgreSQL server at `server_url` (its async URL),
    dropped afterwards."""
    import asyncpg

    admin = make_url(server_url).set(drivername="postgresql")
    admin_dsn = admin.render_as_string(hide_password=False)
    name = f"selfreport_bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(admin_dsn)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    try:
        yield admin.set(drivername="postgresql+asyncpg", database=name).render_as_string(
            hide_password=False)
    finally:
        conn = await asyncpg.connect(admin_dsn)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


@asynccontextmanager
async def kept_postgres(server_url: str, name: str) -> AsyncIterator[tuple[str, bool]]:
    """The database `name` on the PostgreSQL server at `server_url`, created when missing and
    kept afterwards (to time again without building again); yields (its async URL, whether
    it existed already)."""
    import asyncpg

    admin = make_url(server_url).set(drivername="postgresql")
    conn = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        existed = bool(await conn.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", name))
        if not existed:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    yield admin.set(drivername="postgresql+asyncpg", database=name).render_as_string(
        hide_password=False), existed


async def wait(condition: Callable[[], Awaitable[bool]], what: str, timeout: float,
               log: Path, every: float = 0.1) -> None:
    """Until `condition()` holds; after `timeout` s, exit saying `what` and the log's tail."""
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} within {timeout}s; bot log:\n"
                             + log.read_text(errors="replace")[-3000:])
        await asyncio.sleep(every)


def zone_where_it_is(hour: int) -> str:
    """An Etc/GMT zone in which it is now `hour` o'clock (give or take the minutes)."""
    offset = (hour - datetime.now(UTC).hour + 12) % 24 - 12
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"
