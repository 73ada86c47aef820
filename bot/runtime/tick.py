"""The tick: everything that is due at an instant goes into the outbox, in one transaction.

One code path for the scheduler's minute job (bot.runtime.jobs) and for `selfreport tick
--at ISO-TIME`. The services say what is due — the daily prompts and reminders
(services.reports.prompts), digests, alerts and their escalations, scheduled notices, duty
reminders — and this sends it (bot.outbox.send) and counts what was queued; it also stores
the daily figures of the days whose reporting has closed (services.digest.fixing). Nothing is
remembered between ticks: a tick that runs late, twice, or after a restart catches up, and
the outbox's dedup keys make a repeated insert a no-op.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.locales import DEFAULT_LOCALE
from bot.outbox.send import send
from bot.services import purge
from bot.services.digest import alerts, fixing
from bot.services.digest.queue import KIND_DIGEST, queue_due_digests
from bot.services.duty import reminders as duty_tick
from bot.services.notices import broadcast as notices
from bot.services.reports import prompts
from bot.services.reports.prompts import DueBatch

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TickEntry:
    """Messages of one kind queued for one unit (and reminder slot) by a tick."""

    kind: str
    unit_id: int
    report_date: date
    slot: time | None
    count: int


@dataclass
class TickResult:
    entries: list[TickEntry] = field(default_factory=list)
    skipped: bool = False  # another instance was running the tick
    alerts: int = 0  # alerts queued, updated or escalated (services.digest.alerts)
    # notice copies queued for notices whose time came (services.notices.broadcast)
    notices: int = 0
    duty: int = 0  # duty reminders and unconfirmed-shift alerts (services.duty.reminders)

    @property
    def counts(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for entry in self.entries:
            counts[entry.kind] += entry.count
        if self.alerts:
            counts[alerts.KIND_ALERT] += self.alerts
        if self.notices:
            counts[notices.KIND_NOTICE] += self.notices
        if self.duty:
            counts["duty"] += self.duty
        return dict(counts)

    @property
    def total(self) -> int:
        return (sum(entry.count for entry in self.entries) + self.alerts + self.notices
                + self.duty)


async def run_tick(
    session: AsyncSession,
    *,
    now: datetime,
    default_timezone: str,
    default_locale: str = DEFAULT_LOCALE,
    alert_escalate: timedelta = timedelta(minutes=60),
    retention_days: int | None = None,
    admin_ids: Collection[int] = (),
) -> TickResult:
    """Queue every prompt and reminder due at `now`, alerts that were missed and escalations
    that are due (after `alert_escalate` unhandled); returns what was queued."""
    if now.tzinfo is None:
        raise ValueError("run_tick needs an aware datetime")
    if not await prompts.take_lock(session):
        logger.info("tick skipped: another instance is running it")
        return TickResult(skipped=True)
    result = TickResult()
    # Page by page (prompts.PAGE members): queued before the next page is read.
    prompted: dict[tuple[str, date, time | None], Counter[int]] = {}
    async for batch in prompts.due(session, now=now, default_timezone=default_timezone,
                                   default_locale=default_locale):
        per_unit = prompted.setdefault((batch.kind, batch.report_date, batch.slot), Counter())
        per_unit.update(await _send_batch(session, batch, now))
    result.entries = [TickEntry(kind, unit, day, slot, n)
                      for (kind, day, slot), per_unit in prompted.items()
                      for unit, n in sorted(per_unit.items())]
    # Yesterday's figures are fixed before the digests that show them are drawn.
    await fixing.fix_due(session, now=now, default_timezone=default_timezone)
    digests = await queue_due_digests(session, now=now, default_timezone=default_timezone,
                                      default_locale=default_locale, admin_ids=admin_ids)
    await send(session, digests.items, now=now)
    for queued in digests.queued:
        result.entries.append(TickEntry(KIND_DIGEST, queued.unit_id, queued.day, None,
                                        queued.recipients))
    result.alerts = len(await send(session, await alerts.scan(
        session, now=now, default_timezone=default_timezone, default_locale=default_locale),
        now=now))
    result.alerts += len(await send(session, await alerts.escalate_due(
        session, now=now, after=alert_escalate, default_timezone=default_timezone,
        default_locale=default_locale), now=now))
    # Scheduled notices; the bot's notice job does this every few seconds too (idempotent).
    result.notices = len(await send(session, await notices.queue_due(
        session, now=now, default_locale=default_locale), now=now))
    result.duty = len(await send(session, await duty_tick.due(
        session, now=now, default_timezone=default_timezone, default_locale=default_locale),
        now=now))
    await purge.drop_expired_drafts(session, now=now)  # half-filled forms hold health data
    if retention_days is not None:  # once a day (services.purge keeps the marker)
        await purge.daily_purge(session, now=now, retention_days=retention_days,
                                timezone=default_timezone)
    if result.total:
        logger.info("tick at %s queued %s", now.isoformat(), result.counts)
    return result


async def _send_batch(session: AsyncSession, batch: DueBatch, now: datetime) -> Counter[int]:
    """Queue a batch of prompts or reminders; how many were queued, per unit."""
    queued = set(await send(session, [item for _unit, item in batch.messages], now=now))
    return Counter(unit for unit, item in batch.messages if item.dedup_key in queued)
