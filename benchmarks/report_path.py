"""Benchmark: CPU of the one-tap report's database work, in this process, statement by block.

What benchmarks/throughput.py measures end to end, without the Bot API and PTB: for N
members spread over throughput.py's tree of depth 5, the account touch and update id of
group -1 (`accounts.touch_and_take` on `Database.direct`) and the "all well" report
(`one_tap.report_all_well`), each timed by the process's CPU clock (`time.process_time`),
the first 100 left out (warm-up: caches, prepared statements). Printed per database:
milliseconds of CPU per update for each part.

    .venv/bin/python benchmarks/report_path.py [--members 600] [--pg URL] [--no-sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.harness import scratch_postgres, zone_where_it_is  # noqa: E402
from benchmarks.throughput import FIRST, seed  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.db.seen import SeenUpdates  # noqa: E402
from bot.services.org.accounts import touch_and_take  # noqa: E402
from bot.services.reports.one_tap import report_all_well  # noqa: E402

WARM_UP = 100


async def run(label: str, url: str, n: int) -> None:
    await seed(url, n)
    db = Database.from_url(url)
    seen = SeenUpdates(db)
    now = datetime.now(UTC)
    day = now.astimezone(ZoneInfo(zone_where_it_is(12))).date()
    account_cpu = report_cpu = 0.0
    saved = 0
    try:
        for k, uid in enumerate(range(FIRST, FIRST + n)):
            c0 = time.process_time()
            async with db.direct() as connection:
                _taken, account = await touch_and_take(
                    connection, seen, update_id=k + 1, digest="d", telegram_user_id=uid,
                    chat_id=uid, language_code="en", now=now)
            c1 = time.process_time()
            async with db.direct() as connection:
                well = await report_all_well(
                    connection, telegram_user_id=uid, button_day=day, now=now,
                    default_timezone="UTC", unit_path=account.linked.unit_path)
            c2 = time.process_time()
            saved += well is not None
            if k >= WARM_UP:
                account_cpu, report_cpu = account_cpu + c1 - c0, report_cpu + c2 - c1
    finally:
        await db.dispose()
    m = n - WARM_UP
    print(f"{label}: account and update id {account_cpu / m * 1000:.3f} ms, one-tap report "
          f"{report_cpu / m * 1000:.3f} ms CPU per update ({saved} of {n} saved; load average "
          f"{os.getloadavg()[0]:.1f})", flush=True)
    if saved != n:
        raise SystemExit(f"{label}: {n - saved} reports not saved")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=600)
    parser.add_argument("--pg", nargs="?", const=os.environ.get("TEST_DATABASE_URL", ""),
                        default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            await run("sqlite", f"sqlite+aiosqlite:///{tmp}/path.sqlite3", args.members)
    if args.pg:
        async with scratch_postgres(args.pg) as url:
            await run("postgresql", url, args.members)


if __name__ == "__main__":
    asyncio.run(main())
