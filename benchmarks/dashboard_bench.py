"""Benchmark: the leaders' dashboard (Mini App) on the 100,000-member organisation of
digest_bench.py, on PostgreSQL: its first screen for the root (GET /webapp/api/summary as an
admin: today's figures per sub-unit, late reports, open alerts; service and JSON) and a
drill-down into a company, a branch and a cell; /status of the root in the same process as
the baseline. Goals: first screen ≤ 300 ms, each drill-down ≤ 100 ms (median of 5 after one
warm-up); exits 1 when one is missed. Usage:

    .venv/bin/python benchmarks/dashboard_bench.py [--members 100000] [--units 5000]
        [--days 30] [--pg URL]   (default: TEST_DATABASE_URL)

Figures are recorded in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.digest_bench import NOW, build  # noqa: E402
from benchmarks.harness import scratch_postgres  # noqa: E402
from bot.db import Database, migrate  # noqa: E402
from bot.db.models import Role  # noqa: E402
from bot.services.digest.status import StatusView, status_view  # noqa: E402
from bot.services.org.permissions import Actor  # noqa: E402
from bot.services.webapp.dashboard import UnitToday, unit_today  # noqa: E402
from bot.webapp.views import unit_json  # noqa: E402

FIRST_SCREEN = 0.300
DRILL_DOWN = 0.100
ADMIN = Actor(1, role=Role.ADMIN, label="bench")
ZONE = "Asia/Shanghai"


async def median(work: Callable[[], Awaitable[Any]], runs: int = 5) -> float:
    await work()  # warm-up: caches, prepared statements
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await work()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


async def run(url: str, args: argparse.Namespace) -> bool:
    db = Database.from_url(url)
    try:
        start = time.perf_counter()
        await build(db, args.members, args.units, args.days)
        print(f"postgresql: {args.units:,} units, {args.members:,} members; built in "
              f"{time.perf_counter() - start:.0f} s")

        def screen(unit_id: int | None) -> Callable[[], Awaitable[Any]]:
            async def work() -> Any:
                async with db.transaction() as s:
                    today = await unit_today(s, ADMIN, unit_id=unit_id, now=NOW,
                                             default_timezone=ZONE)
                assert isinstance(today, UnitToday)
                return unit_json(today)
            return work

        async def status_root() -> Any:
            async with db.transaction() as s:
                view = await status_view(s, ADMIN, unit_id=None, now=NOW,
                                         default_timezone=ZONE)
            assert isinstance(view, StatusView)

        companies = max(1, args.units // 250)
        targets = {"a company": 2, "a branch": 2 + companies, "a cell": args.units}
        baseline = await median(status_root)
        first = await median(screen(None))
        root = await screen(None)()
        print(f"postgresql: /status of the root (baseline) {baseline * 1000:.0f} ms")
        print(f"postgresql: first screen (root: {len(root['children'])} sub-units, "
              f"{root['reported']:,}/{root['expected']:,} reported, {len(root['alerts'])} "
              f"open alerts) {first * 1000:.0f} ms (goal {FIRST_SCREEN * 1000:.0f} ms); "
              f"{first / baseline:.2f} of /status")
        ok = first <= FIRST_SCREEN
        for name, unit_id in targets.items():
            seconds = await median(screen(unit_id))
            print(f"postgresql: drill-down into {name} {seconds * 1000:.0f} ms "
                  f"(goal {DRILL_DOWN * 1000:.0f} ms)")
            ok = ok and seconds <= DRILL_DOWN
        if args.profile:
            import cProfile
            import pstats

            for name, unit_id in (("root", None), ("a cell", args.units)):
                profile = cProfile.Profile()
                profile.enable()
                await screen(unit_id)()
                profile.disable()
                print(f"--- profile: {name}")
                pstats.Stats(profile).sort_stats("cumulative").print_stats(18)
        return ok
    finally:
        await db.dispose()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--units", type=int, default=5_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--pg", default=os.environ.get("TEST_DATABASE_URL"),
                        help="PostgreSQL server URL (a database is created and dropped)")
    parser.add_argument("--profile", action="store_true", help="cProfile root and cell")
    args = parser.parse_args()
    if not args.pg:
        parser.error("give --pg URL or set TEST_DATABASE_URL: the goal is PostgreSQL's")
    async with scratch_postgres(args.pg) as url:
        await migrate.upgrade(url)
        ok = await run(url, args)
    print("goals met" if ok else "GOAL MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
