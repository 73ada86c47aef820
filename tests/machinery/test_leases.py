"""Leases that outlive the wait: a row is sent only while its lease is ours, and rows waiting
behind slow answers and flood control keep theirs. Two dispatchers on one database, as two
instances would run; deliveries counted per chat in the sandbox."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from datetime import datetime, timedelta

from bot.db import Database
from bot.db.models import OutboxStatus
from bot.outbox import queue as outbox
from bot.outbox.dispatcher import Dispatcher
from bot.sandbox import SandboxClient, SandboxConfig, SandboxServer
from tests.machinery.test_dispatcher import bot_for, enqueue, now, settled, texts, users

CHATS = range(1000, 1040)


async def test_slow_answers_and_a_429_storm_send_each_row_once_between_two_dispatchers(
    open_limits: SandboxServer, db: Database
) -> None:
    # A lease of 2 s; each dispatcher claims 2 s of work (20 rows at 10/s), answers take
    # 0.2 s and a third of them are 429s (retry_after 1 s): most rows wait longer than their
    # lease. The other dispatcher (or the same one) claims a row whose lease ran out; the
    # one that still holds it in its queue must not send it as well.
    async with SandboxClient(open_limits.url) as sb:
        await users(sb, CHATS)
        await sb.set_faults(rate_429=0.3, delay_ms=200, retry_after=1, seed=11,
                            methods=["sendMessage"])
        await enqueue(db, texts(CHATS))
        async with AsyncExitStack() as stack:
            dispatchers = await two_dispatchers(stack, open_limits, db, rate=10,
                                                rate_per_chat=5, read_timeout=1.0)
            rows = await settled(db, timeout=60)
        stats = await sb.stats()
    assert stats["faults"]["429"] > 0
    assert all(r.status == OutboxStatus.SENT for r in rows)
    assert stats["messages_per_chat"] == {str(c): 1 for c in CHATS}, {
        c: n for c, n in stats["messages_per_chat"].items() if n != 1}
    assert sum(d.stats.sent for d in dispatchers) == len(CHATS)
    assert all(d.stats.lost_leases == 0 for d in dispatchers)


async def test_renewing_extends_only_leases_still_held_and_fences_the_rest(db: Database) -> None:
    lease = timedelta(seconds=30)
    await enqueue(db, texts(range(1200, 1206)))
    start = now()
    async with db.transaction() as s:
        first = await outbox.claim_due(s, now=start, limit=3, lease=lease)
    async with db.transaction() as s:
        second = await outbox.claim_due(s, now=start + timedelta(seconds=5), limit=3,
                                        lease=lease)
    # The first claim's leases run out; rows 1 and 2 are claimed again by someone else.
    later = start + timedelta(seconds=31)
    async with db.transaction() as s:
        taken = await outbox.claim_due(s, now=later, limit=2, lease=lease)
    assert {r.id for r in taken} == {r.id for r in first[:2]}
    mine = first + second  # two lease tokens, one UPDATE
    async with db.transaction() as s:
        renewed = await outbox.renew(s, mine, now=later, lease=lease)
    assert renewed == {first[2].id} | {r.id for r in second}
    assert all(r.locked_until == later + lease for r in mine if r.id in renewed)
    # Outcomes are fenced by the renewed token; the rows taken over are not ours to record.
    async with db.transaction() as s:
        assert await outbox.mark_sent(s, first[2], telegram_message_id=1, now=later)
        assert not await outbox.mark_sent(s, first[0], telegram_message_id=2, now=later)
        assert await outbox.mark_sent(s, taken[0], telegram_message_id=3, now=later)


async def test_429s_earned_from_telegrams_limits_with_slow_answers_send_each_row_once(
    db: Database,
) -> None:
    # No injected 429s: Telegram's own limits (4/s overall here) against two dispatchers
    # that together try 16/s, answers after 0.3 s, a 2 s lease. Every 429 is one a real
    # server would give, with the retry_after its bucket needs; rows wait out pauses longer
    # than their lease, and the other dispatcher claims those. Each chat gets its copy once.
    server = SandboxServer(SandboxConfig(global_rate=4.0, global_burst=4))
    await server.start(host="127.0.0.1", port=0)
    chats = range(1100, 1130)
    try:
        async with SandboxClient(server.url) as sb:
            await users(sb, chats)
            await sb.set_faults(delay_ms=300, methods=["sendMessage"])
            await enqueue(db, texts(chats))
            async with AsyncExitStack() as stack:
                dispatchers = await two_dispatchers(stack, server, db, rate=8, rate_per_chat=1,
                                                    read_timeout=2.0)
                rows = await settled(db, timeout=90)
            stats = await sb.stats()
    finally:
        await server.stop()
    assert stats["faults"]["429"] == 0 and sum(stats["flood_limited"].values()) > 0
    assert all(r.status == OutboxStatus.SENT for r in rows)
    assert stats["messages_per_chat"] == {str(c): 1 for c in chats}, {
        c: n for c, n in stats["messages_per_chat"].items() if n != 1}
    assert sum(d.stats.sent for d in dispatchers) == len(chats)
    assert sum(d.stats.rate_limited for d in dispatchers) > 0


async def two_dispatchers(stack: AsyncExitStack, server: SandboxServer, db: Database, *,
                          rate: float, rate_per_chat: float,
                          read_timeout: float) -> list[Dispatcher]:
    """Two dispatchers on one outbox with 2-second leases, as two bot instances run them;
    stopped when `stack` closes."""
    dispatchers = []
    for _ in range(2):
        bot = await stack.enter_async_context(bot_for(server, read_timeout=read_timeout))
        dispatcher = Dispatcher(
            bot, db, rate=rate, rate_per_chat=rate_per_chat, clock=now,
            lease=timedelta(seconds=2), poll_interval=0.1,
            retry_base=timedelta(seconds=0.1), call_timeout=timedelta(seconds=1))
        await dispatcher.start()
        stack.push_async_callback(dispatcher.stop)
        dispatchers.append(dispatcher)
    return dispatchers


async def test_a_clock_that_jumps_past_the_lease_mid_call_sends_nothing_twice(
    open_limits: SandboxServer, db: Database
) -> None:
    # Answers take 0.6 s; while calls are in flight the dispatcher's clock jumps an hour on
    # (a test clock moved to the digest time, a host clock corrected): every lease it holds
    # looks run out, so its next claim takes those rows again. A row it is still sending
    # stays with the job that has it (under the new lease); it is not started a second time.
    chats = range(1100, 1110)
    offset = timedelta(0)

    def clock() -> datetime:
        return now() + offset

    async with SandboxClient(open_limits.url) as sb:
        await users(sb, chats)
        await sb.set_faults(delay_ms=600, seed=3, methods=["sendMessage"])
        await enqueue(db, texts(chats))
        async with AsyncExitStack() as stack:
            bot = await stack.enter_async_context(bot_for(open_limits, read_timeout=2.0))
            dispatcher = Dispatcher(
                bot, db, rate=100, rate_per_chat=5, clock=clock,
                lease=timedelta(seconds=5), poll_interval=0.05,
                retry_base=timedelta(seconds=0.1), call_timeout=timedelta(seconds=2))
            await dispatcher.start()
            stack.push_async_callback(dispatcher.stop)
            await asyncio.sleep(0.3)  # the first calls are out, none answered yet
            offset = timedelta(hours=1)
            dispatcher.poke()
            rows = await settled(db, timeout=30)
        stats = await sb.stats()
    assert all(r.status == OutboxStatus.SENT for r in rows)
    assert stats["messages_per_chat"] == {str(c): 1 for c in chats}, stats["messages_per_chat"]
    assert dispatcher.stats.sent == len(chats) and dispatcher.stats.lost_leases == 0
