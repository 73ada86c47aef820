"""Prometheus metrics of one bot process, on its own registry (served by bot.runtime.web).

Counters and the latency histogram are kept as updates flow; the database figures (outbox
depth and age, reports today) and the dispatcher's send counts are read when scraped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.db import Database
from bot.db.models import OutboxMessage, OutboxStatus, Report

if TYPE_CHECKING:
    from bot.outbox.dispatcher import Dispatcher

logger = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def update_kind(update: object) -> str:
    """A small fixed set of labels (never content): command, text, callback_query, ..."""
    if not isinstance(update, Update):
        return "other"
    if update.callback_query is not None:
        return "callback_query"
    message = update.message
    if message is not None:
        if message.text is not None:
            return "command" if message.text.startswith("/") else "text"
        if message.contact is not None:
            return "contact"
        if message.photo or message.document is not None:
            return "file"
        return "message_other"
    if update.edited_message is not None:
        return "edited_message"
    if update.my_chat_member is not None:
        return "my_chat_member"
    return "other"


class Metrics:
    """Everything /metrics shows for this process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.updates = Counter("selfreport_updates", "Updates handled, by kind", ["kind"],
                               registry=r)
        self.latency = Histogram("selfreport_update_seconds",
                                 "Time to handle one update (all handler groups), by kind",
                                 ["kind"], buckets=LATENCY_BUCKETS, registry=r)
        self.duplicates = Counter("selfreport_updates_duplicate",
                                  "Updates delivered again and dropped", registry=r)
        self.errors = Counter("selfreport_errors", "Unexpected errors, by where", ["where"],
                              registry=r)
        self.outbox_depth = Gauge("selfreport_outbox_pending",
                                  "Outbox messages waiting to be sent", registry=r)
        self.outbox_age = Gauge("selfreport_outbox_oldest_age_seconds",
                                "How long the oldest due outbox message has waited", registry=r)
        self.reports_today = Gauge("selfreport_reports_today",
                                   "Reports for today's date (the default time zone)",
                                   registry=r)
        self.send_share = Gauge("selfreport_send_rate",
                                "This instance's share of SEND_RATE (messages/s)", registry=r)
        self.instances = Gauge("selfreport_instances_live",
                               "Bot instances with a recent heartbeat", registry=r)
        self.dispatcher: Dispatcher | None = None
        r.register(_SendsCollector(self))

    def update_processor(self, concurrency: int = 1) -> BaseUpdateProcessor:
        return _TimedProcessor(self, concurrency)

    async def count_error(self, update: object, context: Any) -> None:
        """An extra error handler: PTB calls every registered one."""
        self.errors.labels("handler").inc()

    async def refresh(self, db: Database, *, now: datetime, zone: str) -> None:
        """Read the database figures; a scrape should not fail because the database did."""
        try:
            async with db.transaction() as session:
                depth, oldest = (await session.execute(
                    select(func.count(), func.min(OutboxMessage.next_attempt_at))
                    .where(OutboxMessage.status == OutboxStatus.PENDING))).one()
                today = now.astimezone(ZoneInfo(zone)).date()
                reports = await session.scalar(
                    select(func.count()).select_from(Report).where(Report.report_date == today))
        except Exception:
            logger.warning("metrics: the database could not be read", exc_info=True)
            self.errors.labels("metrics").inc()
            return
        self.outbox_depth.set(depth)
        age = (now - oldest) if oldest is not None and oldest < now else timedelta(0)
        self.outbox_age.set(age.total_seconds())
        self.reports_today.set(reports or 0)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _TimedProcessor(BaseUpdateProcessor):
    """Times and counts each update. With `concurrency` > 1, updates of different chats run
    concurrently (a slow handler or database no longer holds up everyone), while one chat's
    updates still run one at a time, in order: a member's form steps never overtake each
    other. With 1 it is PTB's default, strictly one update at a time."""

    def __init__(self, metrics: Metrics, concurrency: int) -> None:
        super().__init__(concurrency)
        self._metrics = metrics
        self._chats: dict[int, tuple[asyncio.Lock, int]] = {}  # lock, updates holding it

    async def do_process_update(self, update: object,
                                coroutine: Awaitable[Any]) -> None:
        kind = update_kind(update)
        started = time.perf_counter()
        try:
            key = _chat_key(update) if self.max_concurrent_updates > 1 else None
            if key is None:
                await coroutine
            else:
                lock, users = self._chats.get(key) or (asyncio.Lock(), 0)
                self._chats[key] = (lock, users + 1)
                try:
                    async with lock:
                        await coroutine
                finally:
                    lock, users = self._chats[key]
                    if users > 1:
                        self._chats[key] = (lock, users - 1)
                    else:
                        del self._chats[key]
        finally:
            self._metrics.updates.labels(kind).inc()
            self._metrics.latency.labels(kind).observe(time.perf_counter() - started)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to tear down."""


def _chat_key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user is not None else None


class _SendsCollector(Collector):
    """The dispatcher's own counts (sent, blocked, failed, ...) as one labelled counter."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterable[Metric]:
        family = CounterMetricFamily("selfreport_sends", "Outbox sends by result",
                                     labels=["result"])
        dispatcher = self._metrics.dispatcher
        counts = dispatcher.stats.as_dict() if dispatcher is not None else {}
        for result in ("sent", "retried", "rate_limited", "blocked", "failed", "deferred",
                       "lost_leases"):
            family.add_metric([result], counts.get(result, 0))
        yield family
