"""Prebuilt Core statements run on the driver's own connection: the few every update runs.

Through SQLAlchemy's asyncio layer a statement costs far more CPU than the database spends
on it: the connection, its BEGIN, the statement and the COMMIT each start a greenlet, and
each statement passes the execution context, the result set-up and, with asyncpg, the
adapter's own prepared-statement cache (benchmarks/README.md "Issue 19": about 0.4 ms a
block with one statement against 0.04 ms for the same statement on the asyncpg connection).
The one-tap report and the account touch that precedes every update run here instead:

- `Direct(statement)` compiles a Core statement once per dialect, with the type processing
  SQLAlchemy would apply to its parameters and columns (UTCDateTime, enums, JSON);
- `Database.direct()` lends a pooled connection (the pool's checks apply as usual): on
  PostgreSQL every statement commits on its own (asyncpg, no BEGIN/COMMIT round trips: a
  write that must be atomic is one statement, a data-modifying WITH); on SQLite the block is
  one `BEGIN IMMEDIATE` transaction on the sqlite3 connection (bot.db.sqlite_driver's
  process lock and cross-process wait included).

Only statements without expanding (IN-list) parameters; build one per list length.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Dialect, Numeric
from sqlalchemy.sql import ClauseElement

_Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Plan:
    sql: str
    params: tuple[tuple[str | None, Any, _Processor], ...]  # (key or None for fixed, value, bind)
    row: Any  # a namedtuple class, or None for a statement that returns nothing
    results: tuple[_Processor, ...]


class Direct:
    """A Core statement, compiled once per dialect for `DirectConnection`."""

    __slots__ = ("statement", "_plans", "_once")

    def __init__(self, statement: ClauseElement, *, once: bool = False) -> None:
        """`once`: a statement run once with the values it holds (bot.db.rows), so that an
        IN list can be written out as one parameter per value."""
        self.statement = statement
        self._plans: dict[str, _Plan] = {}
        self._once = once

    def plan(self, dialect: Dialect) -> _Plan:
        found = self._plans.get(dialect.name)
        if found is None:
            found = self._plans[dialect.name] = _compile(self.statement, dialect, self._once)
        return found


def _compile(statement: Any, dialect: Dialect, once: bool = False) -> _Plan:
    compiled = statement.compile(dialect=dialect,
                                 compile_kwargs={"render_postcompile": True} if once else {})
    if compiled.insert_prefetch or compiled.update_prefetch:
        raise ValueError("a Direct statement gives every column's value: "
                         "the columns' Python-side defaults are not applied")
    params = []
    values = compiled.construct_params() if once else {}
    for name in compiled.positiontup or ():
        # An IN list written out (`once`): "id_1_2" is the second value of bind "id_1".
        bind = compiled.binds[name if name in compiled.binds else name.rsplit("_", 1)[0]]
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if once:
            value = values[name]
            params.append((None, processor(value) if processor and value is not None
                           else value, None))
        elif bind.required or bind.callable is not None:
            params.append((bind.key, None, processor))
        else:
            value = bind.effective_value
            params.append((None, processor(value) if processor else value, None))
    columns = list(getattr(statement, "selected_columns", None) or ())
    if not columns and getattr(statement, "_returning", None):
        columns = list(statement._returning)
    row = collections.namedtuple("Row", [c.key for c in columns],
                                 rename=True) if columns else None
    results = tuple(_result_processor(c.type, dialect) for c in columns)
    return _Plan(compiled.string, tuple(params), row, results)


def _result_processor(type_: Any, dialect: Dialect) -> _Processor:
    """What SQLAlchemy applies to a column's values. asyncpg's NUMERIC processor asks for
    the column's type code, known only from a cursor; asyncpg already gives a Decimal."""
    if dialect.driver == "asyncpg" and isinstance(type_, Numeric) and type_.asdecimal:
        return None
    processor: _Processor = type_.dialect_impl(dialect).result_processor(dialect, None)
    return processor


class DirectConnection:
    """A pooled connection's driver connection, for `Direct` statements."""

    def __init__(self, dialect: Dialect, driver: Any, events: Any = None, *,
                 off_loop: bool = False) -> None:
        """`events`: the SQLAlchemy Engine (or a Connection of it) whose cursor-execute
        listeners (the tests' and benchmarks' statement counts) should see these statements
        too; they are called without a connection or cursor.
        `off_loop`: on SQLite, run each statement on a worker thread (sqlite3 lets go of
        the GIL while SQLite works), for reads long enough to hold up every other update
        (the digests' counts over 100,000 members); a hand-off costs ~0.1 ms, more than the
        one-tap report's statements take, which stay on the loop's thread."""
        self.dialect = dialect
        self._driver = driver
        self._postgresql = dialect.name == "postgresql"
        self._off_loop = off_loop and not self._postgresql
        self._events = events if events is not None and (
            events._has_events or events.engine._has_events) else None

    async def rows(self, statement: Direct, params: Mapping[str, Any] | None = None,
                   *, named: bool = True) -> list[Any]:
        """The statement's rows (namedtuples), its columns processed as SQLAlchemy would.
        Not `named`: rows read by position only (the driver's own where no column needs
        processing), for reads of tens of thousands of rows: a namedtuple is ~1 µs a row."""
        plan = statement.plan(self.dialect)
        args = _arguments(plan, params or {})
        if self._events is not None:
            self._events.dispatch.before_cursor_execute(
                None, None, plan.sql, args, None, False)
        if self._postgresql:
            raw: list[Any] = await self._driver.fetch(plan.sql, *args)
        elif self._off_loop:
            raw = await asyncio.to_thread(_sqlite_rows, self._driver, plan.sql, args)
        else:
            raw = _sqlite_rows(self._driver, plan.sql, args)
        if plan.row is None:
            return []
        results = plan.results
        if any(results):
            raw = [tuple([value if p is None or value is None else p(value)
                          for p, value in zip(results, r, strict=True)]) for r in raw]
        if not named:
            return raw
        make = plan.row._make
        return [make(r) for r in raw]

    async def first(self, statement: Direct,
                    params: Mapping[str, Any] | None = None) -> Any | None:
        found = await self.rows(statement, params)
        return found[0] if found else None

    async def execute(self, statement: Direct, params: Mapping[str, Any] | None = None) -> None:
        await self.rows(statement, params)


def _sqlite_rows(connection: Any, sql: str, args: Sequence[Any]) -> list[Any]:
    cursor = connection.execute(sql, args)
    try:
        return cursor.fetchall() if cursor.description else []
    finally:
        cursor.close()


def _arguments(plan: _Plan, params: Mapping[str, Any]) -> list[Any]:
    args = []
    for key, value, processor in plan.params:
        if key is not None:
            value = params[key]
            if processor is not None and value is not None:
                value = processor(value)
        args.append(value)
    return args

