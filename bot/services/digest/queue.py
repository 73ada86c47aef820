"""Queueing the daily digests: at each unit's digest time, its chain gets the text and chart.

Called by the tick every minute. A unit is due from its digest time until the end of its
local day, unless the day is a day off for it (no digest then: nobody was expected). Each
recipient gets two outbox rows, `digest:<date>:<unit>:<member>` (the text) and the same key
with `:chart` (the PNG, right after); a key already in the outbox is skipped, so a tick that
runs twice or late sends nothing twice. Only a unit's own chain receives its digest: a unit
whose chain is escalated to an ancestor's is covered by that ancestor's digest.

The texts of every due unit go in one go (the computation is a few aggregate queries for
the whole organisation); charts cost a fraction of a second each to draw, so a tick takes
the charts of as many units as fit `CHART_SECONDS_PER_TICK` and the next ticks catch up with
the rest. Nothing is rendered or queued here: `queue_due_digests` returns `Outgoing` items
(a `DigestText`, a `DigestChart` with the data bot.render.chart draws) for the caller to send
with bot.outbox.send.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import OutboxMessage
from bot.services.digest import queries as q
from bot.services.digest.compute import UnitDigest, compute_digests
from bot.services.digest.tree import schedules_of
from bot.services.org.recipients import Recipient, chains_for
from bot.services.outgoing import Outgoing
from bot.services.reports.schedule import Schedule

logger = logging.getLogger(__name__)

KIND_DIGEST = "digest"
KIND_DIGEST_CHART = "digest_chart"
# Charts take a fraction of a second each to draw: a tick takes this long's worth at most
# (reckoned at CHART_SECONDS_EACH a unit; at least one unit's a tick, so it progresses).
CHART_SECONDS_PER_TICK = 5.0
CHART_SECONDS_EACH = 0.05
_LOOKUP_CHUNK = 500


def digest_key(day: date, unit_id: int, member_id: int) -> str:
    return f"{KIND_DIGEST}:{day.isoformat()}:{unit_id}:{member_id}"


@dataclass(frozen=True)
class QueuedDigests:
    unit_id: int
    day: date
    recipients: int


@dataclass(frozen=True, eq=False)
class DigestText:
    """A unit's daily digest (bot.render.digest). One object for all of the unit's
    recipients who may act on it, one for those who may not (a contact who leads nothing:
    no buttons that would be refused): render draws each once per language (it compares
    and hashes by identity)."""

    digest: UnitDigest
    actions: bool = True


@dataclass(frozen=True)
class DigestChart:
    """A unit's trend chart (bot.render.chart): (day, rate or None, abnormal count) points."""

    unit_id: int
    unit_name: str
    day: date
    points: tuple[tuple[date, float | None, int], ...]


@dataclass(frozen=True)
class DueDigests:
    """The digests due: the units' texts and the charts of this tick, to send."""

    queued: list[QueuedDigests] = field(default_factory=list)
    items: list[Outgoing] = field(default_factory=list)


async def queue_due_digests(session: AsyncSession, *, now: datetime, default_timezone: str,
                            default_locale: str,
                            admin_ids: Collection[int] = ()) -> DueDigests:
    """The digests due at `now` that are not in the outbox yet (texts first)."""
    units = await q.load_units(session)
    schedules = schedules_of(units, default_timezone)
    due: dict[int, date] = {}
    for unit_id, schedule in schedules.items():
        local = schedule.local(now)
        if local.time().replace(tzinfo=None) >= schedule.digest:
            due[unit_id] = local.date()
    if not due:
        return DueDigests()
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
        return DueDigests()
    # Texts first (their ids, hence their turn, come before the charts'); charts within the
    # time budget, the rest in the next ticks: only the units of this tick's texts and charts
    # are computed, and only the charts' read the chart's days.
    budget = max(1, int(CHART_SECONDS_PER_TICK / CHART_SECONDS_EACH))
    drawn = list(charts.items())[:budget]
    digests = await compute_digests(session, now=now, default_timezone=default_timezone,
                                    unit_ids=sorted(texts.keys() | {u for u, _ in drawn}),
                                    charts=[unit_id for unit_id, _ in drawn])
    result = DueDigests()
    for unit_id, recipients in texts.items():
        result.items.extend(_items(digests[unit_id], recipients, default_locale, chart=False,
                                   admin_ids=admin_ids))
        result.queued.append(QueuedDigests(unit_id, digests[unit_id].day, len(recipients)))
    for unit_id, recipients in drawn:
        result.items.extend(_items(digests[unit_id], recipients, default_locale, chart=True))
    return result


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


def _items(digest: UnitDigest, recipients: list[Recipient], default_locale: str, *,
           chart: bool, admin_ids: Collection[int] = ()) -> list[Outgoing]:
    """The text (or the chart) for each recipient; the text's buttons only for those who may
    use them."""
    views: dict[bool, DigestText | DigestChart]
    if chart:
        only = DigestChart(digest.unit_id, digest.unit_name, digest.day,
                           tuple((d, f.rate, f.abnormal) for d, f in digest.history))
        views = {True: only, False: only}
    else:
        views = {True: DigestText(digest), False: DigestText(digest, actions=False)}
    items = []
    for r in recipients:
        key = digest_key(digest.day, digest.unit_id, r.member_id)
        items.append(Outgoing(
            f"{key}:chart" if chart else key, KIND_DIGEST_CHART if chart else KIND_DIGEST,
            r.chat_id, r.locale_or(default_locale),
            views[r.manages(digest.unit_path, admin_ids)], member_id=r.member_id,
            report_date=digest.day))
    return items
