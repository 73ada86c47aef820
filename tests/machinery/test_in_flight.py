"""SEND_IN_FLIGHT: however slowly Telegram answers, a process has at most that many Bot API
calls started and not yet recorded, which bounds what a kill -9 can make it send twice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from telegram import Message

from bot.config import ConfigError, load_settings
from bot.db import Database
from bot.db.models import OutboxMessage, OutboxStatus
from bot.outbox import queue as outbox
from bot.outbox.dispatcher import SEND_IN_FLIGHT, Dispatcher
from bot.sandbox import SandboxClient, SandboxServer
from tests.machinery.test_dispatcher import bot_for, enqueue, now, settled, texts, users

CHATS = range(1100, 1130)


async def test_no_more_than_in_flight_sends_are_started_and_not_recorded(
    open_limits: SandboxServer, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 100/s would keep 30 calls of 0.3 s each outstanding; SEND_IN_FLIGHT 3 allows 3.
    outstanding = 0  # calls started, outcome not yet recorded
    most = 0
    mark_sent = outbox.mark_sent

    async def recorded(*args: Any, **kwargs: Any) -> bool:
        nonlocal outstanding
        result = await mark_sent(*args, **kwargs)
        outstanding -= 1
        return result

    monkeypatch.setattr(outbox, "mark_sent", recorded)
    async with SandboxClient(open_limits.url) as sb:
        await users(sb, CHATS)
        await sb.set_faults(delay_ms=300, methods=["sendMessage"])
        await enqueue(db, texts(CHATS))
        async with bot_for(open_limits) as bot:
            dispatcher = Dispatcher(bot, db, rate=100, rate_per_chat=10, clock=now,
                                    poll_interval=0.1, retry_base=timedelta(seconds=0.1),
                                    in_flight=3)
            send = dispatcher._sender.send

            async def counted(chat_id: int, payload: dict[str, Any]) -> Message:
                nonlocal outstanding, most
                outstanding += 1
                most = max(most, outstanding)
                return await send(chat_id, payload)

            monkeypatch.setattr(dispatcher._sender, "send", counted)
            await dispatcher.start()
            try:
                rows = await settled(db, timeout=60)
            finally:
                await dispatcher.stop()
        stats = await sb.stats()
    assert all(r.status == OutboxStatus.SENT for r in rows)
    assert stats["messages_per_chat"] == {str(c): 1 for c in CHATS}
    assert most == 3  # the bound is reached, and never exceeded
    assert outstanding == 0


def test_the_bound_is_at_least_one() -> None:
    with pytest.raises(ValueError, match="in_flight"):
        Dispatcher(object(), object(), rate=1, rate_per_chat=1, clock=now,  # type: ignore[arg-type]
                   in_flight=0)


async def test_stop_waits_for_the_sends_in_flight_only(
    open_limits: SandboxServer, db: Database
) -> None:
    # Rows waiting for a free slot are given back at once, untried.
    async with SandboxClient(open_limits.url) as sb:
        await users(sb, CHATS)
        await sb.set_faults(delay_ms=500, methods=["sendMessage"])
        await enqueue(db, texts(CHATS))
        async with bot_for(open_limits) as bot:
            dispatcher = Dispatcher(bot, db, rate=100, rate_per_chat=10, clock=now,
                                    poll_interval=0.1, in_flight=2)
            await dispatcher.start()
            await sb.wait_for_bot_messages(CHATS[0], after=0, timeout=10)
            await dispatcher.stop()
        sent = sum((await sb.stats())["messages_per_chat"].values())
    async with db.transaction() as s:
        rows = list((await s.scalars(select(OutboxMessage))).all())
    assert dispatcher.stats.sent == sent == sum(r.status == OutboxStatus.SENT for r in rows)
    assert sent <= 4  # two in flight at the first delivery, then two more at most
    assert all(r.locked_until is None and r.attempts == 0 for r in rows
               if r.status == OutboxStatus.PENDING)



def test_the_setting_defaults_to_the_dispatchers_bound_and_is_validated() -> None:
    assert load_settings({}).send_in_flight == SEND_IN_FLIGHT == 8
    assert load_settings({"SEND_IN_FLIGHT": "2"}).send_in_flight == 2
    for bad in ("0", "-1", "many"):
        with pytest.raises(ConfigError, match="SEND_IN_FLIGHT"):
            load_settings({"SEND_IN_FLIGHT": bad})
