"""Benchmark: one notice to 10,000 members through the sandbox, with faults.

The sandbox runs in this process with Telegram's limits (--rate overall, 1/s per chat after a
burst of 3, edits and callback answers counted); the bot runs as a real process (`python -m
bot run`, SEND_RATE = --rate) on a fresh SQLite file, on free ports only. An admin composes
the notice through the sandbox (/notice, text, whole organisation, acknowledgement, now,
send). Two fault modes:

- `--mode limits` (the default, as Telegram behaves): a 429 comes only when the bot exceeds
  a limit, with the retry_after the bucket needs; 2% of sendMessage calls answer 500/502.
  Goal: the copies go out at >= 95% of the allowed rate, none lost, none twice.
- `--mode random`: besides, 1% of sendMessage calls answer 429 (retry_after 1 s) at random,
  which no real server does; each pauses all sending for a second. No rate goal (the figure
  is recorded in benchmarks/README.md); none lost, none twice.

Printed: the fan-out time (10,000 outbox rows written), the achieved sending rate as a share
of the allowed rate, deliveries lost and duplicated (counted per member in the sandbox), the
429s and 5xx the sandbox gave. Exits 1 when a goal is missed.

With --kill-at F the bot is killed (SIGKILL) once a share F of the members have their copy,
and started again; the second process sends the rest once the killed one's leases run out.
Duplicates are then what the killed process had sent but not recorded: at most SEND_IN_FLIGHT
(the goal then; no rate goal). --delay-ms makes every sendMessage answer that late
(Telegram's latency). Usage:

    .venv/bin/python benchmarks/notice_fanout.py [--members 10000] [--rate 30]
        [--mode limits|random] [--rate-5xx 0.02] [--rate-429 0.01 (random mode)]
        [--delay-ms 0] [--kill-at 0.33] [--goal 0.95]

Figures are recorded in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from benchmarks.harness import wait  # noqa: E402
from bot.db import Database, migrate  # noqa: E402
from bot.db.models import Account, Member, Notice, OutboxMessage, OutboxStatus, Unit  # noqa: E402
from bot.outbox.dispatcher import SEND_IN_FLIGHT  # noqa: E402
from bot.sandbox import SandboxClient, SandboxConfig, SandboxServer  # noqa: E402

ADMIN = 900_001
FIRST = 1_000_000
TEXT = "全体成员：明天起进入食堂须佩戴口罩。 / Everyone: masks in the canteen from tomorrow."


def quiet_zone() -> str:
    """A fixed-offset zone where it is 02:00 now: no daily prompt goes out beside the notice."""
    offset = (2 - datetime.now(UTC).hour + 12) % 24 - 12
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


async def seed(db: Database, members: int) -> None:
    async with db.transaction() as s:
        s.add(Unit(id=1, name="Group", path="/1/", timezone=quiet_zone()))
        await s.flush()
        ids = range(FIRST, FIRST + members)
        await s.execute(insert(Member), [
            {"unit_id": 1, "name": f"Member {i}", "telegram_user_id": i} for i in ids])
        # Half choose English, half Chinese: the frame is rendered once per language.
        await s.execute(insert(Account), [
            {"telegram_user_id": i, "chat_id": i, "locale": "en" if i % 2 else "zh_CN"}
            for i in ids])


def buttons(message: dict[str, Any]) -> dict[str, str]:
    keyboard = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return {b["text"]: b["callback_data"] for row in keyboard for b in row}


async def compose(sb: SandboxClient) -> dict[str, Any]:
    """The admin's /notice up to the summary; returns the summary (Send not pressed)."""
    async def step(send: Any, count: int = 1) -> list[dict[str, Any]]:
        last = (await sb.chat(ADMIN) or [{"message_id": 0}])[-1]["message_id"]
        await send
        return await sb.wait_for_bot_messages(ADMIN, after=last, count=count, timeout=30)

    await step(sb.send_text(ADMIN, "/notice"))
    [targets] = await step(sb.send_text(ADMIN, TEXT))
    [ack] = await step(sb.press(ADMIN, targets["message_id"], callback_data="nf:o"))
    [when] = await step(sb.press(ADMIN, ack["message_id"], callback_data="nf:k:1"))
    _preview, summary = await step(sb.press(ADMIN, when["message_id"], callback_data="nf:n"),
                                   count=2)
    return summary


