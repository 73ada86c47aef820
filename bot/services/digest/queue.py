"""Queueing the daily digests: at each unit's digest time, its chain gets the text and chart.

Called by the tick every minute. A unit is due from its digest time until the end of its
local day, unless the day is a day off for it (no digest then: nobody was expected). Each
recipient gets two outbox rows, `digest:<date>:<unit>:<member>` (the text) and the same key
with `:chart` (the PNG, right after); a key already in the outbox is skipped, so a tick that
runs twice or late sends nothing twice. Only a unit's own chain receives its digest: a unit
whose chain is escalated to an ancestor's is covered by that ancestor's digest.

The texts of every due unit are queued in one go (the computation is a few aggregate queries
for the whole organisation); charts cost a fraction of a second each, so a tick renders them
for at most `CHART_SECONDS_PER_TICK` and the next ticks catch up with the rest.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import OutboxMessage
from bot.i18n import resolve_locale, use_locale
from bot.outbox.queue import NewMessage, enqueue_many
from bot.render.chart import chart_caption, trend_chart
from bot.render.digest import digest_text
from bot.render.payloads import file_spec, message_payload, photo_payload
from bot.services.digest import queries as q
from bot.services.digest.compute import UnitDigest, compute_digests
from bot.services.org.recipients import Recipient, chains_for
from bot.services.reports.schedule import Schedule

logger = logging.getLogger(__name__)

KIND_DIGEST = "digest"
KIND_DIGEST_CHART = "digest_chart"
# Charts take a fraction of a second each: a tick renders them for this long at most.
CHART_SECONDS_PER_TICK = 5.0
_LOOKUP_CHUNK = 500


def digest_key(day: date, unit_id: int, member_id: int) -> str:
    return f"{KIND_DIGEST}:{day.isoformat()}:{unit_id}:{member_id}"


@dataclass(frozen=True)
class QueuedDigests:
    unit_id: int
    day: date
    recipients: int


async def queue_due_digests(session: AsyncSession, *, now: datetime, default_timezone: str,
                            default_locale: str) -> list[QueuedDigests]:
    """Queue the digests due at `now` that are not queued yet; returns what was queued."""
    units = await q.load_units(session)
    schedules = q.resolve_schedules(units, default_timezone)
    due: dict[int, date] = {}
    for unit_id, schedule in schedules.items():
        local = schedule.local(now)
        if local.time().replace(tzinfo=None) >= schedule.digest:
            due[unit_id] = local.date()
    if not due:
        return []
    holidays = await q.holidays(session, min(due.values()), max(due.values()))
    paths = {u.id: u.path for u in units}
    due = {u: d for u, d in due.items() if not _day_off(u, d, paths, schedules, holidays)}
    chains = await chains_for(session, list(due))
    own = {u: c for u, c in sorted(chains.items()) if not c.escalated}
    wanted = [digest_key(due[u], u, r.member_id) for u, c in own.items() for r in c.recipients]
    existing = await _queued_keys(session, [*wanted, *(f"{k}:chart" for k in wanted)])
    texts: dict[int, list[Recipient]] = {}
    charts: dict[int, list[Recipient]] = {}
    for unit_id, chain in own.items():
        keys = {r: digest_key(due[unit_id], unit_id, r.member_id) for r in chain.recipients}
        if todo := [r for r in chain.recipients if keys[r] not in existing]:
            texts[unit_id] = todo
        if todo := [r for r in chain.recipients if f"{keys[r]}:chart" not in existing]:
            charts[unit_id] = todo
    if not texts and not charts:
        return []
    digests = await compute_digests(session, now=now, default_timezone=default_timezone,
                                    unit_ids=sorted(texts.keys() | charts.keys()))
    queued = []
    for unit_id, recipients in texts.items():
        inserted = await enqueue_many(
            session, _messages(digests[unit_id], recipients, default_locale, chart=False),
            now=now)
        if inserted:
            queued.append(QueuedDigests(unit_id, digests[unit_id].day, len(inserted)))
    # Texts first (their ids, hence their turn, come before the charts'); charts within the
    # time budget, the rest in the next ticks. At least one per tick, so it always progresses.
    started = time.monotonic()
    for unit_id, recipients in charts.items():
        await enqueue_many(
            session, _messages(digests[unit_id], recipients, default_locale, chart=True),
            now=now)
        if time.monotonic() - started > CHART_SECONDS_PER_TICK:
            break
    return queued


def _day_off(unit_id: int, day: date, paths: dict[int, str], schedules: dict[int, Schedule],
             holidays: set[tuple[int, date]]) -> bool:
    if schedules[unit_id].skip_weekends and day.weekday() >= 5:
        return True
    return any((int(a), day) in holidays for a in paths[unit_id].strip("/").split("/") if a)


async def _queued_keys(session: AsyncSession, keys: list[str]) -> set[str]:
    """Which of `keys` are in the outbox: lookups on its unique index, in chunks (a prefix
    range would depend on the database's collation)."""
    found: set[str] = set()
    for i in range(0, len(keys), _LOOKUP_CHUNK):
        found.update(await session.scalars(select(OutboxMessage.dedup_key).where(
            OutboxMessage.dedup_key.in_(keys[i:i + _LOOKUP_CHUNK]))))
    return found


def _messages(digest: UnitDigest, recipients: list[Recipient], default_locale: str, *,
              chart: bool) -> list[NewMessage]:
    """The text (or the chart) for each recipient, rendered once per language."""
    by_locale: dict[str, list[Recipient]] = defaultdict(list)
    for r in recipients:
        by_locale[resolve_locale(r.locale, r.language_code, default_locale)].append(r)
    messages = []
    for locale, group in by_locale.items():
        with use_locale(locale):
            if chart:
                png = trend_chart([(d, f.rate, f.abnormal) for d, f in digest.history])
                payload = photo_payload(
                    file_spec(data=png, filename=f"digest-{digest.unit_id}-{digest.day}.png"),
                    caption=chart_caption(digest.unit_name))
            else:
                payload = message_payload(digest_text(digest))
        for r in group:
            key = digest_key(digest.day, digest.unit_id, r.member_id)
            messages.append(NewMessage(
                f"{key}:chart" if chart else key, KIND_DIGEST_CHART if chart else KIND_DIGEST,
                r.chat_id, payload, member_id=r.member_id, report_date=digest.day))
    return messages
