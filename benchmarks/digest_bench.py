"""Benchmark: every unit's daily digest for an organisation of 100,000 members in 5,000 units.

Builds the organisation (root → companies → branches → cells) with 30 days of reports and
the alerts about the last 3 days' abnormal ones (two in three still open) in a
fresh SQLite file (and in a fresh PostgreSQL database with --pg, or when TEST_DATABASE_URL is
set), then times `compute_digests` for all units at once as the tick does when every digest
is due together (every text; the chart's 14 days for the charts one tick draws), and again
with every unit's chart days, counting the SQL statements it runs (SQLAlchemy's
before_cursor_execute event) and how long the event loop was held at most; then /status for
the root and for one cell, and the chart. Usage:

    .venv/bin/python benchmarks/digest_bench.py [--members 100000] [--units 5000] [--days 30]
        [--pg [URL]] [--no-sqlite] [--keep NAME]

--keep NAME builds the PostgreSQL organisation in the database NAME once and keeps it; a
later run with the same NAME times it again without building (days already stored).

Goals (issue 19), once past days are stored: all digests <= 0.5 s in <= 10 queries, /status
of the root <= 0.15 s, the event loop never held more than 0.1 s by either; the script exits
1 when one is missed. Figures are recorded in
benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event  # noqa: E402

from benchmarks.harness import kept_postgres, scratch_postgres  # noqa: E402
from bot.db import Database, migrate  # noqa: E402
from bot.db.models import (  # noqa: E402
    Account,
    Alert,
    HouseholdReport,
    Leave,
    Member,
    Membership,
    Report,
    Unit,
)
from bot.render.chart import trend_chart  # noqa: E402
from bot.render.digest import digest_text  # noqa: E402
from bot.runtime.runner import settle_heap  # noqa: E402
from bot.services.digest.compute import compute_digests  # noqa: E402
from bot.services.digest.fixing import fix_due  # noqa: E402
from bot.services.digest.queue import CHART_SECONDS_EACH, CHART_SECONDS_PER_TICK  # noqa: E402

TODAY = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)  # 13:00 in Shanghai, after the deadline
CHUNK = 20_000


def tree(n_units: int) -> list[tuple[int, int | None, str, str]]:
    """(id, parent id, name, path): 1 root, ~0.4% companies, ~4% branches, the rest cells."""
    companies = max(1, n_units // 250)
    branches = max(1, n_units // 25)
    rows = [(1, None, "Group", "/1/")]
    for c in range(companies):
        uid = 2 + c
        rows.append((uid, 1, f"Company {c + 1}", f"/1/{uid}/"))
    first_branch = 2 + companies
    for b in range(branches):
        uid, parent = first_branch + b, 2 + b % companies
        rows.append((uid, parent, f"Branch {b + 1}", f"/1/{parent}/{uid}/"))
    paths = {r[0]: r[3] for r in rows}
    for cell in range(n_units - len(rows)):
        uid, parent = first_branch + branches + cell, first_branch + cell % branches
        rows.append((uid, parent, f"Cell {cell + 1}", f"{paths[parent]}{uid}/"))
    return rows


def chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


async def build(db: Database, n_members: int, n_units: int, n_days: int) -> int:
    """The organisation; returns the number of reports."""
    rnd = random.Random(7)
    units = tree(n_units)
    cells = [u[0] for u in units if u[0] > 1] or [1]
    at = NOW - timedelta(days=40)
    home = {m: cells[m % len(cells)] for m in range(1, n_members + 1)}
    reports = 0
    async with db.engine.begin() as conn:
        await conn.execute(Unit.__table__.insert(), [
            {"id": i, "parent_id": p, "name": n, "path": path, "active": True, "created_at": at}
            for i, p, n, path in units])
        for batch in chunks({"id": m, "unit_id": u, "name": f"Member {m}", "role": "member",
                             "telegram_user_id": 10_000_000 + m if m % 10 else None,
                             "active": m % 200 != 0, "created_at": at, "updated_at": at}
                            for m, u in home.items()):
            await conn.execute(Member.__table__.insert(), batch)
        for batch in chunks({"member_id": m, "unit_id": u, "start_day": at.date(),
                             "end_day": None} for m, u in home.items() if m % 200 != 0):
            await conn.execute(Membership.__table__.insert(), batch)
        for batch in chunks({"telegram_user_id": 10_000_000 + m, "chat_id": 10_000_000 + m,
                             "blocked_at": at if m % 97 == 0 else None, "created_at": at,
                             "last_seen_at": at} for m in home if m % 10):
            await conn.execute(Account.__table__.insert(), batch)
        await conn.execute(Leave.__table__.insert(), [
            {"member_id": m, "start_date": TODAY - timedelta(days=m % 20),
             "end_date": TODAY - timedelta(days=m % 20) + timedelta(days=5), "kind": "leave",
             "note": "", "created_at": at} for m in home if m % 100 == 3])
        report_id = 0
        alerts: list[dict[str, Any]] = []
        for offset in range(n_days - 1, -1, -1):
            day = TODAY - timedelta(days=offset)
            share = 0.8 if offset == 0 else 0.95
            rows, household = [], []
            for m, u in home.items():
                if rnd.random() >= share:
                    continue
                report_id += 1
                abnormal = rnd.random() < 0.005
                stamp = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
                rows.append({"id": report_id, "member_id": m, "unit_id": u, "report_date": day,
                             "status": "abnormal" if abnormal else "ok",
                             "temperature": Decimal("38.1") if abnormal else None,
                             "symptoms": ["cough"] if abnormal else [], "contact_case": False,
                             "travel": False, "isolation": False, "note": "", "late": False,
                             "revision": 1, "created_at": stamp, "updated_at": stamp})
                if abnormal and offset < 3:
                    alerts.append({"report_id": report_id, "unit_id": u, "level": m % 3,
                                   "revision": 1, "fingerprint": "", "top": False,
                                   "reached": True, "created_at": stamp,
                                   "escalated_at": stamp,
                                   "handled_at": stamp if report_id % 3 == 0 else None})
                if abnormal and m % 2:
                    household.append({"report_id": report_id, "relation": "child",
                                      "name": f"Child {m}", "temperature": Decimal("38.5"),
                                      "symptoms": [], "note": ""})
            for batch in chunks(iter(rows)):
                await conn.execute(Report.__table__.insert(), batch)
            if household:
                await conn.execute(HouseholdReport.__table__.insert(), household)
            reports += len(rows)
        if alerts:
            await conn.execute(Alert.__table__.insert(), alerts)
        if conn.dialect.name == "postgresql":
            for table in ("units", "members", "reports", "household_reports", "leaves",
                          "alerts", "memberships"):
                await conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))")
            await conn.exec_driver_sql("ANALYZE")
        else:
            await conn.exec_driver_sql("ANALYZE")
    return reports


# The longest time the event loop went without running another task during the last
# `timed` call: what every other chat of the bot would have waited (goal: <= 0.1 s).
BLOCKED = [0.0]
TICK = float(os.environ.get("LOOP_TICK", "0.005"))


async def _watch(stop: asyncio.Event) -> None:
    """Sleeps TICK at a time; how much later than asked each wake-up came is a block."""
    loop = asyncio.get_running_loop()
    BLOCKED[0] = 0.0
    while not stop.is_set():
        asked = loop.time()
        await asyncio.sleep(TICK)
        BLOCKED[0] = max(BLOCKED[0], loop.time() - asked - TICK)


async def timed(db: Database, work: Callable[[], Awaitable[Any]]) -> tuple[Any, float, int]:
    statements = []

    def count(*_args: Any) -> None:
        statements.append(1)

    stop = asyncio.Event()
    watcher = asyncio.create_task(_watch(stop))
    await asyncio.sleep(0)
    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        start = time.perf_counter()
        result = await work()
        return result, time.perf_counter() - start, len(statements)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
        stop.set()
        await watcher


ALL_DIGESTS = 0.5
ALL_QUERIES = 10
STATUS_ROOT = 0.15
LOOP_BLOCK = 0.1
# The charts one tick draws (bot.services.digest.queue: CHART_SECONDS_PER_TICK's worth).
CHARTS_A_TICK = int(CHART_SECONDS_PER_TICK / CHART_SECONDS_EACH)


async def run(label: str, url: str, args: argparse.Namespace, built: bool = False) -> bool:
    """Build (unless `built`), time, print; whether the goals were met."""
    db = Database.from_url(url)
    try:
        if built:
            print(f"{label}: the organisation kept in {args.keep} (days stored)")
        else:
            start = time.perf_counter()
            reports = await build(db, args.members, args.units, args.days)
            print(f"{label}: {args.units:,} units, {args.members:,} members, {reports:,} "
                  f"reports over {args.days} days; built in {time.perf_counter() - start:.1f} s")

        # The bot freezes what start-up left in the heap (bot.runtime.runner.settle_heap) so
        # that the garbage collector's full passes walk only what came after; so does this
        # process, with the building done.
        settle_heap()

        async def every_unit() -> Any:
            """What the tick computes when every unit's digest is due at once: every text,
            and the chart's days for the charts it draws (bot.services.digest.queue)."""
            async with db.transaction() as s:
                return await compute_digests(s, now=NOW, default_timezone="Asia/Shanghai",
                                             charts=range(1, CHARTS_A_TICK + 1))

        async def every_chart() -> Any:
            async with db.transaction() as s:
                return await compute_digests(s, now=NOW, default_timezone="Asia/Shanghai")

        async def status_of(name: str, unit_id: int, when: str) -> float:
            async def one() -> Any:
                async with db.transaction() as s:
                    return await compute_digests(s, now=NOW, default_timezone="Asia/Shanghai",
                                                 unit_ids=[unit_id], history=False)
            _, seconds, queries = await timed(db, one)
            print(f"{label}: /status of {name} {when} in {seconds:.2f} s, {queries} queries, "
                  f"event loop blocked at most {BLOCKED[0] * 1000:.0f} ms")
            return seconds

        async def fix() -> int:
            async with db.transaction() as s:
                return await fix_due(s, now=NOW, default_timezone="Asia/Shanghai")

        if not built:
            # First with no day stored yet (past days counted from the membership history),
            # then after the tick has fixed them (every later day: past days read from
            # daily_figures).
            _, seconds, queries = await timed(db, every_unit)
            print(f"{label}: all digests, no day stored, in {seconds:.2f} s, {queries} queries")
            for name, unit_id in (("root", 1), ("a cell", args.units)):
                await status_of(name, unit_id, "no day stored")
            # The tick stores DAYS_PER_TICK days a minute, newest first, until all are in.
            ticks, total, spent, longest = 0, 0, 0.0, 0.0
            while True:
                written, seconds, queries = await timed(db, fix)
                if not written:
                    break
                ticks, total, spent = ticks + 1, total + written, spent + seconds
                longest = max(longest, seconds)
            print(f"{label}: fixed {total:,} daily figures ({args.days} days) in {ticks} ticks, "
                  f"{spent:.2f} s (longest tick {longest:.2f} s)")
        _, seconds, queries = await timed(db, fix)
        print(f"{label}: a tick with nothing to fix in {seconds * 1000:.1f} ms, "
              f"{queries} queries")

        _, seconds, queries = await timed(db, every_chart)
        print(f"{label}: all digests with every unit's 14 chart days in {seconds:.2f} s, "
              f"{queries} queries, event loop blocked at most {BLOCKED[0] * 1000:.0f} ms")
        digests, seconds, queries = await timed(db, every_unit)
        root = digests[1]
        print(f"{label}: all {len(digests):,} digests, the chart's days of {CHARTS_A_TICK} "
              f"(a tick's charts), in {seconds:.2f} s, {queries} queries, event loop blocked "
              f"at most {BLOCKED[0] * 1000:.0f} ms "
              f"(root: {root.figures.reported:,}/{root.figures.expected:,} reported, "
              f"{len(root.cases)} abnormal, {len(root.alerts)} open alerts, "
              f"{len(root.missing):,} missing)")
        ok = seconds <= ALL_DIGESTS and queries <= ALL_QUERIES and BLOCKED[0] <= LOOP_BLOCK
        print(f"{label}: goal all digests <= {ALL_DIGESTS} s in <= {ALL_QUERIES} queries, "
              f"loop blocked <= {LOOP_BLOCK * 1000:.0f} ms: {'met' if ok else 'MISSED'}")
        for name, unit_id in (("root", 1), ("a cell", args.units)):
            status = await status_of(name, unit_id, "days stored")
            if unit_id == 1:
                met = status <= STATUS_ROOT and BLOCKED[0] <= LOOP_BLOCK
                print(f"{label}: goal /status of the root <= {STATUS_ROOT} s, loop blocked "
                      f"<= {LOOP_BLOCK * 1000:.0f} ms: "
                      f"{'met' if met else 'MISSED'}")
                ok = ok and met
        start = time.perf_counter()
        longest = max(len(digest_text(d)) for d in digests.values())
        print(f"{label}: rendered all texts in {time.perf_counter() - start:.2f} s "
              f"(longest {longest:,} characters)")
        return ok
    finally:
        await db.dispose()


