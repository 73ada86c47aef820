"""kill -9 in the middle of a notice to a few hundred members: the bot as a real process,
started twice; deliveries counted per member in the sandbox."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from sqlalchemy import func, select, update

from bot.db import Database
from bot.db.models import Member, OutboxMessage, OutboxStatus, Unit
from bot.outbox.dispatcher import SEND_IN_FLIGHT
from bot.sandbox import SandboxClient, SandboxServer
from tests.notices.helpers import compose, seed
from tests.support.builders import ALAN, EVERYONE, started, zone_where_it_is
from tests.support.processes import bot_db, start_bot_process, wait_for

__all__ = ["bot_db"]

CROWD = range(8000, 8300)
TEXT = "Evacuation drill at 15:00."


async def copies_per_member(sb: SandboxClient) -> dict[int, int]:
    stats = (await sb.stats())["messages_per_chat"]
    counts = {}
    for uid in CROWD:
        if str(uid) in stats:
            counts[uid] = sum(TEXT in (m.get("text") or "") for m in await sb.chat(uid))
    return {uid: n for uid, n in counts.items() if n}


async def test_a_kill_9_mid_notice_loses_nobody_and_repeats_none_recorded_as_sent(
    sandbox: SandboxServer, sb: SandboxClient, bot_db: Database, tmp_path: Path
) -> None:
    o = await seed(bot_db)
    async with bot_db.transaction() as s:
        # 02:00 there: no daily prompt goes out beside the notice.
        await s.execute(update(Unit).where(Unit.parent_id.is_(None))
                        .values(timezone=zone_where_it_is(2)))
        s.add_all(Member(unit_id=o.units["Branch 1"], name=f"Crowd {uid}",
                         telegram_user_id=uid) for uid in CROWD)
    started(sandbox, (*EVERYONE, *CROWD))

    first = await start_bot_process(sandbox, bot_db, tmp_path, "first")
    try:
        ready = await sb.send_text(ALAN, "/help")  # the process takes a few seconds to start
        await sb.wait_for_bot_messages(ALAN, after=ready["message_id"], timeout=180)
        _preview, summary = await compose(sb, ALAN, TEXT, "Branch 1")
        await sb.press(ALAN, summary["message_id"], callback_data="nf:s")

        async def third() -> bool:
            stats = (await sb.stats())["messages_per_chat"]
            return sum(n for c, n in stats.items() if int(c) in CROWD) >= len(CROWD) // 3

        await wait_for(third, "a third of the notice delivered", 180, tmp_path)
    finally:
        first.send_signal(signal.SIGKILL)
        await first.wait()
    at_kill = await copies_per_member(sb)
    assert len(CROWD) // 3 <= sum(at_kill.values()) < len(CROWD)
    async with bot_db.transaction() as s:
        sent_at_kill = set((await s.scalars(select(OutboxMessage.chat_id).where(
            OutboxMessage.kind == "notice", OutboxMessage.status == OutboxStatus.SENT))).all())
    in_doubt = set(at_kill) - sent_at_kill

    second = await start_bot_process(sandbox, bot_db, tmp_path, "second")
    try:
        async def all_sent() -> bool:
            async with bot_db.transaction() as s:
                left = await s.scalar(select(func.count()).select_from(OutboxMessage).where(
                    OutboxMessage.kind == "notice", OutboxMessage.status != OutboxStatus.SENT))
            return left == 0

        # Rows the killed process had claimed come back when their lease (30 s) runs out.
        await wait_for(all_sent, "every copy sent", 180, tmp_path)
    finally:
        second.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.wait(), 60) == 0

    final = await copies_per_member(sb)
    assert set(final) == set(CROWD)  # nobody left without the notice
    assert all(final[uid] == 1 for uid in sent_at_kill if uid in final)
    twice = {uid for uid, n in final.items() if n > 1}
    assert twice <= in_doubt and all(n <= 2 for n in final.values())
    # Only sends started and not yet recorded can be repeated: SEND_IN_FLIGHT at most.
    assert len(twice) <= SEND_IN_FLIGHT
