"""What the duty roster needs at an instant, for the tick: the reminder the evening before
(19:00 unit time), the one an hour before the start, and the alert to the unit's chain when a
shift is still unconfirmed 30 minutes before it starts.

Like the daily prompts, everything is derived from the database at `now` and returned as
`Outgoing` items for the tick to queue, each under a dedup key,
`duty:<shift>:<evening|hour|alert>:<member>`: a late, repeated or restarted tick catches up
without sending anything twice. A reminder is due from its instant until the
next one (the evening one until an hour before, that one until the start); the alert until
the shift's start. Cancelled shifts get nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Member, OutboxMessage, Shift, Unit
from bot.services.duty.shifts import KIND_DUTY, KIND_DUTY_ALERT, duty_key, note_to, reach_many
from bot.services.org.recipients import chains_for
from bot.services.outgoing import Outgoing
from bot.services.reports.schedule import Schedule, all_schedules, parse_hhmm

EVENING = time(19, 0)
HOUR_BEFORE = timedelta(hours=1)
ALERT_BEFORE = timedelta(minutes=30)


@dataclass(frozen=True)
class DutyReminder:
    """To the member on the shift: the evening before, or an hour before (Confirm button
    unless confirmed)."""

    name: str
    post: str
    day: date
    start: str
    end: str
    shift_id: int
    evening: bool
    confirmed: bool


@dataclass(frozen=True)
class DutyAlert:
    """To the unit's chain: the shift starts in 30 minutes and is still unconfirmed."""

    member_name: str
    unit_name: str
    post: str
    day: date
    start: str
    end: str


@dataclass(frozen=True)
class _Instants:
    start: datetime
    evening: datetime
    hour: datetime
    alert: datetime


def instants(schedule: Schedule, day: date, start: str) -> _Instants:
    begin = schedule.at(day, parse_hhmm(start))
    return _Instants(begin, schedule.at(day - timedelta(days=1), EVENING),
                     begin - HOUR_BEFORE, begin - ALERT_BEFORE)


def _reminder_key(shift: Shift, evening: bool) -> str:
    return duty_key(shift.id, "evening" if evening else "hour", shift.member_id)


async def due(session: AsyncSession, *, now: datetime, default_timezone: str,
              default_locale: str) -> list[Outgoing]:
    """The duty reminders and alerts due at `now` (those not queued already, for reminders)."""
    first, last = (now - timedelta(days=1)).date(), (now + timedelta(days=2)).date()
    rows = (await session.execute(
        select(Shift, Unit.name, Member.name).join(Unit, Unit.id == Shift.unit_id)
        .join(Member, Member.id == Shift.member_id)
        .where(~Shift.cancelled, Shift.day >= first, Shift.day <= last, Member.active)
        .order_by(Shift.id))).all()
    if not rows:
        return []
    schedules = await all_schedules(session, default_timezone)
    due: list[tuple[Shift, str, str, bool]] = []  # shift, unit, member, evening
    alerts: list[tuple[Shift, str, str]] = []
    for shift, unit_name, member_name in rows:
        schedule = schedules.get(shift.unit_id)
        if schedule is None:
            continue
        at = instants(schedule, shift.day, shift.start)
        if not at.evening <= now < at.start:
            continue
        if at.alert <= now and shift.confirmed_at is None:
            alerts.append((shift, unit_name, member_name))
        evening = now < at.hour
        if evening or shift.confirmed_at is None:  # confirmed: the hour's would only repeat
            due.append((shift, unit_name, member_name, evening))
    # Most of these were queued by an earlier tick: look the keys up once, not each member.
    queued = set(await session.scalars(select(OutboxMessage.dedup_key).where(
        OutboxMessage.dedup_key.in_([_reminder_key(s, e) for s, _u, _m, e in due]))))
    due = [d for d in due if _reminder_key(d[0], d[3]) not in queued]
    recipients = await reach_many(session, (shift.member_id for shift, *_rest in due))
    messages: list[Outgoing] = []
    for shift, _unit, member_name, evening in due:
        recipient = recipients.get(shift.member_id)
        if recipient is None:
            continue
        view = DutyReminder(member_name, shift.post, shift.day, shift.start, shift.end,
                            shift.id, evening, shift.confirmed_at is not None)
        messages.append(note_to(recipient, _reminder_key(shift, evening), KIND_DUTY, view,
                                default_locale))
    if alerts:
        chains = await chains_for(session, {s.unit_id for s, _u, _m in alerts})
        for shift, unit_name, member_name in alerts:
            alert = DutyAlert(member_name, unit_name, shift.post, shift.day, shift.start,
                              shift.end)
            messages += [note_to(r, duty_key(shift.id, "alert", r.member_id), KIND_DUTY_ALERT,
                                 alert, default_locale)
                         for r in chains[shift.unit_id].recipients]
    return messages
