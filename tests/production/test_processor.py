"""The update processor: counts and times every update; with UPDATE_CONCURRENCY > 1 different
chats run concurrently while one chat's updates keep their order."""

from __future__ import annotations

import asyncio

from telegram import Update

from bot.runtime.metrics import Metrics, update_kind


def message(update_id: int, chat: int, text: str = "hi") -> Update:
    return Update.de_json({"update_id": update_id, "message": {
        "message_id": update_id, "date": 0, "text": text,
        "chat": {"id": chat, "type": "private"},
        "from": {"id": chat, "is_bot": False, "first_name": "U"}}}, None)


async def run_all(concurrency: int, updates: list[Update]) -> list[str]:
    processor = Metrics().update_processor(concurrency)
    events: list[str] = []

    async def handle(update: Update) -> None:
        assert update.effective_chat is not None
        events.append(f"start {update.effective_chat.id}")
        await asyncio.sleep(0.05)
        events.append(f"end {update.effective_chat.id}")

    await asyncio.gather(*(processor.process_update(u, handle(u)) for u in updates))
    return events


async def test_one_chat_stays_in_order_other_chats_overlap() -> None:
    events = await run_all(4, [message(1, 10), message(2, 10), message(3, 20)])
    assert events.index("end 10") < events.index("start 10", 1)  # the second waits
    assert events.index("start 20") < events.index("end 10")  # another chat does not


async def test_concurrency_one_is_strictly_sequential() -> None:
    events = await run_all(1, [message(1, 10), message(2, 20)])
    assert events == ["start 10", "end 10", "start 20", "end 20"]


async def test_updates_are_counted_by_kind_and_the_chat_locks_are_dropped() -> None:
    metrics = Metrics()
    processor = metrics.update_processor(4)

    async def nothing() -> None:
        return None

    await processor.process_update(message(1, 10, "/help"), nothing())
    await processor.process_update(message(2, 10, "hello"), nothing())
    assert metrics.updates.labels("command")._value.get() == 1
    assert metrics.updates.labels("text")._value.get() == 1
    assert processor._chats == {}  # type: ignore[attr-defined]
    assert update_kind(object()) == "other"
