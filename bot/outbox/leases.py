"""The dispatcher's hold on the rows it claimed: each row's lease is renewed while it waits
for its turn and checked just before its call, so a process never sends a row whose lease
it no longer holds (bot.outbox.dispatcher)."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.db import Database
from bot.db.models import OutboxMessage
from bot.outbox import queue as outbox

logger = logging.getLogger("bot.outbox.dispatcher")


@dataclass
class DispatchStats:
    sent: int = 0
    retried: int = 0
    rate_limited: int = 0
    blocked: int = 0
    failed: int = 0
    deferred: int = 0
    lost_leases: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class Job:
    row: OutboxMessage
    sending: bool = False
    recorded: bool = False
    lost: bool = False  # its lease ran out or could not be renewed: never sent by us


@dataclass
class Chat:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last: float = -math.inf  # loop time of the last send to this chat


class LeaseKeeper:
    """Renews and checks the leases of one dispatcher's claimed rows (`jobs`, shared)."""

    def __init__(self, db: Database, clock: Callable[[], datetime], *, lease: timedelta,
                 call_timeout: timedelta, stats: DispatchStats,
                 jobs: dict[asyncio.Task[None], Job]) -> None:
        self._db = db
        self._clock = clock
        self._lease = lease
        self._call_timeout = call_timeout
        self._renew_every = lease.total_seconds() / 10
        self._leases = asyncio.Lock()  # renewals and the check before a send, one at a time
        self._jobs = jobs
        self.stats = stats

    async def keep(self, stop: asyncio.Event) -> None:
        """Every tenth of the lease, renew the leases of the rows waiting for their turn (a 429
        pause, a chat's spacing, a free slot), in one UPDATE; drop those no longer ours."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=self._renew_every)
                return
            except TimeoutError:
                pass
            try:
                async with self._leases:
                    horizon = self._clock() + self._lease - timedelta(seconds=self._renew_every)
                    waiting = {task: job for task, job in self._jobs.items()
                               if not job.sending and not job.lost and job.row.locked_until
                               is not None and job.row.locked_until < horizon}
                    if waiting:
                        await self.renew(waiting)
            except Exception:  # the database went away: sends check their lease themselves
                logger.exception("dispatcher: renewing leases failed")

    async def renew(self, jobs: dict[asyncio.Task[None], Job]) -> None:
        """Renew the jobs' leases; a job whose lease is gone (or in doubt) is lost: its task
        is cancelled unless it is the caller's. Holds `self._leases`."""
        rows = [job.row for job in jobs.values()]
        renewed: set[int] = set()
        try:
            async with self._db.transaction() as session:
                renewed = await outbox.renew(session, rows, now=self._clock(),
                                             lease=self._lease)
        finally:  # an error leaves the new lease in doubt: send none of these rows
            current = asyncio.current_task()
            for task, job in jobs.items():
                if job.row.id not in renewed:
                    job.lost = True
                    self.stats.lost_leases += 1
                    logger.warning("dispatcher: lease on outbox %s ran out while it waited; "
                                   "not sent by this process", job.row.id)
                    if task is not current:
                        task.cancel()

    async def hold(self, job: Job) -> bool:
        """Just before the call: True (and the job marked sending) when the row's lease is ours
        with at least `call_timeout` left, renewed if need be."""
        async with self._leases:
            if job.lost:
                return False
            until = job.row.locked_until
            if until is None or until - self._clock() < self._call_timeout:
                task = asyncio.current_task()
                assert task is not None
                try:
                    await self.renew({task: job})
                except Exception:
                    logger.exception("dispatcher: renewing the lease on outbox %s failed",
                                     job.row.id)
                if job.lost:
                    return False
            job.sending = True
            return True
