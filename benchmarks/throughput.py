"""Benchmark: update throughput of the one-tap report against the bare PTB echo bot.

Both bots run as real processes (`python -m bot run`, and a ~20-line python-telegram-bot
Application) against one sandbox in this process, with Telegram's rate limits off. Each of N
members gets the bot's daily prompt (from the bot's own minute tick) or the echo bot's
message with one button; then, measured, every member presses it: one callback_query update
each, which the selfreport bot answers by recording the report (answerCallbackQuery +
editMessageText with the confirmation) and the echo bot by answerCallbackQuery +
editMessageText with the button's data. The same Bot API calls per update for both, at
the same pace: each waits for its turn at SEND_RATE (`--send-rate`), as our replies do. The
echo bot is PTB's bare default, httpx included; with `--echo-request aiohttp` it makes its
calls on the selfreport bot's transport (bot.runtime.http), which shows what the bot costs
beyond the transport.

Printed per bot: updates/s (wall clock, presses kept 32 deep so that the bot is never idle)
and the bot process's CPU time per update (/proc utime + stime over the measured phase);
its voluntary context switches per update (each a sleep waiting for an answer: Bot API
calls, database round trips) and its CPU per second over 2 s with nothing to do (its own
loops: the outbox's polls, the instances' heartbeat, the minute tick);
the ratio of the two costs; with `--rounds N` both bots N times, alternately, and the
ratio of the medians. The members are spread over a tree of depth 5 (`tree`), a quarter of
them with a household entry. `--load N` keeps N busy processes running beside both bots
(a loaded machine: other work competing for the cores). Exits 1 when a median CPU ratio is
above `--goal` (1.3). `--profile DIR` runs the selfreport bot under pyinstrument and writes
DIR/bot-<backend>.txt (`--cprofile`: cProfile's DIR/bot-<backend>.pstats, CPU time). Usage:

    .venv/bin/python benchmarks/throughput.py [--members 500] [--concurrency 1] [--pg URL]
        [--no-sqlite] [--rounds 3] [--load 2] [--goal 1.3] [--json FILE]
        [--profile DIR [--cprofile]] [--echo-request httpx|aiohttp] [--spy DIR]

Figures are recorded in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert  # noqa: E402

from benchmarks.harness import scratch_postgres, wait, zone_where_it_is  # noqa: E402
from bot.db import Database, migrate  # noqa: E402
from bot.db.models import Account, Base, HouseholdEntry, Member, Unit  # noqa: E402
from bot.sandbox import SandboxClient, SandboxConfig, SandboxServer  # noqa: E402

FIRST = 2_000_000
DEPTH = 32
# The echo bot's calls that wait for a turn: bot.runtime.replies.LIMITED's.
PACED_CALLS = frozenset({"sendmessage", "editmessagetext", "answercallbackquery"})


# -- the echo bot (run as its own process: `throughput.py echo-bot URL TOKEN FIRST N`) --------

def echo_bot(url: str, token: str, first: int, n: int, rate: float,
             transport: str = "httpx") -> None:
    from aiolimiter import AsyncLimiter
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
    from telegram.ext import Application, BaseRateLimiter, CallbackQueryHandler, ContextTypes

    class Paced(BaseRateLimiter[Any]):
        """Each call that counts against Telegram's limits waits for its turn at `rate` a
        second, as the selfreport bot's replies and outbox do (bot.runtime.replies sharing
        the dispatcher's `AsyncLimiter(1, 1 / SEND_RATE)`): the same calls at the same pace,
        so that neither bot's CPU per update includes waits the other does not make."""

        def __init__(self) -> None:
            self._limiter = AsyncLimiter(1, 1 / rate)

        async def initialize(self) -> None:
            return None

        async def shutdown(self) -> None:
            return None

        async def process_request(self, callback: Any, args: Any, kwargs: dict[str, Any],
                                  endpoint: str, data: dict[str, Any],
                                  rate_limit_args: Any) -> Any:
            if endpoint.lower() in PACED_CALLS:
                await self._limiter.acquire()
            return await callback(*args, **kwargs)

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await query.edit_message_text(f"echo: {query.data}")

    async def post_init(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        button = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="echo:ok")]])
        limit = asyncio.Semaphore(DEPTH)

        async def one(chat_id: int) -> None:
            async with limit:
                await app.bot.send_message(chat_id, "press", reply_markup=button)

        await asyncio.gather(*(one(first + i) for i in range(n)))

    builder = (Application.builder().token(token).base_url(f"{url}/bot")
               .base_file_url(f"{url}/file/bot").rate_limiter(Paced()).post_init(post_init))
    if transport == "aiohttp":  # the bot's own transport (`--echo-request aiohttp`)
        from bot.runtime.http import AiohttpRequest

        builder = builder.request(AiohttpRequest()).get_updates_request(
            AiohttpRequest(pool_size=1))
    app = builder.build()
    app.add_handler(CallbackQueryHandler(pressed))
    app.run_polling(allowed_updates=Update.ALL_TYPES, timeout=10)


