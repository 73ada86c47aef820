"""Migration 0016: membership history backfilled from the members there were (active ones,
since the day they were created in their unit's zone), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import text

from bot.db import Database, migrate
from tests.support.migrations import before


async def test_memberships_start_on_each_active_members_creation_day(
        database_url: str, db: Database) -> None:
    async with before(database_url, "0015_webapp_logins") as database:
        async with database.engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO units (id, parent_id, name, path, timezone, active, created_at) "
                "VALUES (901, NULL, 'East', '/901/', 'Asia/Shanghai', :yes, :at), "
                "(902, 901, 'West', '/901/902/', 'America/New_York', :yes, :at)"),
                {"yes": True, "at": datetime(2026, 11, 1)})
            # 20:00 UTC on 29 November: 30 November in Shanghai, still the 29th in New York.
            await conn.execute(text(
                "INSERT INTO members (id, unit_id, name, role, active, created_at, updated_at) "
                "VALUES (1, 901, 'E', 'member', :yes, :at, :at), "
                "(2, 902, 'W', 'member', :yes, :at, :at), "
                "(3, 902, 'Gone', 'member', :no, :at, :at)"),
                {"yes": True, "no": False, "at": datetime(2026, 11, 29, 20)})
        await migrate.upgrade(database_url)
        async with database.engine.connect() as conn:
            rows = (await conn.execute(text(
                "SELECT member_id, unit_id, start_day, end_day FROM memberships "
                "ORDER BY member_id"))).all()
            stored = (await conn.execute(text("SELECT count(*) FROM daily_figures"))).scalar()
    assert [(m, u, date.fromisoformat(str(s)), e) for m, u, s, e in rows] == [
        (1, 901, date(2026, 11, 30), None), (2, 902, date(2026, 11, 29), None)]
    assert stored == 0
    await migrate.check(database_url)
