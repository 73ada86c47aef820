"""Instances sharing one database share SEND_RATE: each sends SEND_RATE / live instances.

Every instance upserts a heartbeat row every HEARTBEAT seconds and counts the rows younger
than DEAD_AFTER; its dispatcher's rate is set to its share. An instance that dies stops
beating, and within DEAD_AFTER + HEARTBEAT the others take over its share. While a new
instance starts, the others learn of it within HEARTBEAT seconds: the combined rate may
exceed SEND_RATE for that long (Telegram tolerates short bursts; the dispatchers honour
RetryAfter in any case). Wall-clock time, not the app's (movable) clock.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Table, bindparam, delete, func, insert, select, update

from bot.db import Database
from bot.db.direct import Direct
from bot.db.models import BotInstance

logger = logging.getLogger(__name__)

HEARTBEAT = 2.0
DEAD_AFTER = timedelta(seconds=10)
FORGET_AFTER = timedelta(hours=1)


def instance_id() -> str:
    return f"{socket.gethostname()[:30]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


class Heartbeat:
    """Calls `on_share(rate, live)` whenever this instance's share changes."""

    def __init__(self, db: Database, *, rate: float,
                 on_share: Callable[[float, int], None],
                 interval: float = HEARTBEAT, dead_after: timedelta = DEAD_AFTER) -> None:
        self.id = instance_id()
        self._db = db
        self._rate = rate
        self._on_share = on_share
        self._interval = interval
        self._dead_after = dead_after
        self._live = 0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.beat()  # the share is known before the first message goes out
        self._task = asyncio.create_task(self._run(), name="instance-heartbeat")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        try:  # leave at once: the others take the whole rate without waiting DEAD_AFTER
            async with self._db.transaction() as session:
                await session.execute(delete(BotInstance).where(BotInstance.id == self.id))
        except Exception:
            logger.warning("heartbeat: could not remove instance %s", self.id, exc_info=True)

    async def beat(self) -> int:
        now = datetime.now(UTC)
        # Prebuilt statements on the driver (bot.db.direct), not an ORM transaction: this
        # runs every HEARTBEAT seconds, busy or idle (benchmarks/README.md, idle CPU).
        async with self._db.direct() as connection:
            if not await connection.rows(_BEAT, {"id": self.id, "now": now}):
                await connection.execute(_JOIN, {"id": self.id, "now": now})
            [(count,)] = await connection.rows(_LIVE, {"since": now - self._dead_after})
            live = count or 1
            await connection.execute(_FORGET, {"before": now - FORGET_AFTER})
        if live != self._live:
            logger.info("heartbeat: %d live instance(s), sending at %.2f/s", live,
                        self._rate / live)
            self._live = live
            self._on_share(self._rate / live, live)
        return live

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.beat()
            except Exception:  # the database is away: keep the last share, try again
                logger.warning("heartbeat failed", exc_info=True)


_instances = BotInstance.__table__
assert isinstance(_instances, Table)
_at = _instances.c.heartbeat_at.type
_BEAT = Direct(update(_instances).where(_instances.c.id == bindparam("id"))
               .values(heartbeat_at=bindparam("now", type_=_at)).returning(_instances.c.id))
_JOIN = Direct(insert(_instances).values(id=bindparam("id"),
                                         started_at=bindparam("now", type_=_at),
                                         heartbeat_at=bindparam("now", type_=_at)))
_LIVE = Direct(select(func.count()).select_from(_instances)
               .where(_instances.c.heartbeat_at > bindparam("since", type_=_at)))
_FORGET = Direct(delete(_instances)
                 .where(_instances.c.heartbeat_at < bindparam("before", type_=_at)))
