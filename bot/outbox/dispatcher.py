"""The dispatcher: one task per process that drains the outbox into Telegram.

It claims due rows under a lease, sends them at SEND_RATE overall and SEND_RATE_PER_CHAT per
chat, and records each outcome in its own short transaction right after the call returns:

- sent → SENT; ``RetryAfter`` → all sending pauses for that long, the row goes back untried;
- ``TimedOut`` / ``NetworkError`` (5xx: its turn given back, bot.outbox.pacing) / anything
  unexpected → retried with backoff, FAILED after the last attempt;
- ``Forbidden`` or "chat not found" → BLOCKED (and the account marked), never retried;
- any other ``BadRequest`` → FAILED with Telegram's reason.

A row is sent only while this process holds its lease, with at least `call_timeout` of it
left (renewed just before the call when less is left): a row whose lease ran out while it
waited (429 pauses, slow answers) may have been claimed by another process, so it is dropped
from this process's queue unsent. Rows waiting for their turn have their leases renewed, all in
one UPDATE, every tenth of the lease. Without a crash, nothing is sent twice.

Delivery is at least once across a crash: a message Telegram accepted while the process died
before its outcome was committed is sent again when its lease runs out. At most `in_flight`
(SEND_IN_FLIGHT) Bot API calls are started and not yet recorded at any moment, so a kill -9
repeats at most that many messages per process, however slow Telegram answers. Nothing
recorded as SENT is ever sent again. The per-chat rate is per process; SEND_RATE is shared
between the live instances (bot.runtime.instances calls `set_rate`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.db import Database
from bot.db.models import OutboxMessage
from bot.outbox import queue as outbox
from bot.outbox.leases import Chat, DispatchStats, Job, LeaseKeeper
from bot.outbox.pacing import pace
from bot.outbox.sending import PayloadError, PayloadSender

logger = logging.getLogger(__name__)

# RetryAfter.retry_after as a timedelta; reading it otherwise warns on every flood answer.
os.environ.setdefault("PTB_TIMEDELTA", "true")

LEASE = timedelta(seconds=30)  # renewed while rows wait; what a crash holds a row back for
# The longest one Bot API call and its recording may take: PTB's default timeouts (pool 1 s,
# connect, write and read 5 s each) and a few seconds to commit. A row is sent only with at
# least this much of its lease left.
CALL_TIMEOUT = timedelta(seconds=20)
# Bot API calls started and not yet recorded, at most (the SEND_IN_FLIGHT setting).
SEND_IN_FLIGHT = 8
POLL_INTERVAL = 1.0
# Rows for one chat beyond this many seconds of its per-chat budget go back to the table.
MAX_CHAT_WAIT = 5.0
STATS_EVERY = 60.0
_RECORD_TRIES = 3


class Dispatcher:
    """`await start()` once, `poke()` after enqueueing, `await stop()` at shutdown."""

    def __init__(
        self,
        bot: Bot,
        db: Database,
        *,
        rate: float,
        rate_per_chat: float,
        clock: Callable[[], datetime],
        lease: timedelta = LEASE,
        poll_interval: float = POLL_INTERVAL,
        retry_base: timedelta = outbox.RETRY_BASE,
        max_attempts: int = outbox.MAX_ATTEMPTS,
        call_timeout: timedelta = CALL_TIMEOUT,
        in_flight: int = SEND_IN_FLIGHT,
    ) -> None:
        if call_timeout >= lease:
            raise ValueError("the lease must be longer than one call may take")
        if in_flight < 1:
            raise ValueError("in_flight must be at least 1")
        self._sender = PayloadSender(bot)
        self._db = db
        self._clock = clock
        self._lease = lease
        self._slots = asyncio.Semaphore(in_flight)
        self._in_flight = in_flight
        self._poll = poll_interval
        self._retry_base = retry_base
        self._max_attempts = max_attempts
        self._limiter = pace(rate)
        self._chat_interval = 1 / rate_per_chat
        # About two seconds of work in hand: enough to keep the rate, little to release.
        self._max_inflight = max(2, math.ceil(rate * 2))
        self._refill_at = max(1, self._max_inflight // 2)
        self._jobs: dict[asyncio.Task[None], Job] = {}
        self._chats: dict[int, Chat] = {}
        self._queued: Counter[int] = Counter()
        self._paused_until = 0.0
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._renewer: asyncio.Task[None] | None = None
        self.stats = DispatchStats()
        self._keeper = LeaseKeeper(db, clock, lease=lease, call_timeout=call_timeout,
                                   stats=self.stats, jobs=self._jobs)
        self._reported: dict[str, int] = self.stats.as_dict()
        self._reported_at = 0.0

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def in_flight(self) -> int:
        """How many sends may be started and not yet recorded (SEND_IN_FLIGHT)."""
        return self._in_flight

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        if self._task is not None:
            raise RuntimeError("the dispatcher is already started")
        self._stop.clear()
        self._task = asyncio.create_task(self._run(), name="outbox-dispatcher")
        self._renewer = asyncio.create_task(self._keeper.keep(self._stop), name="outbox-leases")
        logger.info("dispatcher started (%d rows in hand, %d sends in flight at most)",
                    self._max_inflight, self._in_flight)

    def poke(self) -> None:
        """Something was enqueued: look now instead of at the next poll."""
        self._wake.set()

    def set_rate(self, rate: float) -> None:
        """This instance's share of SEND_RATE changed (bot.runtime.instances): new sends use it."""
        self._limiter = pace(rate)

    async def take_turn(self) -> None:
        """Wait for a turn within this process's SEND_RATE. Its other calls that count against
        Telegram's limits (replies, edits, callback answers: bot.runtime.replies) take theirs
        here too: a progress edit every 3 s on top of the sends drew a 429 every few seconds."""
        await self._limiter.acquire()

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming; give back rows still waiting for their turn; let sends in progress
        finish (their rows' leases run out if they do not within `timeout`)."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stop.set()
        self._wake.set()
        await task
        renewer, self._renewer = self._renewer, None
        if renewer is not None:
            await renewer  # it stops at once; never cut off between its UPDATE and its mirror
        jobs = dict(self._jobs)  # finished tasks leave self._jobs; we need them all below
        for t, job in jobs.items():
            if not job.sending:
                t.cancel()
        if jobs:
            _done, late = await asyncio.wait(list(jobs), timeout=timeout)
            for t in late:
                t.cancel()
            await asyncio.gather(*jobs, return_exceptions=True)
        unsent = [job.row for job in jobs.values() if not job.recorded and not job.lost]
        if unsent:
            try:
                async with self._db.transaction() as session:
                    await outbox.release(session, unsent)
            except Exception:
                logger.exception("dispatcher: could not release %d rows", len(unsent))
        logger.info("dispatcher stopped: %s; %d rows released", self.stats.as_dict(),
                    len(unsent))

    # -- the loop ----------------------------------------------------------------------------

    async def _run(self) -> None:
        while not self._stop.is_set():
            self._report()
            try:
                await self._wait_for_pause()
                free = self._max_inflight - len(self._jobs)
                self._wake.clear()
                if free >= self._refill_at and not self._stop.is_set():
                    if await self._claim(free) == free:
                        continue  # probably more due: claim again as soon as there is room
                await self._sleep(self._poll)
            except Exception:  # the database went away, say: keep the process's sender alive
                logger.exception("dispatcher: claiming failed; retrying")
                await self._sleep(self._poll * 5)

    def _report(self) -> None:
        """Counts (never contents) once a minute while there is traffic."""
        now = asyncio.get_running_loop().time()
        if now - self._reported_at < STATS_EVERY:
            return
        counts = self.stats.as_dict()
        if counts != self._reported:
            logger.info("dispatcher totals: %s", counts)
            self._reported = counts
        self._reported_at = now

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        except TimeoutError:
            pass

    async def _wait_for_pause(self) -> None:
        loop = asyncio.get_running_loop()
        while (remaining := self._paused_until - loop.time()) > 0 and not self._stop.is_set():
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=remaining)
            except TimeoutError:
                pass

    async def _claim(self, limit: int) -> int:
        now = self._clock()
        if not await outbox.anything_due(self._db, now):  # the idle poll: no transaction
            return 0
        ready: list[OutboxMessage] = []
        async with self._db.transaction() as session:
            rows = await outbox.claim_due(session, now=now, limit=limit, lease=self._lease)
            # A chat with more queued than it may receive soon: the rest waits in the table.
            deferred: dict[float, list[OutboxMessage]] = {}
            queued = Counter(self._queued)
            # Ours still, its lease only looked run out (a clock jumped): its job keeps it.
            mine = {job.row.id: job for job in self._jobs.values() if not job.lost}
            for row in rows:
                if (job := mine.get(row.id)) is not None:
                    job.row.locked_until = row.locked_until
                    continue
                wait = queued[row.chat_id] * self._chat_interval
                if wait > MAX_CHAT_WAIT:
                    deferred.setdefault(wait, []).append(row)
                else:
                    queued[row.chat_id] += 1
                    ready.append(row)
            for wait, later in deferred.items():
                await outbox.release(session, later, not_before=now + timedelta(seconds=wait))
                self.stats.deferred += len(later)
        # Only once the lease is committed: an outcome recorded before that would not find
        # the row leased to us (PostgreSQL does not wait for rows its snapshot does not match).
        for row in ready:
            self._queued[row.chat_id] += 1
            job = Job(row)
            task = asyncio.create_task(self._deliver(job), name=f"outbox-{row.id}")
            self._jobs[task] = job
            task.add_done_callback(self._finished)
        return len(rows)

    def _finished(self, task: asyncio.Task[None]) -> None:
        job = self._jobs.pop(task, None)
        if job is not None:
            self._queued[job.row.chat_id] -= 1
            if self._queued[job.row.chat_id] <= 0:
                del self._queued[job.row.chat_id]
        self._wake.set()

    # -- one message -------------------------------------------------------------------------

    def _chat(self, chat_id: int) -> Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            if len(self._chats) > 10_000:
                self._prune_chats()
            chat = self._chats[chat_id] = Chat()
        return chat

    def _prune_chats(self) -> None:
        horizon = asyncio.get_running_loop().time() - self._chat_interval
        for chat_id, chat in list(self._chats.items()):
            if chat.last < horizon and not chat.lock.locked():
                del self._chats[chat_id]

    async def _deliver(self, job: Job) -> None:
        loop = asyncio.get_running_loop()
        row = job.row
        try:
            chat = self._chat(row.chat_id)
            async with chat.lock:  # one message at a time per chat, spaced by its budget
                while True:
                    await asyncio.sleep(max(0.0, chat.last + self._chat_interval - loop.time()))
                    await self._wait_for_pause()
                    await self._slots.acquire()  # held until the outcome is recorded
                    try:
                        await self._limiter.acquire()
                    except BaseException:
                        self._slots.release()
                        raise
                    if self._paused_until <= loop.time():
                        break  # a RetryAfter may have come in while we waited
                    self._slots.release()
                try:
                    if self._stop.is_set():
                        return  # stop() gives the row back
                    if not await self._keeper.hold(job):
                        return  # another process may have it now: not ours to send
                    chat.last = loop.time()
                    await self._attempt(job)
                finally:
                    self._slots.release()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("dispatcher: outbox %s could not be processed", row.id)

    async def _attempt(self, job: Job) -> None:
        row = job.row
        try:
            message = await self._sender.send(row.chat_id, row.payload)
        except RetryAfter as exc:
            seconds = _seconds(exc.retry_after)
            loop = asyncio.get_running_loop()
            self._paused_until = max(self._paused_until, loop.time() + seconds)
            self.stats.rate_limited += 1
            logger.warning("dispatcher: flood control, pausing %.1fs (outbox %s)", seconds,
                           row.id)
            await self._record(job, outbox.release, [row],
                               not_before=self._clock() + timedelta(seconds=seconds))
        except Forbidden as exc:
            await self._blocked(job, exc)
        except BadRequest as exc:  # before NetworkError: BadRequest is a subclass of it
            if "chat not found" in exc.message.lower():
                await self._blocked(job, exc)
            else:
                self.stats.failed += 1
                logger.warning("dispatcher: outbox %s refused by Telegram", row.id)
                await self._record(job, outbox.mark_failed, row, error=exc.message)
        except (TimedOut, NetworkError) as exc:  # a 5xx, unlike a time-out, was not carried out
            self._limiter.outcome(carried_out=isinstance(exc, TimedOut))
            await self._retry(job, f"{type(exc).__name__}: {exc.message}")
        except (PayloadError, ChatMigrated) as exc:
            self.stats.failed += 1
            logger.error("dispatcher: outbox %s cannot be sent: %s", row.id, type(exc).__name__)
            await self._record(job, outbox.mark_failed, row, error=str(exc))
        except TelegramError as exc:
            await self._retry(job, f"{type(exc).__name__}: {exc.message}")
        except Exception as exc:  # a bug must not take the sender down, nor loop for ever
            logger.exception("dispatcher: outbox %s failed unexpectedly", row.id)
            await self._retry(job, type(exc).__name__)
        else:
            self._limiter.outcome(carried_out=True)
            self.stats.sent += 1
            logger.debug("dispatcher: outbox %s sent to chat %s", row.id, row.chat_id)
            await self._record(job, outbox.mark_sent, row,
                               telegram_message_id=message.message_id, now=self._clock())

    async def _blocked(self, job: Job, exc: TelegramError) -> None:
        self.stats.blocked += 1
        logger.info("dispatcher: chat %s refuses messages (outbox %s)", job.row.chat_id,
                    job.row.id)
        await self._record(job, outbox.mark_blocked, job.row, error=exc.message,
                           now=self._clock())

    async def _retry(self, job: Job, error: str) -> None:
        self.stats.retried += 1
        delay = outbox.backoff(job.row.attempts + 1, base=self._retry_base)
        logger.warning("dispatcher: outbox %s attempt %d failed (%s), retry in %s", job.row.id,
                       job.row.attempts + 1, error.split(":")[0], delay)
        await self._record(job, outbox.mark_retry, job.row, error=error, now=self._clock(),
                           delay=delay, max_attempts=self._max_attempts)

    async def _record(self, job: Job, action: Callable[..., Any], *args: Any,
                      **kwargs: Any) -> None:
        """Commit an outcome at once: the shorter this gap, the smaller the resend window."""
        for attempt in range(_RECORD_TRIES):
            try:
                async with self._db.transaction() as session:
                    if not await action(session, *args, **kwargs):
                        self.stats.lost_leases += 1
                        logger.warning("dispatcher: lease on outbox %s was lost", job.row.id)
                job.recorded = True
                return
            except Exception:
                if attempt == _RECORD_TRIES - 1:
                    raise
                logger.warning("dispatcher: recording outbox %s failed, trying again",
                               job.row.id, exc_info=True)
                await asyncio.sleep(0.5 * (attempt + 1))


def _seconds(value: object) -> float:
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)  # type: ignore[arg-type]
