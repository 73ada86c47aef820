"""Alembic environment, async, sharing the caller's connection when one is given.

`bot.db.migrate` passes a connection in `config.attributes["connection"]` (Alembic's
cookbook: calling `asyncio.run()` from inside a running loop fails). The `alembic` command
line gets none and opens its own engine from DATABASE_URL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection

from bot.db.models import Base

target_metadata = Base.metadata


def _for_this_database(dialect: str) -> Callable[..., bool]:
    """Autogenerate's filter: a model's object made for another database only (an index
    with `ddl_if(dialect=…)`, created by its migration on that database) is not missing."""

    def include(obj: Any, name: str | None, type_: str, reflected: bool,
                compare_to: Any) -> bool:
        made_if = getattr(obj, "_ddl_if", None)
        return reflected or made_if is None or made_if.dialect in (None, dialect)

    return include


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=_for_this_database(connection.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_standalone() -> None:
    from bot.config import load_settings
    from bot.db.engine import create_engine

    engine = create_engine(load_settings().database_url, foreign_keys=False)
    async with engine.connect() as connection:
        await connection.run_sync(run_with)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported")

shared = context.config.attributes.get("connection")
if shared is not None:
    run_with(shared)
else:
    asyncio.run(run_standalone())
