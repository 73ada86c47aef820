"""Fixing daily figures: when a day closes in each unit's zone, written once whatever runs
twice or at once, never rewritten, and equal to what the digest counted (SQLite and
PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.db import Database
from bot.db.models import DailyFigures, Leave
from bot.services.digest.compute import compute_digests
from bot.services.digest.fixing import FIX_DAYS, closes_at, fix_due, last_closed
from bot.services.reports.schedule import resolve
from tests.digest.helpers import MONDAY, SHANGHAI, SUNDAY, at, members, report, unit


async def rows(db: Database, day: Any = SUNDAY) -> dict[int, tuple[int, ...]]:
    async with db.transaction() as s:
        found = await s.scalars(select(DailyFigures).where(DailyFigures.day == day))
        return {r.unit_id: (r.expected, r.reported, r.abnormal, r.late, r.on_leave)
                for r in found}


async def fix(db: Database, now: Any, max_days: int = 2) -> int:
    async with db.transaction() as s:
        return await fix_due(s, now=now, default_timezone=SHANGHAI, max_days=max_days)


async def test_a_day_closes_at_the_next_prompt_in_each_units_zone(db: Database) -> None:
    async with db.transaction() as s:
        east = await unit(s, "East", timezone="Asia/Shanghai")
        west = await unit(s, "West", timezone="America/New_York")
        [e] = await members(s, east, ["E"])
        [w] = await members(s, west, ["W"])
        await report(s, e, SUNDAY)
        await report(s, w, SUNDAY)
        schedule = resolve([east], SHANGHAI)
    assert closes_at(schedule, SUNDAY) == at(MONDAY, "07:30")
    assert last_closed(schedule, at(MONDAY, "07:29")) == SUNDAY - timedelta(days=1)
    assert last_closed(schedule, at(MONDAY, "07:30")) == SUNDAY
    # 07:30 Monday in Shanghai is Sunday evening in New York: only the East's Sunday closed.
    assert await fix(db, at(MONDAY, "07:29")) > 0
    assert await rows(db) == {}
    await fix(db, at(MONDAY, "07:30"))
    assert await rows(db) == {east.id: (1, 1, 0, 0, 0)}
    # New York's Monday 07:30 is 20:30 in Shanghai.
    await fix(db, at(MONDAY, "20:29"))
    assert west.id not in await rows(db)
    await fix(db, at(MONDAY, "20:30"))
    assert (await rows(db))[west.id] == (1, 1, 0, 0, 0)


async def test_two_ticks_at_once_write_each_row_once_and_never_rewrite(db: Database) -> None:
    async with db.transaction() as s:
        group = await unit(s, "Group")
        branch = await unit(s, "Group", "Branch")
        ann, bob, cai = await members(s, branch, ["Ann", "Bob", "Cai"])
        await report(s, ann, SUNDAY)
        await report(s, bob, SUNDAY, abnormal=True, temperature="38.1")
        s.add(Leave(member_id=cai.id, start_date=SUNDAY, end_date=MONDAY))
    now = at(MONDAY, "08:00")
    written = await asyncio.gather(fix(db, now, FIX_DAYS), fix(db, now, FIX_DAYS))
    stored = await rows(db)
    assert sum(written) == len(await all_rows(db)) == 2 * FIX_DAYS and min(written) == 0
    assert stored == {group.id: (2, 2, 1, 0, 1), branch.id: (2, 2, 1, 0, 1)}
    async with db.transaction() as s:
        await members(s, branch, ["Dan"])  # history says: there all along
        await report(s, cai, SUNDAY)
    assert await fix(db, now + timedelta(minutes=1)) == 0
    assert await rows(db) == stored


async def all_rows(db: Database) -> list[Any]:
    async with db.transaction() as s:
        return list((await s.scalars(select(DailyFigures))).all())


async def test_the_late_are_counted_and_the_stored_figures_are_those_counted(
        db: Database) -> None:
    async with db.transaction() as s:
        await unit(s, "Group")
        branch = await unit(s, "Group", "Branch")
        people = await members(s, branch, ["Ann", "Bob", "Cai", "Dan"])
        for i, m in enumerate(people[:3]):
            r = await report(s, m, SUNDAY, abnormal=i == 2, temperature="38.0" if i else None)
            r.late = i == 1
    async with db.transaction() as s:
        counted = (await compute_digests(s, now=at(MONDAY, "09:00"),
                                         default_timezone=SHANGHAI))[branch.id]
    await fix(db, at(MONDAY, "09:00"))
    async with db.transaction() as s:
        read = (await compute_digests(s, now=at(MONDAY, "09:00"),
                                      default_timezone=SHANGHAI))[branch.id]
    assert (await rows(db))[branch.id] == (4, 3, 1, 1, 0)
    assert read.previous == counted.previous
    assert read.history == counted.history
