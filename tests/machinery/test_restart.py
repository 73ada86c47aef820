"""kill -9 in the middle of a prompt fan-out: the bot as a real process, started twice."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.db.models import OutboxMessage, OutboxStatus
from bot.sandbox import SandboxClient, SandboxServer
from tests.machinery.helpers import (
    seed_members,
    seed_unit,
    started,
    zone_where_it_is,
)
from tests.support.processes import bot_db, start_bot_process, wait_for

__all__ = ["bot_db"]

MEMBERS = range(3000, 3100)


async def delivered(sb: SandboxClient) -> dict[str, int]:
    stats = await sb.stats()
    return {chat: n for chat, n in stats["messages_per_chat"].items() if int(chat) in MEMBERS}


async def sent_chats(db: Database) -> set[int]:
    async with db.transaction() as s:
        return set((await s.scalars(select(OutboxMessage.chat_id).where(
            OutboxMessage.status == OutboxStatus.SENT))).all())


@pytest.mark.parametrize("moment", ["between_sends", "any_time"])
async def test_a_kill_9_mid_fan_out_loses_no_prompt_and_repeats_none_recorded_as_sent(
    moment: str, sandbox: SandboxServer, sb: SandboxClient, bot_db: Database, tmp_path: Path
) -> None:
    """`between_sends`: killed while flood control holds every send, so nothing is in flight:
    each member gets exactly one prompt. `any_time`: killed the instant the sandbox counts
    half; a message Telegram accepted in the milliseconds before its outcome was committed
    may go twice (delivery is at least once), and only such a message."""
    async with bot_db.transaction() as s:
        # The real clock is inside this unit's prompt window: the bot's own minute job fires.
        unit = await seed_unit(s, timezone=zone_where_it_is(12), prompt_time="06:00",
                               deadline_time="23:00", reminder_times="")
        await seed_members(s, unit, MEMBERS)
    started(sandbox, MEMBERS)

    first = await start_bot_process(sandbox, bot_db, tmp_path, "first")
    try:
        async def half() -> bool:
            return sum((await delivered(sb)).values()) >= len(MEMBERS) // 2

        # The deadlines are for a busy machine (the process starts in ~2 s alone).
        await wait_for(half, "half the prompts delivered", 180, tmp_path)
        if moment == "between_sends":
            await sb.set_faults(rate_429=1.0, retry_after=10, methods=["sendMessage"])

            async def paused() -> bool:
                faults = (await sb.stats())["faults"].get("429", 0)
                return faults > 0 and len(await sent_chats(bot_db)) == len(await delivered(sb))

            await wait_for(paused, "the dispatcher paused by flood control", 60, tmp_path)
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()
    await sb.clear_faults()
    at_kill = await delivered(sb)
    assert len(MEMBERS) // 2 <= sum(at_kill.values()) < len(MEMBERS)
    sent_at_kill = await sent_chats(bot_db)
    in_doubt = {int(chat) for chat in at_kill} - sent_at_kill

    second = await start_bot_process(sandbox, bot_db, tmp_path, "second")
    try:
        async def all_sent() -> bool:
            async with bot_db.transaction() as s:
                pending = await s.scalar(select(func.count()).select_from(OutboxMessage).where(
                    OutboxMessage.status != OutboxStatus.SENT))
                total = await s.scalar(select(func.count()).select_from(OutboxMessage))
            return total == len(MEMBERS) and pending == 0

        # Rows the killed process had claimed come back when their lease (30 s) runs out.
        await wait_for(all_sent, "every prompt sent", 180, tmp_path)
    finally:
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), 60) == 0

    final = await delivered(sb)
    assert set(final) == {str(m) for m in MEMBERS}  # nobody is left without their prompt
    assert all(final[str(chat)] == 1 for chat in sent_at_kill)  # none recorded sent went again
    twice = {int(chat) for chat, n in final.items() if n > 1}
    assert twice <= in_doubt and all(n <= 2 for n in final.values())
    if moment == "between_sends":
        assert in_doubt == set()
        assert final == {str(m): 1 for m in MEMBERS}