async def main(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="notice-bench-"))
    url = f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
    await migrate.upgrade(url)
    db = Database.from_url(url)
    await seed(db, args.members)
    # Telegram's limits; --rate above 30/s stands for paid broadcasting.
    server = SandboxServer(SandboxConfig(global_rate=args.rate))
    await server.start(host="127.0.0.1", port=0)
    for i in range(FIRST, FIRST + args.members):
        server.state.upsert_user(i, f"Member {i}").started = True
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp),
           "PYTHONPATH": str(ROOT), "TELEGRAM_BOT_TOKEN": server.config.token,
           "TELEGRAM_API_BASE_URL": server.url, "DATABASE_URL": url,
           "SEND_RATE": str(args.rate), "ADMIN_TELEGRAM_IDS": str(ADMIN),
           "LOG_LEVEL": "WARNING", "METRICS_LISTEN": "",  # no fixed port: others run too
           "SEND_IN_FLIGHT": str(args.in_flight)}
    log = tmp / "bot.log"

    async def start_bot() -> asyncio.subprocess.Process:
        with log.open("ab") as out:
            return await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", cwd=tmp, env=env, stdout=out,
                stderr=asyncio.subprocess.STDOUT)

    bot = await start_bot()
    killed: tuple[int, int, int] | None = None  # delivered, recorded SENT, elapsed s at kill
    try:
        async with SandboxClient(server.url, timeout=30) as sb:
            await sb.create_user(ADMIN, "Admin", language_code="en")

            async def polling() -> bool:  # a loaded machine starts the bot slowly
                return bool((await sb.stats())["calls"].get("getUpdates"))

            await wait(polling, "the bot polling", 300, log, every=0.5)
            summary = await compose(sb)
            rate_429 = args.rate_429 if args.mode == "random" else 0.0
            await sb.set_faults(rate_429=rate_429, rate_5xx=args.rate_5xx,
                                delay_ms=args.delay_ms, retry_after=1, seed=7,
                                methods=["sendMessage"])
            started = time.monotonic()
            await sb.press(ADMIN, summary["message_id"], callback_data="nf:s")

            async def queued() -> bool:
                async with db.transaction() as s:
                    return bool(await s.scalar(select(Notice.queued_at)))

            async def drained() -> bool:
                async with db.transaction() as s:
                    total = await s.scalar(select(func.count()).select_from(OutboxMessage)
                                           .where(OutboxMessage.kind == "notice"))
                    pending = await s.scalar(select(func.count()).select_from(OutboxMessage)
                                             .where(OutboxMessage.kind == "notice",
                                                    OutboxMessage.status ==
                                                    OutboxStatus.PENDING))
                return total == args.members and pending == 0

            await wait(queued, "the notice fanned out", 120, log, every=0.2)
            fanned = time.monotonic() - started
            if args.kill_at is not None:
                async def delivered() -> int:
                    per_chat = (await sb.stats())["messages_per_chat"]
                    return sum(n for c, n in per_chat.items() if int(c) >= FIRST)

                async def share_delivered() -> bool:
                    return await delivered() >= args.kill_at * args.members

                await wait(share_delivered, f"{args.kill_at:.0%} delivered", 3600, log,
                           every=0.05)
                bot.send_signal(signal.SIGKILL)
                await bot.wait()
                async with db.transaction() as s:
                    recorded = await s.scalar(select(func.count()).select_from(OutboxMessage)
                                              .where(OutboxMessage.kind == "notice",
                                                     OutboxMessage.status ==
                                                     OutboxStatus.SENT))
                killed = (await delivered(), recorded or 0,
                          round(time.monotonic() - started))
                bot = await start_bot()
            await wait(drained, "every copy sent", 3600, log, every=0.2)
            elapsed = time.monotonic() - started
            stats = await sb.stats()
        async with db.transaction() as s:
            notice = await s.scalar(select(Notice))
            assert notice is not None
            queued_at, first, last = (await s.execute(
                select(func.min(OutboxMessage.created_at), func.min(OutboxMessage.sent_at),
                       func.max(OutboxMessage.sent_at))
                .where(OutboxMessage.kind == "notice"))).one()
            by_status = dict((await s.execute(
                select(OutboxMessage.status, func.count()).where(OutboxMessage.kind == "notice")
                .group_by(OutboxMessage.status))).all())
    finally:
        bot.send_signal(signal.SIGTERM)
        await bot.wait()
        await server.stop()
        await db.dispose()
    per_chat = stats["messages_per_chat"]
    counts = [per_chat.get(str(i), 0) for i in range(FIRST, FIRST + args.members)]
    lost = sum(1 for n in counts if n == 0)
    duplicated = sum(n - 1 for n in counts if n > 1)
    # The sending rate: copies after the first one over the time from the first to the last.
    sending = (last - first).total_seconds()
    rate = (by_status.get(OutboxStatus.SENT, 0) - 1) / sending
    random_429 = f"{args.rate_429:.0%} at random" if args.mode == "random" else "limits only"
    print(f"members {args.members}, SEND_RATE = allowed rate {args.rate}/s, SEND_IN_FLIGHT "
          f"{args.in_flight}, mode {args.mode}: "
          f"429 {random_429}, 5xx {args.rate_5xx:.0%} on sendMessage, "
          f"answers after {args.delay_ms:.0f} ms")
    if killed is not None:
        print(f"kill -9 after {killed[2]} s: {killed[0]} copies delivered, {killed[1]} recorded "
              f"as sent ({killed[0] - killed[1]} sent but not recorded); restarted")
    print(f"fan-out (confirm → {args.members} outbox rows): {fanned:.1f} s")
    print(f"sending (first copy sent → last copy sent): {sending:.1f} s; first row queued → "
          f"last sent: {(last - queued_at).total_seconds():.1f} s; confirm → all sent: "
          f"{elapsed:.1f} s")
    share = rate / args.rate
    print(f"achieved {rate:.1f} msg/s = {share:.1%} of the allowed rate")
    print(f"outbox: {dict((str(k), v) for k, v in by_status.items())}")
    limited = stats["flood_limited"]
    admin_limited = limited.get(str(ADMIN), 0)
    print(f"faults injected: {stats['faults']}; 429s from the limits: "
          f"{sum(limited.values()) - admin_limited} to members, {admin_limited} to the admin; "
          f"sandbox errors: {stats['errors']}")
    print(f"lost {lost}, duplicated {duplicated}")
    print(f"load: {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f}")
    missed = []
    if lost:
        missed.append(f"{lost} lost")
    if killed is None and duplicated:
        missed.append(f"{duplicated} duplicated without a crash")
    if killed is not None and duplicated > args.in_flight:
        missed.append(f"{duplicated} duplicated, more than SEND_IN_FLIGHT {args.in_flight}")
    if args.mode == "limits" and killed is None and share < args.goal:
        missed.append(f"{share:.1%} of the allowed rate, below {args.goal:.0%}")
    if missed:
        print("GOAL MISSED: " + "; ".join(missed))
        raise SystemExit(1)
    print("goal met")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=30.0,
                        help="Telegram's overall limit and the bot's SEND_RATE (msg/s)")
    parser.add_argument("--mode", choices=("limits", "random"), default="limits",
                        help="limits: 429s only from exceeding the limits; random: also "
                             "--rate-429 of the calls at random")
    parser.add_argument("--rate-429", type=float, default=0.01)
    parser.add_argument("--rate-5xx", type=float, default=0.02)
    parser.add_argument("--in-flight", type=int, default=SEND_IN_FLIGHT,
                        help="the bot's SEND_IN_FLIGHT: its rate is at most this many calls "
                             "per answer time (bot.outbox.dispatcher)")
    parser.add_argument("--goal", type=float, default=0.95,
                        help="share of the allowed rate to reach (limits mode, no kill)")
    parser.add_argument("--delay-ms", type=float, default=0.0,
                        help="every sendMessage answered this late (Telegram's latency)")
    parser.add_argument("--kill-at", type=float, default=None, metavar="SHARE",
                        help="kill -9 the bot once this share of members has a copy, restart")
    asyncio.run(main(parser.parse_args()))
