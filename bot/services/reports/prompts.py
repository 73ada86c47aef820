"""What is due at an instant: the daily prompts and reminders, derived from the database.

One code path for the scheduler's minute job and for `selfreport tick --at ISO-TIME`. Nothing
is remembered between ticks: a unit inside its prompt window gets prompts for whoever has
none queued yet, so a tick that runs late, twice, or after a restart catches up, and the
outbox's dedup keys make a repeated insert a no-op. Work is a few set-based queries per
(local date, reminder slot), not a query per member.

Unlike other services this one renders (bot.render.prompts): outbox rows hold the finished
message, in each recipient's language, so that the dispatcher needs nothing else.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import String, and_, cast, exists, literal, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.db.models import (
    Account,
    Holiday,
    Leave,
    Member,
    OutboxMessage,
    OutboxStatus,
    Report,
    ReportStatus,
    Unit,
)
from bot.i18n import DEFAULT_LOCALE, resolve_locale, use_locale
from bot.outbox.queue import NewMessage, enqueue_many
from bot.render.prompts import prompt_payload, reminder_payload
from bot.services import purge
from bot.services.digest import alerts
from bot.services.digest.queue import KIND_DIGEST, queue_due_digests
from bot.services.duty import reminders as duty_tick
from bot.services.notices import broadcast as notices
from bot.services.outgoing import KIND_PROMPT, KIND_REMINDER
from bot.services.reports.schedule import Schedule, ScheduleError, all_schedules, parse_hhmm

logger = logging.getLogger(__name__)

# pg_try_advisory_xact_lock key: one tick at a time across instances sharing a database.
_TICK_LOCK = 7_301_925_001


def prompt_key(day: date, member_id: int) -> str:
    return f"{KIND_PROMPT}:{day.isoformat()}:{member_id}"


def reminder_key(day: date, slot: time, member_id: int) -> str:
    return f"{KIND_REMINDER}:{day.isoformat()}:{slot.strftime('%H:%M')}:{member_id}"


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


@dataclass(frozen=True)
class _Due:
    unit_id: int
    schedule: Schedule
    day: date
    local_time: time
    slot: time | None  # the latest reminder time reached, if any


async def run_tick(
    session: AsyncSession,
    *,
    now: datetime,
    default_timezone: str,
    default_locale: str = DEFAULT_LOCALE,
    alert_escalate: timedelta = timedelta(minutes=60),
    retention_days: int | None = None,
) -> TickResult:
    """Queue every prompt and reminder due at `now`, alerts that were missed and escalations
    that are due (after `alert_escalate` unhandled); returns what was queued."""
    if now.tzinfo is None:
        raise ValueError("run_tick needs an aware datetime")
    from bot.outbox.send import send  # moving to bot.runtime.tick, above services and render
    if not await _take_lock(session):
        logger.info("tick skipped: another instance is running it")
        return TickResult(skipped=True)
    due = await _due_units(session, now, default_timezone)
    result = TickResult()
    by_day: dict[date, list[_Due]] = defaultdict(list)
    by_slot: dict[tuple[date, time], list[_Due]] = defaultdict(list)
    for d in due:
        by_day[d.day].append(d)
        if d.slot is not None:
            by_slot[(d.day, d.slot)].append(d)
    for day, units in by_day.items():
        result.entries += await _prompts(session, day, units, now, default_locale)
    for (day, slot), units in by_slot.items():
        result.entries += await _reminders(session, day, slot, units, now, default_locale)
    digests = await queue_due_digests(session, now=now, default_timezone=default_timezone,
                                      default_locale=default_locale)
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
    if retention_days is not None:  # once a day (services.purge keeps the marker)
        await purge.daily_purge(session, now=now, retention_days=retention_days,
                                timezone=default_timezone)
    if result.total:
        logger.info("tick at %s queued %s", now.isoformat(), result.counts)
    return result


async def _take_lock(session: AsyncSession) -> bool:
    # SQLite needs none: the engine's BEGIN IMMEDIATE already makes writers take turns.
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(await session.scalar(
        text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _TICK_LOCK}))


async def _due_units(session: AsyncSession, now: datetime, default_timezone: str) -> list[_Due]:
    """Units inside their prompt window at `now` (local time), on a working day."""
    schedules = await all_schedules(session, default_timezone)
    due = []
    for unit_id, schedule in schedules.items():
        local = schedule.local(now)
        moment = local.time().replace(tzinfo=None)
        if not schedule.prompt <= moment < schedule.deadline:
            continue
        if schedule.skip_weekends and local.weekday() >= 5:
            continue
        reached = [r for r in schedule.reminders if schedule.prompt <= r <= moment]
        due.append(_Due(unit_id, schedule, local.date(), moment, max(reached, default=None)))
    if not due:
        return []
    # Holidays are set on a unit for its whole subtree: check each unit's ancestors.
    paths = dict((await session.execute(select(Unit.id, Unit.path).where(
        Unit.id.in_([d.unit_id for d in due])))).all())
    holidays = set((await session.execute(select(Holiday.unit_id, Holiday.day).where(
        Holiday.day.in_({d.day for d in due})))).all())
    if not holidays:
        return due
    return [d for d in due if not any(
        (int(a), d.day) in holidays for a in paths[d.unit_id].strip("/").split("/") if a)]


def _recipients(day: date, units: list[_Due]) -> Any:
    """Linked, active members of `units` without a report for `day`, not on leave, not
    blocked, with what rendering needs."""
    today, yesterday = aliased(Report), aliased(Report)
    return (
        select(Member.id, Member.name, Member.unit_id, Member.telegram_user_id,
               Member.quiet_start, Member.quiet_end,
               Account.chat_id, Account.locale, Account.language_code, yesterday.status)
        .outerjoin(Account, Account.telegram_user_id == Member.telegram_user_id)
        .outerjoin(today, and_(today.member_id == Member.id, today.report_date == day))
        .outerjoin(yesterday, and_(yesterday.member_id == Member.id,
                                   yesterday.report_date == day - timedelta(days=1)))
        .where(
            Member.unit_id.in_([u.unit_id for u in units]),
            Member.active,
            Member.telegram_user_id.is_not(None),
            today.id.is_(None),
            Account.blocked_at.is_(None),
            ~exists().where(Leave.member_id == Member.id, Leave.start_date <= day,
                            Leave.end_date >= day),
        )
    )


def _key_expr(prefix: str) -> Any:
    """The dedup key computed in SQL, so the lookup uses the key's unique index."""
    return literal(prefix, String) + cast(Member.id, String)


