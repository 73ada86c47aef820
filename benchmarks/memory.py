"""Benchmark: resident memory of one bot process, idle and during a prompt fan-out.

Builds the organisation of digest_bench.py (100,000 members in 5,000 units, 30 days of
reports up to yesterday, so that today everyone is due a prompt) in a fresh SQLite file or
PostgreSQL database, starts the bot (`python -m bot run`, SEND_RATE 1000, the sandbox in this
process with Telegram's limits off), samples its VmRSS every half second: idle for
`--idle` seconds, then through the tick that queues every member's prompt
(`selfreport tick --at` in another process, the same code path as the minute job) and the
first `--sends` messages of the fan-out. Printed: RSS idle, at the tick, and after each
tenth of the sends: if memory grew with the number of members, the column would climb.

    .venv/bin/python benchmarks/memory.py [--members 100000] [--days 30] [--sends 20000]
        [--pg URL]

Figures are recorded in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import digest_bench  # noqa: E402
from sqlalchemy import update  # noqa: E402

from benchmarks.harness import scratch_postgres, zone_where_it_is  # noqa: E402
from bot.db import Database, migrate  # noqa: E402
from bot.db.models import Unit  # noqa: E402
from bot.sandbox import SandboxConfig, SandboxServer  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def build(url: str, args: argparse.Namespace) -> int:
    zone = zone_where_it_is(12)
    today = datetime.now(ZoneInfo(zone)).date()
    # Reports up to yesterday: today every linked, active member is due a prompt.
    digest_bench.TODAY = today - timedelta(days=1)
    digest_bench.NOW = datetime.now(UTC) - timedelta(days=1)
    await migrate.upgrade(url)
    db = Database.from_url(url)
    try:
        reports = await digest_bench.build(db, args.members, args.units, args.days)
        async with db.transaction() as s:  # not due yet: the idle phase sends nothing
            await s.execute(update(Unit).where(Unit.id == 1).values(
                timezone=zone, prompt_time="23:50", deadline_time="23:55", reminder_times=""))
    finally:
        await db.dispose()
    return reports


async def run(label: str, url: str, args: argparse.Namespace) -> None:
    t0 = time.monotonic()
    reports = await build(url, args)
    print(f"{label}: built {args.members} members, {reports} reports in "
          f"{time.monotonic() - t0:.0f} s", flush=True)
    sandbox = SandboxServer(SandboxConfig(global_rate=None, per_chat_rate=None))
    await sandbox.start(host="127.0.0.1", port=0)
    for m in range(1, args.members + 1):
        if m % 10:
            sandbox.state.upsert_user(10_000_000 + m, f"U{m}", language_code="en").started = True
    tmp = Path(tempfile.mkdtemp(prefix="memory-"))
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp),
           "PYTHONPATH": str(ROOT), "TELEGRAM_BOT_TOKEN": sandbox.config.token,
           "TELEGRAM_API_BASE_URL": sandbox.url, "DATABASE_URL": url, "SEND_RATE": "1000",
           "METRICS_LISTEN": "", "LOG_LEVEL": "WARNING"}
    log = tmp / "bot.log"
    with log.open("wb") as out:
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp, env=env, stdout=out,
            stderr=asyncio.subprocess.STDOUT)
    sent = lambda: sandbox.state.stats.calls.get("sendMessage", 0)  # noqa: E731
    try:
        await asyncio.sleep(args.idle)
        idle = rss_mb(bot.pid)
        async with Database.from_url(url).transaction() as s:
            await s.execute(update(Unit).where(Unit.id == 1).values(prompt_time="06:00"))
        tick = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "tick", "--at", datetime.now(UTC).isoformat(),
            cwd=tmp, env=env, stdout=asyncio.subprocess.DEVNULL)
        peak_tick, marks, rows = idle, [args.sends * (i + 1) // 10 for i in range(10)], []
        deadline = time.monotonic() + args.timeout
        while marks and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            rss = rss_mb(bot.pid)
            if tick.returncode is None:
                peak_tick = max(peak_tick, rss)
            while marks and sent() >= marks[0]:
                rows.append((marks.pop(0), rss))
        await tick.wait()
        # The only child waited for so far: the tick process's own peak.
        tick_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    finally:
        bot.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(bot.wait(), 60)
        except TimeoutError:
            bot.kill()
        await sandbox.stop()
    print(f"  idle: {idle:.0f} MB; while the tick queues every prompt: {peak_tick:.0f} MB; "
          f"the tick's own process at its peak: {tick_peak:.0f} MB")
    for count, rss in rows:
        print(f"  after {count:6d} prompts sent: {rss:.0f} MB")
    if marks:
        print(f"  (stopped after {args.timeout} s with {sent()} sent)")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--units", type=int, default=5_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--sends", type=int, default=20_000)
    parser.add_argument("--idle", type=float, default=15.0)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--pg", default=None, help="PostgreSQL server URL (a database is "
                        "created and dropped) instead of SQLite")
    args = parser.parse_args()
    if not args.pg:
        with tempfile.TemporaryDirectory() as tmp:
            await run("sqlite", f"sqlite+aiosqlite:///{tmp}/memory.sqlite3", args)
        return
    async with scratch_postgres(args.pg) as url:
        await run("postgresql", url, args)


if __name__ == "__main__":
    asyncio.run(main())
