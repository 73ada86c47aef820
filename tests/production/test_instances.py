"""Instances on one database share SEND_RATE through their heartbeat rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from bot.db import Database
from bot.db.models import BotInstance
from bot.runtime.instances import Heartbeat


async def test_each_live_instance_gets_its_share_and_a_dead_one_is_dropped(
    db: Database,
) -> None:
    shares: dict[str, list[tuple[float, int]]] = {"a": [], "b": []}
    a = Heartbeat(db, rate=30, on_share=lambda r, n: shares["a"].append((r, n)), interval=60)
    b = Heartbeat(db, rate=30, on_share=lambda r, n: shares["b"].append((r, n)), interval=60)
    await a.start()
    await b.start()
    assert shares == {"a": [(30, 1)], "b": [(15, 2)]}
    assert await a.beat() == 2 and shares["a"][-1] == (15, 2)

    # b stops beating (killed): after DEAD_AFTER a takes the whole rate again.
    async with db.transaction() as s:
        await s.execute(update(BotInstance).where(BotInstance.id == b.id).values(
            heartbeat_at=datetime.now(UTC) - timedelta(seconds=30)))
    assert await a.beat() == 1 and shares["a"][-1] == (30, 1)

    await a.stop()  # a clean stop removes its row at once
    async with db.transaction() as s:
        assert (await s.scalars(select(BotInstance.id))).all() == [b.id]
    await b.stop()
    async with db.transaction() as s:
        assert (await s.scalars(select(BotInstance.id))).all() == []