def chart_seconds() -> float:
    points = [(TODAY - timedelta(days=13 - i), 0.9, i % 3) for i in range(14)]
    trend_chart(points)
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        trend_chart(points)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--units", type=int, default=5_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--pg", nargs="?", const=os.environ.get("TEST_DATABASE_URL", ""),
                        default=os.environ.get("TEST_DATABASE_URL"),
                        help="PostgreSQL server URL (a database is created and dropped)")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--keep", metavar="NAME",
                        help="build into the PostgreSQL database NAME once and keep it")
    args = parser.parse_args()
    if args.units < 2 or args.members < 1 or args.days < 2:
        parser.error("need at least 2 units, 1 member and 2 days")
    ok = True
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
            await migrate.upgrade(url)
            ok = await run("sqlite", url, args) and ok
    if args.pg and args.keep:
        async with kept_postgres(args.pg, args.keep) as (url, existed):
            if not existed:
                await migrate.upgrade(url)
            ok = await run("postgresql", url, args, built=existed) and ok
    elif args.pg:
        async with scratch_postgres(args.pg) as url:
            await migrate.upgrade(url)
            ok = await run("postgresql", url, args) and ok
    elif args.pg is not None:
        print("postgresql: skipped (give --pg URL or set TEST_DATABASE_URL)")
    print(f"chart: {chart_seconds():.3f} s per PNG (median of 5)")
    print("goals met" if ok else "GOAL MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