# -- the driver ---------------------------------------------------------------------------

def switches(pid: int) -> int:
    """Voluntary context switches so far: each is the process going to sleep, mostly to wait
    for an answer (a Bot API call, a database round trip) — and waking up on a core whose
    caches another process has since used, which a loaded machine makes dearer."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("voluntary_ctxt_switches:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# The tree the members are spread over: a root, COMPANIES companies, each with BRANCHES
# branches, each with CELLS cells, each cell with TEAMS teams (depth 5). Members sit in the
# teams and cells, a few in branches: a member's schedule is inherited down 3 to 4 ancestors.
COMPANIES, BRANCHES, CELLS, TEAMS = 4, 4, 4, 2


def tree() -> tuple[list[dict[str, Any]], list[int]]:
    """The units (root first, parents before children) and the ids members are put in."""
    units: list[dict[str, Any]] = []
    homes: list[int] = []

    def add(parent: dict[str, Any] | None, name: str) -> dict[str, Any]:
        uid = len(units) + 1
        unit = {"id": uid, "parent_id": parent["id"] if parent else None, "name": name,
                "path": f"{parent['path'] if parent else '/'}{uid}/"}
        units.append(unit)
        return unit

    root = add(None, "Group")
    root.update(timezone=zone_where_it_is(12), prompt_time="06:00", deadline_time="23:00",
                reminder_times="")
    for c in range(COMPANIES):
        company = add(root, f"Company {c}")
        for b in range(BRANCHES):
            branch = add(company, f"Branch {c}.{b}")
            homes.append(branch["id"])
            for k in range(CELLS):
                cell = add(branch, f"Cell {c}.{b}.{k}")
                if k == 0:  # some units set a field of their own, the rest inherit
                    cell["digest_time"] = "23:30"
                homes.append(cell["id"])
                for t in range(TEAMS):
                    homes.extend([add(cell, f"Team {c}.{b}.{k}.{t}")["id"]] * 3)
    return units, homes


async def seed(url: str, n: int) -> None:
    """N linked members with their accounts spread over a tree of depth 5 (`tree`), every
    fourth with a household entry; everything else emptied."""
    await migrate.upgrade(url)
    db = Database.from_url(url)
    units, homes = tree()
    try:
        async with db.transaction() as s:
            for table in reversed(Base.metadata.sorted_tables):
                if table is Unit.__table__:  # leaves first: a unit's parent is a unit
                    for depth in range(6, 0, -1):
                        await s.execute(table.delete().where(
                            func.length(Unit.path) - func.length(func.replace(
                                Unit.path, "/", "")) == depth + 1))
                await s.execute(table.delete())
            for unit in units:  # one by one: each row's parent before it
                await s.execute(insert(Unit), [{"timezone": None, "prompt_time": None,
                                                "deadline_time": None, "reminder_times": None,
                                                "digest_time": None, **unit}])
            ids = range(FIRST, FIRST + n)
            await s.execute(insert(Member), [
                {"id": i - FIRST + 1, "unit_id": homes[(i - FIRST) % len(homes)],
                 "name": f"Member {i}", "telegram_user_id": i} for i in ids])
            await s.execute(insert(HouseholdEntry), [
                {"member_id": i - FIRST + 1, "relation": "spouse", "name": f"Partner {i}"}
                for i in ids if (i - FIRST) % 4 == 0])
            # Last seen yesterday, as on a real morning: the tap is the day's first update.
            yesterday = datetime.now(UTC) - timedelta(days=1)
            await s.execute(insert(Account), [
                {"telegram_user_id": i, "chat_id": i, "locale": "en", "language_code": "en",
                 "last_seen_at": yesterday} for i in ids])
    finally:
        await db.dispose()


async def measure(name: str, sandbox: SandboxServer, sb: SandboxClient, command: list[str],
                  env: dict[str, str], n: int, log: Path,
                  profiled: bool = False,
                  spy: Path | None = None) -> tuple[float, float, float, float]:
    """Start the bot, wait for its N messages, press all buttons; (updates/s, CPU s/update,
    sleeps/update, CPU s per idle second)."""
    members = range(FIRST, FIRST + n)
    for uid in members:
        user = sandbox.state.upsert_user(uid, f"User {uid}", language_code="en")
        user.started = True
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            *command, cwd=log.parent, env=env, stdout=out, stderr=asyncio.subprocess.STDOUT)
    try:
        async def prompted() -> bool:
            per_chat = (await sb.stats())["messages_per_chat"]
            return all(per_chat.get(str(uid)) for uid in members)

        await wait(prompted, f"{name}: every member's message", 300, log)
        targets = []
        for uid in members:
            [message] = [m for m in await sb.chat(uid) if m["from"] == "bot"]
            keyboard = (message.get("reply_markup") or {}).get("inline_keyboard", [])
            data = [b["callback_data"] for row in keyboard for b in row
                    if b["callback_data"].endswith(":ok")]
            targets.append((uid, message["message_id"], data[0]))
        await asyncio.sleep(1.0)  # let the sending settle before measuring
        idle0, t_idle = cpu_seconds(process.pid), time.perf_counter()
        await asyncio.sleep(2.0)  # what the process costs doing nothing (its own loops)
        idle = (cpu_seconds(process.pid) - idle0) / (time.perf_counter() - t_idle)
        edits_before = (await sb.stats())["calls"].get("editMessageText", 0)
        if profiled:
            process.send_signal(signal.SIGUSR1)
        cpu0, t0, sw0 = cpu_seconds(process.pid), time.perf_counter(), switches(process.pid)
        sampler = None
        if spy is not None:  # the measured phase only, sampled without pausing the bot
            sampler = await asyncio.create_subprocess_exec(
                str(Path(sys.executable).parent / "py-spy"), "record", "--nonblocking",
                "-p", str(process.pid), "-r", "200", "-f", "raw", "-o", str(spy),
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        depth = asyncio.Semaphore(DEPTH)

        async def press(uid: int, message_id: int, data: str) -> None:
            async with depth:
                answer = await sb.press(uid, message_id, callback_data=data)
                assert answer["answered"], answer

        await asyncio.gather(*(press(*t) for t in targets))

        async def confirmed() -> bool:
            calls = (await sb.stats())["calls"].get("editMessageText", 0)
            return calls - edits_before >= n

        await wait(confirmed, f"{name}: every confirmation", 120, log)
        elapsed, cpu = time.perf_counter() - t0, cpu_seconds(process.pid) - cpu0
        sleeps = switches(process.pid) - sw0
        if sampler is not None:
            sampler.send_signal(signal.SIGINT)  # py-spy writes its samples and ends
            await sampler.wait()
        if profiled:
            process.send_signal(signal.SIGUSR2)
            await asyncio.sleep(2.0)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 60)
        except TimeoutError:
            process.kill()
            await process.wait()
    return n / elapsed, cpu / n, sleeps / n, idle


BURN = "while True: pass"

# Where a py-spy sample goes (`--spy`), by the frames on its stack, first match wins.
_PARTS = (
    ("the database", ("bot/db/", "sqlalchemy/", "greenlet")),
    ("getUpdates (HTTP, JSON, parse)", ("get_updates",)),
    ("other Bot API calls (HTTP, JSON, parse)", ("Bot._post", "_send_message")),
    ("our handlers and services", ("handlers/", "bot/services/", "bot/render/", "bot/i18n")),
    ("our loops (outbox, tick, jobs)", ("bot/outbox/", "bot/runtime/tick", "tick_job",
                                         "notice_job", "sync_job", "bot/runtime/instances")),
)


def where_samples_go(folder: Path, label: str, n: int) -> None:
    """Per bot, its py-spy samples of round `n` by part (idle waits left out): how the
    CPU above the echo bot's divides."""
    counts: dict[str, dict[str, int]] = {}
    for bot in ("selfreport", "echo"):
        found = counts[bot] = {}
        path = folder / f"{bot}-{label}-{n}.txt"
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            stack, _, number = line.rpartition(" ")
            frames = stack.split(";")
            if "selectors.py:468" in frames[-1] or "futures/thread.py" in frames[-1]:
                continue  # waiting in epoll, an idle worker thread
            part = next((name for name, marks in _PARTS
                         if any(m in stack for m in marks)), "PTB and the event loop")
            found[part] = found.get(part, 0) + int(number)
    names = [name for name, _ in _PARTS] + ["PTB and the event loop"]
    print(f"  py-spy samples, round {n} (200/s): part | selfreport | echo bot")
    for name in names:
        print(f"    {name:42s} {counts['selfreport'].get(name, 0):6d} "
              f"{counts['echo'].get(name, 0):6d}")
    print(f"    {'all':42s} {sum(counts['selfreport'].values()):6d} "
          f"{sum(counts['echo'].values()):6d}")


