"""A repeated update (same update_id, same content) is processed once, also across instances;
through the sandbox against the real Application, and on the shared table directly."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from telegram import Update

from bot.db import Database
from bot.db.models import SeenUpdate
from bot.db.seen import SeenUpdates
from bot.runtime.dedup import digest_of
from bot.sandbox import SandboxClient


async def test_a_redelivered_update_gets_no_second_reply(
    bot_app: Any, sb: SandboxClient
) -> None:
    await sb.create_user(5001, "Alice", language_code="en")
    sent = await sb.send_text(5001, "/help")
    [reply] = await sb.wait_for_bot_messages(5001, after=sent["message_id"])
    await sb.redeliver(sent["update_id"])
    # A later update is answered: the repeats were taken (and dropped) before it.
    later = await sb.send_text(5001, "/help")
    [second] = await sb.wait_for_bot_messages(5001, after=later["message_id"])
    bot_messages = [m for m in await sb.chat(5001) if m["from"] == "bot"]
    assert [m["message_id"] for m in bot_messages] == [reply["message_id"],
                                                       second["message_id"]]
    assert bot_app.bot_data.metrics.duplicates._value.get() == 1


async def test_an_unknown_update_id_cannot_be_redelivered(sb: SandboxClient) -> None:
    from bot.sandbox import SandboxError

    try:
        await sb.redeliver(987654)
    except SandboxError as exc:
        assert exc.status == 404
    else:
        raise AssertionError("expected a 404")


async def test_two_instances_racing_for_one_update_take_it_once(db: Database) -> None:
    first, second = SeenUpdates(db), SeenUpdates(db)
    results = await asyncio.gather(*(seen.first_sight(42, "d1" * 8)
                                     for seen in (first, second, first, second)))
    assert sorted(results) == [False, False, False, True]


async def test_the_same_id_with_other_content_is_a_new_update(db: Database) -> None:
    """A Bot API server whose ids start again (the sandbox restarted) must not go deaf."""
    seen = SeenUpdates(db)
    assert await seen.first_sight(7, "a" * 16)
    assert not await seen.first_sight(7, "a" * 16)
    assert await seen.first_sight(7, "b" * 16)
    assert not await seen.first_sight(7, "b" * 16)


async def test_old_ids_are_forgotten_after_a_day(db: Database) -> None:
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    old = SeenUpdates(db)
    assert await old.first_sight(1, "a" * 16, now=now - timedelta(hours=26))
    assert await old.first_sight(2, "a" * 16, now=now - timedelta(hours=1))
    fresh = SeenUpdates(db)  # prunes on its first write
    assert await fresh.first_sight(3, "a" * 16, now=now)
    async with db.transaction() as s:
        ids = set((await s.scalars(select(SeenUpdate.update_id))).all())
        assert ids == {2, 3}
        assert await s.scalar(select(func.count()).select_from(SeenUpdate)) == 2


def _update(update_id: int = 9, *, text: str | None = "hi", data: str | None = None,
            message_id: int = 3, date: int = 1_790_000_000, user: int = 1) -> Update:
    message = {"message_id": message_id, "date": date, "chat": {"id": user, "type": "private"},
               "from": {"id": user, "is_bot": False, "first_name": "A"}, "text": text}
    payload: dict[str, Any] = {"update_id": update_id}
    if data is None:
        payload["message"] = message
    else:
        payload["callback_query"] = {"id": f"q{update_id}", "chat_instance": "c", "data": data,
                                     "from": message["from"], "message": message}
    return Update.de_json(payload, None)


def test_the_digest_tells_a_repeat_from_new_content_under_the_same_id() -> None:
    assert digest_of(_update()) == digest_of(_update())  # the same delivery again
    different = [_update(text="hello"), _update(message_id=4), _update(date=1_790_000_001),
                 _update(user=2), _update(data="r:2026-11-30:ok"), _update(text=None)]
    digests = {digest_of(u) for u in different} | {digest_of(_update())}
    assert len(digests) == len(different) + 1
    assert digest_of(_update(data="a")) != digest_of(_update(data="b"))
