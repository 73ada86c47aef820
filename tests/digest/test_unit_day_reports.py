"""unit_day_reports, kept by the database's triggers (migration 0018), always holds what it
stands for — each unit's count of its active members' reports per day and how many were
abnormal — after any mix of reports, changes, deletions, moves, departures and returns, on
SQLite and PostgreSQL; the migration counts the reports already there."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db import Database, migrate
from tests.support.migrations import before

DAY = date(2026, 11, 30)
AT = datetime(2026, 11, 1)
UNITS = (1, 2, 3)
MEMBERS = range(1, 7)

_COUNTED = """
SELECT unit_id, day, reports, abnormal FROM unit_day_reports
WHERE reports <> 0 OR abnormal <> 0 ORDER BY unit_id, day
"""
# What the table stands for, counted from the reports themselves.
_RECOUNTED = """
SELECT m.unit_id, r.report_date, count(*),
       sum(CASE WHEN r.status = 'abnormal' THEN 1 ELSE 0 END)
FROM reports r JOIN members m ON m.id = r.member_id
WHERE m.active GROUP BY m.unit_id, r.report_date ORDER BY m.unit_id, r.report_date
"""

member = st.sampled_from(list(MEMBERS))
day = st.integers(0, 2)
operations = st.lists(st.one_of(
    st.tuples(st.just("report"), member, day, st.booleans()),
    st.tuples(st.just("status"), member, day, st.booleans()),
    st.tuples(st.just("redate"), member, day, day),
    st.tuples(st.just("unreport"), member, day),
    st.tuples(st.just("move"), member, st.sampled_from(UNITS)),
    st.tuples(st.just("active"), member, st.booleans()),
    st.tuples(st.just("delete"), member),
    st.tuples(st.just("purge"), day),
), max_size=25)


def _status(abnormal: bool) -> str:
    return "abnormal" if abnormal else "ok"


async def _apply(conn: AsyncConnection, op: tuple[Any, ...]) -> None:
    """One change as any write path could make it: plain statements, no ORM."""
    kind, *args = op
    if kind == "report":
        m, d, abnormal = args
        await conn.execute(text(
            "INSERT INTO reports (member_id, unit_id, report_date, status, symptoms, "
            "contact_case, travel, isolation, note, late, revision, created_at, updated_at) "
            "SELECT id, unit_id, :day, :status, '[]', :no, :no, :no, '', :no, 1, :at, :at "
            "FROM members WHERE id = :m AND NOT EXISTS (SELECT 1 FROM reports "
            "WHERE member_id = :m AND report_date = :day)"),
            {"m": m, "day": DAY - timedelta(d), "status": _status(abnormal), "no": False,
             "at": AT})
    elif kind == "status":
        m, d, abnormal = args
        await conn.execute(text("UPDATE reports SET status = :status "
                                "WHERE member_id = :m AND report_date = :day"),
                           {"m": m, "day": DAY - timedelta(d), "status": _status(abnormal)})
    elif kind == "redate":
        m, d, to = args
        await conn.execute(text(
            "UPDATE reports SET report_date = :to WHERE member_id = :m AND report_date = :day "
            "AND NOT EXISTS (SELECT 1 FROM reports WHERE member_id = :m AND report_date = :to)"),
            {"m": m, "day": DAY - timedelta(d), "to": DAY - timedelta(to)})
    elif kind == "unreport":
        m, d = args
        await conn.execute(text("DELETE FROM reports WHERE member_id = :m AND report_date = :day"),
                           {"m": m, "day": DAY - timedelta(d)})
    elif kind == "move":
        m, u = args
        await conn.execute(text("UPDATE members SET unit_id = :u WHERE id = :m"), {"m": m, "u": u})
    elif kind == "active":
        m, active = args
        await conn.execute(text("UPDATE members SET active = :a WHERE id = :m"),
                           {"m": m, "a": active})
    elif kind == "delete":
        await conn.execute(text("DELETE FROM members WHERE id = :m"), {"m": args[0]})
    else:  # the purge: every report before a day, as services.purge deletes them
        await conn.execute(text("DELETE FROM reports WHERE report_date < :day"),
                           {"day": DAY - timedelta(args[0])})


async def _empty(conn: AsyncConnection) -> None:
    for table in ("reports", "members", "unit_day_reports"):
        await conn.execute(text(f"DELETE FROM {table}"))
    await conn.execute(text("DELETE FROM units WHERE parent_id IS NOT NULL"))
    await conn.execute(text("DELETE FROM units"))


async def _organisation(conn: AsyncConnection, *, gone: Collection[int] = ()) -> None:
    """Units 1 ─ 2, 3; members 1–6 over them (member m in UNITS[m % 3]), those `gone`
    inactive."""
    await conn.execute(text(
        "INSERT INTO units (id, parent_id, name, path, active, created_at) VALUES "
        "(1, NULL, 'G', '/1/', :yes, :at), (2, 1, 'A', '/1/2/', :yes, :at), "
        "(3, 1, 'B', '/1/3/', :yes, :at)"), {"yes": True, "at": AT})
    for m in MEMBERS:
        await conn.execute(text(
            "INSERT INTO members (id, unit_id, name, role, active, created_at, updated_at) "
            "VALUES (:m, :u, :name, 'member', :active, :at, :at)"),
            {"m": m, "u": UNITS[m % len(UNITS)], "name": f"M{m}", "active": m not in gone,
             "at": AT})


def _rows(rows: Any) -> list[tuple[int, date, int, int]]:
    return [(u, date.fromisoformat(str(d)), int(n), int(a)) for u, d, n, a in rows]


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
async def test_the_counts_are_what_they_count_after_any_changes(
        db: Database, ops: list[tuple[Any, ...]]) -> None:
    async with db.engine.begin() as conn:
        await _empty(conn)
        await _organisation(conn)
    for op in ops:  # each change its own transaction, as the bot makes them
        async with db.engine.begin() as conn:
            await _apply(conn, op)
    async with db.engine.connect() as conn:
        counted = _rows(await conn.execute(text(_COUNTED)))
        recounted = _rows(await conn.execute(text(_RECOUNTED)))
    assert counted == recounted
    assert all(n >= 0 and 0 <= a <= n for _u, _d, n, a in counted)


async def test_a_move_and_a_departure_take_the_reports_with_them(db: Database) -> None:
    """The case the digests depend on, spelled out: a member's reports follow them to their
    new unit, leave the count when they leave and come back when they return."""
    async with db.engine.begin() as conn:
        await _empty(conn)
        await _organisation(conn)
        for op in (("report", 1, 0, True), ("report", 1, 1, False), ("report", 2, 0, False)):
            await _apply(conn, op)
    expected_before = [(2, DAY - timedelta(1), 1, 0), (2, DAY, 1, 1), (3, DAY, 1, 0)]
    async with db.engine.connect() as conn:
        assert _rows(await conn.execute(text(_COUNTED))) == expected_before
    async with db.engine.begin() as conn:
        await _apply(conn, ("move", 1, 3))
    async with db.engine.connect() as conn:
        assert _rows(await conn.execute(text(_COUNTED))) == [
            (3, DAY - timedelta(1), 1, 0), (3, DAY, 2, 1)]
    async with db.engine.begin() as conn:
        await _apply(conn, ("active", 1, False))
    async with db.engine.connect() as conn:
        assert _rows(await conn.execute(text(_COUNTED))) == [(3, DAY, 1, 0)]
    async with db.engine.begin() as conn:
        await _apply(conn, ("active", 1, True))
        await _apply(conn, ("move", 1, 2))
    async with db.engine.connect() as conn:
        assert _rows(await conn.execute(text(_COUNTED))) == expected_before


async def test_the_migration_counts_the_reports_already_there(
        database_url: str, db: Database) -> None:
    async with before(database_url, "0017_abnormal_reports_index") as database:
        async with database.engine.begin() as conn:
            await _organisation(conn, gone={6})
            for op in (("report", 1, 0, True), ("report", 4, 0, False), ("report", 2, 1, False),
                       ("report", 6, 0, True), ("report", 3, 0, False)):
                await _apply(conn, op)
        await migrate.upgrade(database_url)
        async with database.engine.connect() as conn:
            counted = _rows(await conn.execute(text(_COUNTED)))
    # Members 1 and 4 in unit 2, 2 in unit 3, 3 in unit 1; 6 has left: not counted.
    assert counted == [(1, DAY, 1, 0), (2, DAY, 2, 1), (3, DAY - timedelta(1), 1, 0)]
    await migrate.check(database_url)