async def _prompts(session: AsyncSession, day: date, units: list[_Due], now: datetime,
                   default_locale: str) -> list[TickEntry]:
    queued_prompt = aliased(OutboxMessage)
    stmt = (
        _recipients(day, units)
        .outerjoin(queued_prompt,
                   queued_prompt.dedup_key == _key_expr(f"{KIND_PROMPT}:{day.isoformat()}:"))
        .where(queued_prompt.id.is_(None))
    )
    messages: list[tuple[int, NewMessage]] = []
    for row in (await session.execute(stmt)).all():
        with use_locale(resolve_locale(row.locale, row.language_code, default_locale)):
            payload = prompt_payload(name=row.name, day=day,
                                     offer_same=row.status == ReportStatus.ABNORMAL)
        messages.append((row.unit_id, NewMessage(
            prompt_key(day, row.id), KIND_PROMPT, row.chat_id or row.telegram_user_id,
            payload, member_id=row.id, report_date=day)))
    return await _queue(session, KIND_PROMPT, day, None, messages, now)


async def _reminders(session: AsyncSession, day: date, slot: time, units: list[_Due],
                     now: datetime, default_locale: str) -> list[TickEntry]:
    sent_prompt, queued_reminder = aliased(OutboxMessage), aliased(OutboxMessage)
    hhmm = slot.strftime("%H:%M")
    stmt = (
        _recipients(day, units)
        # No reminder before the prompt itself went out (a late start sends the prompt first).
        .join(sent_prompt, and_(
            sent_prompt.dedup_key == _key_expr(f"{KIND_PROMPT}:{day.isoformat()}:"),
            sent_prompt.status == OutboxStatus.SENT))
        .outerjoin(queued_reminder, queued_reminder.dedup_key == _key_expr(
            f"{KIND_REMINDER}:{day.isoformat()}:{hhmm}:"))
        .where(queued_reminder.id.is_(None))
    )
    by_unit = {u.unit_id: u for u in units}
    messages: list[tuple[int, NewMessage]] = []
    for row in (await session.execute(stmt)).all():
        unit = by_unit[row.unit_id]
        if in_quiet_hours(unit.local_time, row.quiet_start, row.quiet_end):
            continue  # a later tick sends it once the quiet hours end, if still due
        with use_locale(resolve_locale(row.locale, row.language_code, default_locale)):
            payload = reminder_payload(
                name=row.name, day=day, deadline=unit.schedule.at(day, unit.schedule.deadline),
                timezone=unit.schedule.timezone, offer_same=row.status == ReportStatus.ABNORMAL)
        messages.append((row.unit_id, NewMessage(
            reminder_key(day, slot, row.id), KIND_REMINDER, row.chat_id or row.telegram_user_id,
            payload, member_id=row.id, report_date=day)))
    return await _queue(session, KIND_REMINDER, day, slot, messages, now)


async def _queue(session: AsyncSession, kind: str, day: date, slot: time | None,
                 messages: list[tuple[int, NewMessage]], now: datetime) -> list[TickEntry]:
    if not messages:
        return []
    inserted = set(await enqueue_many(session, [m for _unit, m in messages], now=now))
    per_unit: Counter[int] = Counter(
        unit for unit, m in messages if m.dedup_key in inserted)
    return [TickEntry(kind, unit, day, slot, n) for unit, n in sorted(per_unit.items())]


def in_quiet_hours(moment: time, quiet_start: str | None, quiet_end: str | None) -> bool:
    """Inside [quiet_start, quiet_end) in unit time; the window may wrap midnight
    (22:00–07:00). Only one end set: quiet from quiet_start on, or until quiet_end."""
    try:
        start = parse_hhmm(quiet_start) if quiet_start else None
        end = parse_hhmm(quiet_end) if quiet_end else None
    except ScheduleError:
        return False  # a malformed setting must not silence reminders for good
    if start is None and end is None:
        return False
    if start is None:
        return moment < end  # type: ignore[operator]
    if end is None:
        return moment >= start
    if start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end
