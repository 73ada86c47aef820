"""A migration's test: the database taken back to the revision before it, to write the rows
the migration must carry over before `migrate.upgrade` runs it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.db import Database, migrate


@asynccontextmanager
async def before(database_url: str, revision: str) -> AsyncIterator[Database]:
    """The database at `revision`, on an engine of its own, disposed afterwards. Ask for the
    `db` fixture in the test as well: it empties PostgreSQL's tables afterwards, or the rows
    written here would be in the next test's database on the same worker."""
    await migrate.downgrade(database_url, revision)
    database = Database.from_url(database_url)
    try:
        yield database
    finally:
        await database.dispose()
