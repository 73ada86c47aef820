"""Benchmark: resident memory of one bot process, idle and through the day's first tick.

Builds the organisation of digest_bench.py (100,000 members in 5,000 units, 30 days of
reports up to yesterday, so that today everyone is due a prompt) in a fresh SQLite file or
PostgreSQL database and starts the bot as production runs it (`python -m bot run`, the
sandbox in this process with Telegram's limits off, SEND_RATE 1000 so that the sending part
is short). Measured on the bot's own process, nothing in another one:

- **idle**: VmRSS after `--idle` seconds with nothing due (the past days' figures already
  fixed, as in a bot that has been running: the minute tick does nothing);
- **the day's first tick**: the root's prompt time is moved to the past, and the bot's own
  minute job (the production code path) reads, renders and queues every member's prompt;
  its dispatcher starts sending at once. The peak is the kernel's high-water mark of the
  process (VmHWM, reset just before), read once `--sends` prompts have gone out.

Progress is printed every few seconds (RSS, prompts queued and sent); every wait has a
timeout. Exits 1 when a goal is missed (`--idle-goal` 160 MB, `--peak-goal` 220 MB) or a
phase times out. `--json FILE` writes the figures.

    .venv/bin/python benchmarks/memory.py [--members 100000] [--units 5000] [--days 30]
        [--sends 10000] [--pg URL] [--json FILE] [--python PRODUCTION_VENV/bin/python]

Figures are recorded in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import digest_bench  # noqa: E402
from sqlalchemy import func, select, update  # noqa: E402

from benchmarks.harness import scratch_postgres, zone_where_it_is  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.db import Database, migrate  # noqa: E402
from bot.db.models import OutboxMessage, Unit  # noqa: E402
from bot.sandbox import SandboxConfig, SandboxServer  # noqa: E402
from bot.services.digest import fixing  # noqa: E402

PROGRESS_EVERY = 5.0


def status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def reset_peak(pid: int) -> bool:
    """Reset the process's VmHWM to its current RSS (Linux: clear_refs 5); False if not
    allowed, and the sampled maximum is used instead."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _count_prompts(path: str) -> int:
    """A read on its own connection: in WAL mode it does not wait for the writer."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as connection:
        return int(connection.execute(
            "SELECT count(*) FROM outbox WHERE kind = 'prompt'").fetchone()[0])


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
        # The past days' figures, as a bot that has been running has them: otherwise its
        # first ticks would fix 30 days of 5,000 units (2 days a tick) during the idle phase.
        async with db.transaction() as s:
            await fixing.fix_due(s, now=datetime.now(UTC),
                                 default_timezone=Settings.model_fields["default_timezone"].default,
                                 max_days=fixing.FIX_DAYS)
    finally:
        await db.dispose()
    return reports


async def run(label: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    t0 = time.monotonic()
    print(f"{label}: building {args.members} members in {args.units} units, {args.days} days "
          "of reports ...", flush=True)
    reports = await build(url, args)
    print(f"{label}: built, {reports} reports, in {time.monotonic() - t0:.0f} s", flush=True)
    sandbox = SandboxServer(SandboxConfig(global_rate=None, per_chat_rate=None))
    await sandbox.start(host="127.0.0.1", port=0)
    for m in range(1, args.members + 1):
        if m % 10:
            sandbox.state.upsert_user(10_000_000 + m, f"U{m}", language_code="en").started = True
    tmp = Path(tempfile.mkdtemp(prefix="memory-"))
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp),
           "PYTHONPATH": str(ROOT), "TELEGRAM_BOT_TOKEN": sandbox.config.token,
           "TELEGRAM_API_BASE_URL": sandbox.url, "DATABASE_URL": url, "SEND_RATE": "1000",
           "METRICS_LISTEN": "127.0.0.1:0", "LOG_LEVEL": "WARNING"}
    log = tmp / "bot.log"
    db = Database.from_url(url)
    sqlite_file = url.split("///", 1)[1] if url.startswith("sqlite") else None
    sent = lambda: sandbox.state.stats.calls.get("sendMessage", 0)  # noqa: E731
    result: dict[str, Any] = {"database": label, "members": args.members}
    with log.open("wb") as out:
        bot = await asyncio.create_subprocess_exec(
            args.python, "-m", "bot", "run", cwd=tmp, env=env, stdout=out,
            stderr=asyncio.subprocess.STDOUT)
    try:
        print(f"{label}: bot started (pid {bot.pid}); waiting for it to poll", flush=True)
        ready_by = time.monotonic() + args.timeout
        while not sandbox.state.stats.calls.get("getUpdates"):  # started: migrated, loaded
            if time.monotonic() > ready_by or bot.returncode is not None:
                raise SystemExit(f"{label}: the bot did not start polling; bot log:\n"
                                 + log.read_text(errors="replace")[-3000:])
            await asyncio.sleep(0.5)
        print(f"{label}: polling; idle for {args.idle:.0f} s", flush=True)
        await asyncio.sleep(args.idle)
        if bot.returncode is not None:
            raise SystemExit(f"the bot exited: {log.read_text(errors='replace')[-3000:]}")
        result["idle_mb"] = round(status_mb(bot.pid, "VmRSS"), 1)
        print(f"{label}: idle {result['idle_mb']:.0f} MB", flush=True)

        async def queued() -> int | str:
            """Prompts in the outbox, for the progress lines: "?" while the tick holds
            SQLite's write lock (our engine's transactions all take it)."""
            try:
                if sqlite_file is not None:
                    return await asyncio.to_thread(_count_prompts, sqlite_file)
                async with db.transaction() as s:
                    return int(await s.scalar(select(func.count()).select_from(
                        OutboxMessage).where(OutboxMessage.kind == "prompt")) or 0)
            except Exception:
                return "?"

        exact = reset_peak(bot.pid)
        async with db.transaction() as s:  # due now: the bot's next minute tick takes them
            await s.execute(update(Unit).where(Unit.id == 1).values(prompt_time="06:00"))
        started, sampled, last = time.monotonic(), 0.0, 0.0
        deadline = started + args.timeout
        while sent() < args.sends:
            if time.monotonic() > deadline or bot.returncode is not None:
                raise SystemExit(
                    f"{label}: {sent()} of {args.sends} prompts sent after "
                    f"{time.monotonic() - started:.0f} s; bot log:\n"
                    + log.read_text(errors="replace")[-3000:])
            await asyncio.sleep(0.5)
            sampled = max(sampled, status_mb(bot.pid, "VmRSS"))
            if time.monotonic() - last >= PROGRESS_EVERY:
                last = time.monotonic()
                print(f"  {last - started:5.0f} s: RSS {status_mb(bot.pid, 'VmRSS'):.0f} MB "
                      f"(peak {status_mb(bot.pid, 'VmHWM') if exact else sampled:.0f}), "
                      f"{await queued()} prompts queued, {sent()} sent", flush=True)
        result["peak_mb"] = round(status_mb(bot.pid, "VmHWM") if exact else sampled, 1)
        result["peak_exact"] = exact
        result["queued"] = await queued()
        result["sent"] = sent()
        result["seconds"] = round(time.monotonic() - started, 1)
    finally:
        bot.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(bot.wait(), 60)
        except TimeoutError:
            bot.kill()
            await bot.wait()
        await db.dispose()
        await sandbox.stop()
    result.update(idle_goal_mb=args.idle_goal, peak_goal_mb=args.peak_goal,
                  load_average=round(os.getloadavg()[0], 2),
                  met=result["idle_mb"] <= args.idle_goal
                  and result["peak_mb"] <= args.peak_goal)
    print(f"{label}: idle {result['idle_mb']:.0f} MB (goal {args.idle_goal:.0f}); peak through "
          f"the day's first tick and {result['sent']} sends {result['peak_mb']:.0f} MB (goal "
          f"{args.peak_goal:.0f}; {'VmHWM' if exact else 'sampled every 0.5 s'}); "
          f"{result['queued']} prompts queued in {result['seconds']:.0f} s", flush=True)
    return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--units", type=int, default=5_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--sends", type=int, default=10_000,
                        help="measure until this many prompts have been sent")
    parser.add_argument("--idle", type=float, default=20.0)
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds for the tick and the sends")
    parser.add_argument("--idle-goal", type=float, default=160.0)
    parser.add_argument("--peak-goal", type=float, default=220.0)
    parser.add_argument("--pg", default=None, help="PostgreSQL server URL (a database is "
                        "created and dropped) instead of SQLite")
    parser.add_argument("--json", metavar="FILE", help="write the figures here as JSON")
    parser.add_argument("--python", default=sys.executable,
                        help="the interpreter that runs the bot (default: this one, the dev "
                             "install's); a production install's has no dev tools loaded")
    args = parser.parse_args()
    args.sends = min(args.sends, args.members * 8 // 10)  # linked, active, not on leave
    if not args.pg:
        with tempfile.TemporaryDirectory() as tmp:
            result = await run("sqlite", f"sqlite+aiosqlite:///{tmp}/memory.sqlite3", args)
    else:
        async with scratch_postgres(args.pg) as url:
            result = await run("postgresql", url, args)
    if args.json:
        Path(args.json).write_text(json.dumps([result], indent=2) + "\n")
    if not result["met"]:
        raise SystemExit("goal missed: " + json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
