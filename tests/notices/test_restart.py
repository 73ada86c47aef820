"""Restarts: mid-form (the draft is in the database), mid fan-out (nobody lost, nobody
twice), and a scheduled notice that the tick sends when its time comes."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

import bot.runtime.jobs
from bot.config import Settings, load_settings
from bot.db import Database
from bot.db.models import Member, OutboxMessage, OutboxStatus
from bot.runtime.runner import start_bot, stop_bot
from bot.sandbox import SandboxClient, SandboxServer
from tests.notices.helpers import compose, data_of, notices_in, say, seed, tap
from tests.support.builders import ALAN, BEN, DORA, EVERYONE, MIA, NOW, running_clock, started

CROWD = range(7100, 7160)


async def test_a_restart_mid_form_loses_nothing(
    bot_app: Any, settings: Settings, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    await seed(db)
    started(sandbox, EVERYONE)
    bot_app.bot_data.clock = running_clock(NOW)
    await say(sb, ALAN, "/notice")
    [targets] = await say(sb, ALAN, "Stay home if unwell.")
    _a, [ack_q] = await tap(sb, ALAN, targets, data_of(targets, "Branch 1"))
    await stop_bot(bot_app)

    app = await start_bot(settings, db, poll_timeout=1)
    try:
        app.bot_data.clock = running_clock(NOW)
        _a, [when_q] = await tap(sb, ALAN, ack_q, "nf:k:1")
        _a, [_preview, summary] = await tap(sb, ALAN, when_q, "nf:n", count=2)
        assert "To: Group / Company A / Branch 1" in summary["text"]
        await sb.press(ALAN, summary["message_id"], callback_data="nf:s")
        for uid in (MIA, DORA, BEN):
            [copy] = await sb.wait_for_bot_messages(uid)
            assert copy["text"].endswith("Stay home if unwell.\n\nPlease tap “Acknowledge” "
                                         "once you have read it.")
    finally:
        await stop_bot(app)


async def test_a_scheduled_notice_goes_out_when_the_tick_reaches_its_time(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    await seed(db)
    started(sandbox, EVERYONE)
    bot_app.bot_data.clock = running_clock(NOW)  # 09:00 in Shanghai
    _preview, summary = await compose(sb, ALAN, "Drill at ten.", "Branch 1", when="10:00")
    assert summary["text"].splitlines()[-1] == ("When: Mon, Nov 30 10:00 "
                                                "(Asia/Shanghai)")
    await sb.press(ALAN, summary["message_id"], callback_data="nf:s")
    await sb.wait_until(ALAN, lambda chat: any(
        (m.get("text") or "").startswith("🕒 Notice scheduled for Mon, Nov 30 10:00")
        for m in chat))
    assert "notice" not in (await bot.runtime.jobs.tick_now(bot_app)).counts  # (prompts go out)
    await asyncio.sleep(0.5)
    assert await notices_in(db) and all(
        "Drill" not in (m.get("text") or "") for m in await sb.chat(MIA))

    bot_app.bot_data.clock = running_clock(NOW + timedelta(hours=1, seconds=5))
    result = await bot.runtime.jobs.tick_now(bot_app)
    assert result.counts["notice"] == 3
    assert "notice" not in (await bot.runtime.jobs.tick_now(bot_app)).counts  # once only
    for uid in (MIA, DORA, BEN):
        await sb.wait_until(uid, lambda chat: any("Drill at ten." in (m.get("text") or "")
                                                  for m in chat))
    # The progress arrives as a new message, since the summary already said "scheduled".
    await sb.wait_until(ALAN, lambda chat: any((m.get("text") or "").startswith(
        "✅ Notice #1: sending finished.") for m in chat), timeout=15)
    for _ in range(100):  # recorded right after the edit
        [notice] = await notices_in(db)
        if notice.progress_done:
            break
        await asyncio.sleep(0.05)
    assert notice.progress_done


async def test_a_restart_mid_fan_out_loses_nobody_and_sends_nobody_twice(
    sandbox: SandboxServer, sb: SandboxClient, db: Database, database_url: str
) -> None:
    slow = load_settings({}, telegram_bot_token=sandbox.config.token,
                         telegram_api_base_url=sandbox.url, database_url=database_url,
                         send_rate=15)
    o = await seed(db)
    async with db.transaction() as s:
        s.add_all(Member(unit_id=o.units["Branch 1"], name=f"Crowd {uid}",
                         telegram_user_id=uid) for uid in CROWD)
    started(sandbox, (*EVERYONE, *CROWD))

    app = await start_bot(slow, db, poll_timeout=1)
    try:
        app.bot_data.clock = running_clock(NOW)
        _preview, summary = await compose(sb, ALAN, "Everyone: read this.", "Branch 1")
        await sb.press(ALAN, summary["message_id"], callback_data="nf:s")

        async def delivered() -> dict[str, int]:
            per_chat = (await sb.stats())["messages_per_chat"]
            return {c: n for c, n in per_chat.items() if int(c) in CROWD}

        # A deadline, not a count of polls: on a loaded machine each poll takes longer.
        deadline = asyncio.get_running_loop().time() + 60
        while sum((await delivered()).values()) < 15:
            assert asyncio.get_running_loop().time() < deadline, "the fan-out never started"
            await asyncio.sleep(0.05)
    finally:
        await stop_bot(app)
    at_stop = await delivered()
    assert 15 <= sum(at_stop.values()) < len(CROWD)

    app = await start_bot(slow, db, poll_timeout=1)
    try:
        app.bot_data.clock = running_clock(NOW)
        deadline = asyncio.get_running_loop().time() + 60
        while asyncio.get_running_loop().time() < deadline:
            async with db.transaction() as s:
                left = await s.scalar(select(func.count()).select_from(OutboxMessage).where(
                    OutboxMessage.kind == "notice", OutboxMessage.status != OutboxStatus.SENT))
            if left == 0:
                break
            await asyncio.sleep(0.05)
        await sb.wait_until(ALAN, lambda chat: any("finished" in (m.get("text") or "")
                                                   for m in chat), timeout=15)
    finally:
        await stop_bot(app)
    final = await delivered()
    assert final == {str(uid): 1 for uid in CROWD}
    [notice] = await notices_in(db)
    assert notice.recipients == len(CROWD) + 5