async def run(label: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    sandbox = SandboxServer(SandboxConfig(global_rate=None, per_chat_rate=None,
                                          callback_answer_timeout=60))
    await sandbox.start(host="127.0.0.1", port=0)
    tmp = Path(tempfile.mkdtemp(prefix="throughput-"))
    base_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp),
                "PYTHONPATH": str(ROOT), "PTB_TIMEDELTA": "true"}
    bot_cmd = [sys.executable, "-m", "bot", "run"]
    if args.profile:
        out = Path(args.profile).resolve() / f"bot-{label}.txt"
        out.parent.mkdir(parents=True, exist_ok=True)
        bot_cmd = [sys.executable, "-m", "pyinstrument", "-r", "text", "-o", str(out),
                   "-m", "bot", "run"]
        if args.cprofile:  # CPU per function of the measured phase only
            bot_cmd = [sys.executable, str(ROOT / "benchmarks" / "profiled_bot.py"),
                       str(out.with_suffix(".pstats")), "run"]
    bot_env = {**base_env, "TELEGRAM_BOT_TOKEN": sandbox.config.token,
               "TELEGRAM_API_BASE_URL": sandbox.url, "DATABASE_URL": url,
               "SEND_RATE": str(args.send_rate), "METRICS_LISTEN": "",
               "UPDATE_CONCURRENCY": str(args.concurrency), "LOG_LEVEL": "WARNING"}
    echo_cmd = [sys.executable, str(Path(__file__).resolve()), "echo-bot", sandbox.url,
                sandbox.config.token, str(FIRST), str(args.members), str(args.send_rate),
                args.echo_request]
    rounds: list[tuple[float, ...]] = []

    def spied(bot: str) -> Path | None:
        if not args.spy:
            return None
        folder = Path(args.spy).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{bot}-{label}-{len(rounds) + 1}.txt"

    burners = [await asyncio.create_subprocess_exec(sys.executable, "-c", BURN)
               for _ in range(args.load)]
    try:
        async with SandboxClient(sandbox.url) as sb:
            # Rounds alternate the two bots, so that a busy moment of the machine does not
            # fall on one of them only; each round starts from a freshly seeded database.
            for _ in range(args.rounds):
                await seed(url, args.members)
                bot_rate, bot_cpu, bot_sleeps, bot_idle = await measure(
                    "selfreport", sandbox, sb, bot_cmd, bot_env, args.members,
                    tmp / "bot.log", profiled=bool(args.profile and args.cprofile),
                    spy=spied("selfreport"))
                await sb.reset()
                echo_rate, echo_cpu, echo_sleeps, echo_idle = await measure(
                    "echo", sandbox, sb, echo_cmd, base_env, args.members, tmp / "echo.log",
                    spy=spied("echo"))
                await sb.reset()
                rounds.append((bot_rate, bot_cpu, echo_rate, echo_cpu, bot_sleeps,
                               echo_sleeps, bot_idle, echo_idle))
    finally:
        for burner in burners:
            burner.kill()
            await burner.wait()
        await sandbox.stop()
    print(f"{label}: {args.members} one-tap reports, UPDATE_CONCURRENCY {args.concurrency}, "
          f"{args.rounds} round(s), {args.load} busy process(es) beside, echo bot on "
          f"{args.echo_request}; "
          f"load average {os.getloadavg()[0]:.1f}")
    for bot_rate, bot_cpu, echo_rate, echo_cpu, bot_sl, echo_sl, bot_idle, echo_idle in rounds:
        print(f"  selfreport: {bot_rate:7.1f} updates/s, {bot_cpu * 1000:6.2f} ms CPU/update"
              f" | echo bot: {echo_rate:7.1f} updates/s, {echo_cpu * 1000:6.2f} ms CPU/update"
              f" | ratio {echo_rate / bot_rate:.2f}x wall, {bot_cpu / echo_cpu:.2f}x CPU"
              f" | sleeps/update {bot_sl:.1f} vs {echo_sl:.1f}, idle CPU "
              f"{bot_idle * 1000:.1f} vs {echo_idle * 1000:.1f} ms/s")
    bot_cpu = statistics.median(r[1] for r in rounds)
    echo_cpu = statistics.median(r[3] for r in rounds)
    wall = statistics.median(r[2] / r[0] for r in rounds)
    if args.spy:
        for n in range(1, args.rounds + 1):
            where_samples_go(Path(args.spy).resolve(), label, n)
    print(f"  median: {bot_cpu * 1000:.2f} ms against {echo_cpu * 1000:.2f} ms CPU/update: "
          f"{bot_cpu / echo_cpu:.2f}x CPU per update, {wall:.2f}x wall time", flush=True)
    return {"database": label, "members": args.members, "concurrency": args.concurrency,
            "rounds": args.rounds, "busy_processes": args.load,
            "echo_request": args.echo_request,
            "load_average": round(os.getloadavg()[0], 2),
            "cpu_ms_per_update": round(bot_cpu * 1000, 3),
            "echo_cpu_ms_per_update": round(echo_cpu * 1000, 3),
            "cpu_ratio": round(bot_cpu / echo_cpu, 3), "wall_ratio": round(wall, 3),
            "sleeps_per_update": round(statistics.median(r[4] for r in rounds), 2),
            "echo_sleeps_per_update": round(statistics.median(r[5] for r in rounds), 2),
            "idle_cpu_ms_per_s": round(statistics.median(r[6] for r in rounds) * 1000, 2),
            "echo_idle_cpu_ms_per_s": round(statistics.median(r[7] for r in rounds) * 1000, 2),
            "goal": args.goal, "met": bot_cpu / echo_cpu <= args.goal}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure both bots this many times, alternately; the median")
    parser.add_argument("--concurrency", type=int, default=1,
                        help="the bot's UPDATE_CONCURRENCY (the echo bot: PTB's default, 1)")
    parser.add_argument("--send-rate", type=float, default=30.0,
                        help="both bots' SEND_RATE (production's default): their calls' pace")
    parser.add_argument("--pg", nargs="?", const=os.environ.get("TEST_DATABASE_URL", ""),
                        default=os.environ.get("TEST_DATABASE_URL"),
                        help="PostgreSQL server URL (a database is created and dropped)")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--echo-request", choices=("httpx", "aiohttp"), default="httpx",
                        help="the echo bot's Bot API transport: PTB's default (httpx), or "
                             "the selfreport bot's own (bot.runtime.http), to see what the "
                             "bot costs beyond the transport")
    parser.add_argument("--load", type=int, default=0, metavar="N",
                        help="keep N busy processes running beside the bots")
    parser.add_argument("--goal", type=float, default=1.3,
                        help="exit 1 when a median CPU ratio is above this")
    parser.add_argument("--json", metavar="FILE", help="write the medians here as JSON")
    parser.add_argument("--profile", metavar="DIR", help="profile the bot with pyinstrument")
    parser.add_argument("--spy", metavar="DIR",
                        help="sample both bots' measured phase with py-spy (pip install "
                             "py-spy) into DIR/<bot>-<database>-<round>.txt, and print "
                             "where each one's samples go")
    parser.add_argument("--cprofile", action="store_true",
                        help="with --profile: cProfile (DIR/bot-<backend>.pstats) instead")
    args = parser.parse_args()
    if args.spy and not (Path(sys.executable).parent / "py-spy").exists():
        parser.error("--spy needs py-spy in this virtualenv: .venv/bin/pip install py-spy")
    results = []
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            results.append(await run("sqlite", f"sqlite+aiosqlite:///{tmp}/bench.sqlite3",
                                     args))
    if args.pg:
        async with scratch_postgres(args.pg) as url:
            results.append(await run("postgresql", url, args))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    missed = [r["database"] for r in results if not r["met"]]
    if missed:
        raise SystemExit(f"goal missed: CPU per update above {args.goal}x the echo bot's on "
                         + ", ".join(missed))


if __name__ == "__main__":
    if sys.argv[1:2] == ["echo-bot"]:
        echo_bot(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]),
                 float(sys.argv[6]), *sys.argv[7:8])
    else:
        asyncio.run(main())
