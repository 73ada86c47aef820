"""What is due at an instant: the daily prompts and reminders, derived from the database.

One code path for the scheduler's minute job and for `selfreport tick --at ISO-TIME`
(bot.runtime.tick sends what this returns). Nothing is remembered between ticks: a unit
inside its prompt window gets prompts for whoever has none queued yet, so a tick that runs
late, twice, or after a restart catches up, and the outbox's dedup keys make a repeated
insert a no-op. Work is a few set-based queries per (local date, reminder slot), not a query
per member.

Each message is an `Outgoing` item whose view (`Prompt`, `Reminder`) bot.render.prompts
draws in the recipient's language.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial
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
from bot.locales import resolve_locale
from bot.services.outgoing import KIND_PROMPT, KIND_REMINDER, Outgoing
from bot.services.reports.schedule import Schedule, ScheduleError, all_schedules, parse_hhmm

# pg_try_advisory_xact_lock key: one tick at a time across instances sharing a database.
_TICK_LOCK = 7_301_925_001


def prompt_key(day: date, member_id: int) -> str:
    return f"{KIND_PROMPT}:{day.isoformat()}:{member_id}"


def reminder_key(day: date, slot: time, member_id: int) -> str:
    return f"{KIND_REMINDER}:{day.isoformat()}:{slot.strftime('%H:%M')}:{member_id}"


@dataclass(frozen=True)
class Prompt:
    """The daily question to one member. `offer_same` when their report for the day before
    was abnormal."""

    name: str
    day: date
    offer_same: bool


@dataclass(frozen=True)
class Reminder:
    """The reminder: the question again, with the deadline (an instant, shown in `timezone`)."""

    name: str
    day: date
    deadline: datetime
    timezone: str
    offer_same: bool


@dataclass(frozen=True)
class DueBatch:
    """The messages of one kind due for one date (and reminder slot), each with its member's
    unit, so that the tick can count what it queued per unit."""

    kind: str
    report_date: date
    slot: time | None
    messages: list[tuple[int, Outgoing]]


@dataclass(frozen=True)
class _Due:
    unit_id: int
    schedule: Schedule
    day: date
    local_time: time
    slot: time | None  # the latest reminder time reached, if any


# Members read, rendered and queued at a time: the day's first tick handles every member of
# the organisation, and holding them all (rows, views, payloads) cost ~2.2 KB a member.
PAGE = 2000


async def due(session: AsyncSession, *, now: datetime, default_timezone: str,
              default_locale: str, page: int = PAGE) -> AsyncIterator[DueBatch]:
    """Every prompt and reminder due at `now` and not queued yet, by date (and slot), in
    batches of at most `page` members (in member id order): queue each before asking for
    the next, and the tick's memory does not grow with the organisation."""
    units = await _due_units(session, now, default_timezone)
    by_day: dict[date, list[_Due]] = defaultdict(list)
    by_slot: dict[tuple[date, time], list[_Due]] = defaultdict(list)
    for d in units:
        by_day[d.day].append(d)
        if d.slot is not None:
            by_slot[(d.day, d.slot)].append(d)
    for day, day_units in by_day.items():
        async for batch in _pages(session, partial(_prompts, session, day, day_units,
                                                   default_locale), page):
            yield batch
    for (day, slot), slot_units in by_slot.items():
        async for batch in _pages(session, partial(_reminders, session, day, slot,
                                                   slot_units, default_locale), page):
            yield batch


async def _pages(session: AsyncSession,
                 read: Callable[[int, int], Awaitable[tuple[DueBatch, int | None]]],
                 page: int) -> AsyncIterator[DueBatch]:
    """`read(after, page)` from the first member on, a page at a time (by member id: a page
    the caller queued is left out of the next one's query anyway)."""
    after = 0
    while True:
        batch, last = await read(after, page)
        if batch.messages:
            yield batch
        if last is None:
            return
        after = last


async def take_lock(session: AsyncSession) -> bool:
    """Whether this tick may run: on PostgreSQL one instance at a time, for its transaction."""
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


def _page(stmt: Any, after: int, page: int) -> Any:
    return stmt.where(Member.id > after).order_by(Member.id).limit(page)


async def _prompts(session: AsyncSession, day: date, units: list[_Due], default_locale: str,
                   after: int, page: int) -> tuple[DueBatch, int | None]:
    """A page of the day's prompts (members after `after`), and the last member id read
    when the page was full."""
    queued_prompt = aliased(OutboxMessage)
    stmt = _page(
        _recipients(day, units)
        .outerjoin(queued_prompt,
                   queued_prompt.dedup_key == _key_expr(f"{KIND_PROMPT}:{day.isoformat()}:"))
        .where(queued_prompt.id.is_(None)), after, page)
    rows = (await session.execute(stmt)).all()
    messages = [
        (row.unit_id, _outgoing(row, prompt_key(day, row.id), KIND_PROMPT, day, default_locale,
                                Prompt(row.name, day, row.status == ReportStatus.ABNORMAL)))
        for row in rows]
    return DueBatch(KIND_PROMPT, day, None, messages), _last(rows, page)


async def _reminders(session: AsyncSession, day: date, slot: time, units: list[_Due],
                     default_locale: str, after: int,
                     page: int) -> tuple[DueBatch, int | None]:
    sent_prompt, queued_reminder = aliased(OutboxMessage), aliased(OutboxMessage)
    hhmm = slot.strftime("%H:%M")
    stmt = _page(
        _recipients(day, units)
        # No reminder before the prompt itself went out (a late start sends the prompt first).
        .join(sent_prompt, and_(
            sent_prompt.dedup_key == _key_expr(f"{KIND_PROMPT}:{day.isoformat()}:"),
            sent_prompt.status == OutboxStatus.SENT))
        .outerjoin(queued_reminder, queued_reminder.dedup_key == _key_expr(
            f"{KIND_REMINDER}:{day.isoformat()}:{hhmm}:"))
        .where(queued_reminder.id.is_(None)), after, page)
    by_unit = {u.unit_id: u for u in units}
    messages: list[tuple[int, Outgoing]] = []
    rows = (await session.execute(stmt)).all()
    for row in rows:
        unit = by_unit[row.unit_id]
        if in_quiet_hours(unit.local_time, row.quiet_start, row.quiet_end):
            continue  # a later tick sends it once the quiet hours end, if still due
        view = Reminder(row.name, day, unit.schedule.at(day, unit.schedule.deadline),
                        unit.schedule.timezone, row.status == ReportStatus.ABNORMAL)
        messages.append((row.unit_id, _outgoing(row, reminder_key(day, slot, row.id),
                                                KIND_REMINDER, day, default_locale, view)))
    return DueBatch(KIND_REMINDER, day, slot, messages), _last(rows, page)


def _last(rows: Sequence[Any], page: int) -> int | None:
    """The last member id of a full page (more may follow); None after the last page."""
    return int(rows[-1].id) if len(rows) >= page else None


def _outgoing(row: Any, key: str, kind: str, day: date, default_locale: str,
              view: Prompt | Reminder) -> Outgoing:
    return Outgoing(key, kind, row.chat_id or row.telegram_user_id,
                    resolve_locale(row.locale, row.language_code, default_locale), view,
                    member_id=row.id, report_date=day)


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
