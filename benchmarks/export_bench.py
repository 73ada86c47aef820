"""Benchmark: /export of a big organisation — time, rows and the process's peak memory.

Builds digest_bench.py's organisation (members in units, `--days` of reports, leaves), every
active member on the roster since before the range (memberships), in a fresh SQLite file (or
PostgreSQL with --pg), then writes the whole organisation's XLSX for the last `--days` days
as /export does (services.reports.export.export_days into render.export.ExportBook, day by
day, write-only). Prints rows, seconds, file size and the peak resident memory (VmHWM, reset
just before) above the resident memory before the export. Exits 1 when that growth exceeds
`--peak-goal` MB. Usage:

    .venv/bin/python benchmarks/export_bench.py [--members 20000] [--units 1000] [--days 30]
        [--pg [URL]] [--peak-goal 150]

Figures are recorded in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import digest_bench  # noqa: E402

from benchmarks.harness import scratch_postgres  # noqa: E402
from bot.db import Database, migrate  # noqa: E402
from bot.i18n import use_locale  # noqa: E402
from bot.render.export import ExportBook  # noqa: E402
from bot.services.org.permissions import operator  # noqa: E402
from bot.services.reports.export import export_days  # noqa: E402


def status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def reset_peak() -> None:
    # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux).
    Path("/proc/self/clear_refs").write_text("5")


async def run(label: str, url: str, args: argparse.Namespace) -> float:
    db = Database.from_url(url)
    try:
        reports = await digest_bench.build(db, args.members, args.units, args.days)
        since = date(2026, 10, 1)
        async with db.engine.begin() as conn:
            await conn.exec_driver_sql(
                "INSERT INTO memberships (member_id, unit_id, start_day) "
                "SELECT id, unit_id, ? FROM members WHERE active"
                if conn.dialect.name == "sqlite" else
                "INSERT INTO memberships (member_id, unit_id, start_day) "
                "SELECT id, unit_id, $1 FROM members WHERE active", (since,))
        end = digest_bench.TODAY
        start = end - timedelta(days=args.days - 1)
        before = status_mb("VmRSS")
        reset_peak()
        began = time.perf_counter()
        with use_locale("zh_CN"):
            book = ExportBook("Asia/Shanghai")
            async with db.transaction() as session:
                async for day in export_days(session, operator(), start, end):
                    book.add(day)
            data = book.finish()
        seconds = time.perf_counter() - began
        growth = status_mb("VmHWM") - before
        print(f"{label}: {args.members:,} members, {reports:,} reports; export of "
              f"{args.days} days: {book.rows:,} rows, {len(data) / 1e6:.1f} MB in "
              f"{seconds:.1f} s; peak RSS {before:.0f} MB + {growth:.0f} MB")
        return growth
    finally:
        await db.dispose()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--units", type=int, default=1_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--pg", nargs="?", const=os.environ.get("TEST_DATABASE_URL", ""))
    parser.add_argument("--peak-goal", type=float, default=150.0)
    args = parser.parse_args()
    growths = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        await migrate.upgrade(url)
        growths.append(await run("sqlite", url, args))
    if args.pg:
        async with scratch_postgres(args.pg) as url:
            await migrate.upgrade(url)
            growths.append(await run("postgresql", url, args))
    return 0 if max(growths) <= args.peak_goal else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
