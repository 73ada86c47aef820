"""Upgrade from empty, downgrade to nothing, upgrade again; the models agree with the
migrations (`alembic check`) — on SQLite and on PostgreSQL."""

from __future__ import annotations

from sqlalchemy import inspect

from bot.db import Database, migrate
from bot.db.models import Base


async def _tables(url: str) -> set[str]:
    database = Database.from_url(url)
    try:
        async with database.engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await database.dispose()


async def test_down_and_up_again_and_models_agree(database_url: str) -> None:
    expected = {t.name for t in Base.metadata.sorted_tables}
    assert expected <= await _tables(database_url)
    assert await migrate.is_at_head(database_url)
    await migrate.check(database_url)

    await migrate.downgrade(database_url, "base")
    assert await _tables(database_url) & expected == set()
    assert not await migrate.is_at_head(database_url)

    await migrate.upgrade(database_url)
    assert expected <= await _tables(database_url)
    await migrate.check(database_url)
