"""Column reads without SQLAlchemy's result layer.

`Session.execute` of a column select still passes every row through the ORM's loading and
SQLAlchemy's row processing: several µs a row, a third of /status for the root of a
100,000-member organisation (~20,000 rows of missing members; benchmarks/README.md, "Daily
digests"). The aggregate reads of the digests, /status and the dashboard select columns
only: they run as `Direct` statements (bot.db.direct: compiled for the dialect, the columns'
result processing applied as SQLAlchemy would) on the driver connection of the session's
own connection, so in its transaction, and return plain named tuples.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exc
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ClauseElement

from bot.db.direct import Direct, DirectConnection


async def core(session: AsyncSession, statement: ClauseElement, *,
               named: bool = True) -> list[Any]:
    """The rows of `statement` (a column select, no ORM entities) in `session`'s
    transaction, as named tuples (a column's key is its attribute); not `named`, as rows
    read by position only (the long reads: tens of thousands of rows)."""
    connection = await session.connection()
    pooled = await connection.get_raw_connection()
    # On SQLite off the event loop's thread: these reads are the long ones (bot.db.direct).
    direct = DirectConnection(connection.dialect, pooled.driver_connection,
                              connection.sync_connection, off_loop=True)
    prebuilt = Direct(statement, once=True)
    try:
        return await direct.rows(prebuilt, named=named)
    except Exception as error:  # the driver's own: raised as SQLAlchemy would (DBAPIError)
        if isinstance(error, exc.SQLAlchemyError):
            raise
        raise exc.DBAPIError.instance(prebuilt.plan(connection.dialect).sql, None, error,
                                      Exception) from error
