"""Leaders' actions on their subtree: an extra reminder now (/remind), a report recorded on
a member's behalf (/report_for), and the Draft rows of their two-step forms.

Who may act on whom is services.org.permissions.Actor: a leader's own subtree, an admin's
whole organisation. Every action is audited. Messages to send come back as `Outgoing` items.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.db.models import (
    Account,
    AuditEntry,
    Holiday,
    Leave,
    Member,
    Report,
    ReportStatus,
    Unit,
)
from bot.locales import resolve_locale
from bot.services import drafts
from bot.services.digest import alerts
from bot.services.drafts import DraftKind
from bot.services.org import audit
from bot.services.org.permissions import Actor
from bot.services.outgoing import KIND_REMINDER, Outgoing
from bot.services.reports.answered import answered_prompts
from bot.services.reports.prompts import in_quiet_hours
from bot.services.reports.schedule import all_schedules, schedule_for
from bot.services.reports.store import (
    UNWELL,
    PersonHealth,
    ReportInput,
    save_report,
    well_input,
)

REMIND_EVERY = timedelta(hours=1)
DRAFT_TTL = timedelta(minutes=15)
CONTACT_DRAFT = DraftKind.CONTACT
REPORT_FOR_DRAFT = DraftKind.REPORT_FOR


def _scope_target(scope: Actor) -> str:
    return f"unit:{scope.root_unit_id}" if scope.root_unit_id is not None else "org"


async def timezone_of(session: AsyncSession, scope: Actor, default_timezone: str) -> str:
    """The time zone of the unit at the root of the scope (the organisation's for admins)."""
    unit = await session.get(Unit, scope.root_unit_id) if scope.root_unit_id is not None else None
    if unit is None:
        return default_timezone
    return (await schedule_for(session, unit, default_timezone)).timezone


# --- /remind -------------------------------------------------------------------------------


class RemindStatus(enum.StrEnum):
    SENT = "sent"
    TOO_SOON = "too_soon"  # see next_at
    NOBODY = "nobody"  # everyone due has reported (or nobody is due yet)


@dataclass(frozen=True)
class RemindResult:
    status: RemindStatus
    count: int = 0
    next_at: datetime | None = None
    items: tuple[Outgoing, ...] = field(default=(), compare=False)  # SENT: to send


@dataclass(frozen=True)
class ReminderView:
    """A reminder sent by /remind (drawn like the scheduled reminders)."""

    name: str
    day: date
    deadline: datetime
    timezone: str
    offer_same: bool  # yesterday's report was abnormal: offer "same as yesterday"


async def remind_now(session: AsyncSession, scope: Actor, *, now: datetime,
                     default_timezone: str, default_locale: str) -> RemindResult:
    """The reminders for the linked members of the scope who have not reported today (each
    in their unit's day, after its prompt time, on a working day, outside their quiet hours):
    a SENT result whose items the caller sends, then tells `reminded` how many went out.

    At most once per REMIND_EVERY per scope unit: the audit log is the record of the last
    one. Queued as reminders, so the dispatcher drops one whose member reports meanwhile.
    """
    target = _scope_target(scope)
    last = await session.scalar(
        select(AuditEntry.at).where(AuditEntry.action == "remind", AuditEntry.target == target,
                                    AuditEntry.at > now - REMIND_EVERY)
        .order_by(AuditEntry.at.desc()).limit(1))
    if last is not None:
        return RemindResult(RemindStatus.TOO_SOON, next_at=last + REMIND_EVERY)
    schedules = await all_schedules(session, default_timezone)
    paths = dict((await session.execute(select(Unit.id, Unit.path).where(Unit.active))).all())
    holidays = set((await session.execute(select(Holiday.unit_id, Holiday.day).where(
        Holiday.day >= now.date() - timedelta(days=1),
        Holiday.day <= now.date() + timedelta(days=1)))).all())
    due: dict[date, list[int]] = {}
    for unit_id, path in paths.items():
        if not scope.covers(path):
            continue
        schedule = schedules[unit_id]
        local = schedule.local(now)
        day = local.date()
        if local.time().replace(tzinfo=None) < schedule.prompt:
            continue
        if schedule.skip_weekends and day.weekday() >= 5:
            continue
        if any((int(a), day) in holidays for a in path.strip("/").split("/") if a):
            continue
        due.setdefault(day, []).append(unit_id)
    items: list[Outgoing] = []
    for day, unit_ids in due.items():
        for row in (await session.execute(_non_reporters(day, unit_ids))).all():
            schedule = schedules[row.unit_id]
            if in_quiet_hours(schedule.local(now).time().replace(tzinfo=None),
                              row.quiet_start, row.quiet_end):
                continue
            view = ReminderView(row.name, day, schedule.at(day, schedule.deadline),
                                schedule.timezone, row.status == ReportStatus.ABNORMAL)
            items.append(Outgoing(
                f"remind:{day.isoformat()}:{now:%Y%m%d%H}:{row.id}", KIND_REMINDER,
                row.chat_id or row.telegram_user_id,
                resolve_locale(row.locale, row.language_code, default_locale), view,
                member_id=row.id, report_date=day))
    return RemindResult(RemindStatus.SENT, len(items), items=tuple(items))


async def reminded(session: AsyncSession, scope: Actor, count: int, *,
                   now: datetime) -> RemindResult:
    """After sending `remind_now`'s items: `count` of them were new. Audited when any was."""
    target = _scope_target(scope)
    if count == 0:
        return RemindResult(RemindStatus.NOBODY)
    await audit.record(session, actor=scope.audit_name, actor_member_id=scope.member_id,
                       action="remind", now=now, target=target, details={"count": count})
    return RemindResult(RemindStatus.SENT, count)


def _non_reporters(day: date, unit_ids: list[int]) -> Any:
    today, yesterday = aliased(Report), aliased(Report)
    return (
        select(Member.id, Member.name, Member.unit_id, Member.telegram_user_id,
               Member.quiet_start, Member.quiet_end, Account.chat_id, Account.locale,
               Account.language_code, yesterday.status)
        .outerjoin(Account, Account.telegram_user_id == Member.telegram_user_id)
        .outerjoin(today, and_(today.member_id == Member.id, today.report_date == day))
        .outerjoin(yesterday, and_(yesterday.member_id == Member.id,
                                   yesterday.report_date == day - timedelta(days=1)))
        .where(Member.unit_id.in_(unit_ids), Member.active,
               Member.telegram_user_id.is_not(None), today.id.is_(None),
               Account.blocked_at.is_(None),
               ~exists().where(Leave.member_id == Member.id, Leave.start_date <= day,
                               Leave.end_date >= day)))


# --- /report_for ---------------------------------------------------------------------------


class ReportForStatus(enum.StrEnum):
    SAVED = "saved"
    UNCHANGED = "unchanged"  # the same report was already stored
    NOT_FOUND = "not_found"
    OUTSIDE_SCOPE = "outside_scope"


@dataclass(frozen=True)
class ReportForResult:
    status: ReportForStatus
    name: str = ""
    day: date | None = None
    abnormal: bool = False
    items: tuple[Outgoing, ...] = field(default=(), compare=False)  # the alert, to send


async def member_in_scope(session: AsyncSession, scope: Actor, member_id: int, *,
                          now: datetime) -> tuple[ReportForStatus | None, Member | None]:
    member = await session.get(Member, member_id)
    if member is None or not member.active:
        return ReportForStatus.NOT_FOUND, None
    unit = await session.get(Unit, member.unit_id)
    assert unit is not None
    if not scope.covers(unit):
        await audit.record(session, actor=scope.audit_name, actor_member_id=scope.member_id,
                           action="report_for_denied", now=now, target=f"member:{member.id}")
        return ReportForStatus.OUTSIDE_SCOPE, None
    return None, member


async def report_for(session: AsyncSession, scope: Actor, *, member_id: int, well: bool,
                     temperature: Decimal | None, now: datetime, default_timezone: str,
                     default_locale: str, note: str = "") -> ReportForResult:
    """Save today's report (the member's unit's today) for a member of the scope.

    "Unwell" is stored as what the leader gave: the temperature if measured, their words as
    the note, and UNWELL ("unwell, details not given") rather than a symptom nobody named;
    the report is abnormal whatever the temperature.
    """
    refusal, member = await member_in_scope(session, scope, member_id, now=now)
    if refusal is not None or member is None:
        return ReportForResult(refusal or ReportForStatus.NOT_FOUND)
    unit = await session.get(Unit, member.unit_id)
    assert unit is not None
    schedule = await schedule_for(session, unit, default_timezone)
    day = schedule.local_date(now)
    entry = await well_input(session, member)
    if not well:
        me = PersonHealth(None, "", member.name, temperature, (UNWELL,), note)
        entry = ReportInput((me, *entry.people[1:]))
    saved = await save_report(session, member=member, day=day, entry=entry, now=now,
                              default_timezone=default_timezone,
                              entered_by=scope.member_id)
    if not saved.changed:
        return ReportForResult(ReportForStatus.UNCHANGED, member.name, day, not well)
    await audit.record(session, actor=scope.audit_name, actor_member_id=scope.member_id,
                       action="report_for", now=now, target=f"member:{member.id}",
                       details={"report": saved.report.id, "revision": saved.report.revision})
    alert = await alerts.alert_report(session, report_id=saved.report.id, now=now,
                                      default_timezone=default_timezone,
                                      default_locale=default_locale)
    # The member's prompt and reminders of the day stop asking: the day is reported.
    answered = await answered_prompts(session, member=member, day=day, schedule=schedule,
                                      reported_at=now, default_locale=default_locale)
    return ReportForResult(ReportForStatus.SAVED, member.name, day, not well,
                           (*alert.items, *answered))


# --- drafts of the two-step forms ----------------------------------------------------------


async def put_draft(session: AsyncSession, telegram_user_id: int, kind: DraftKind,
                    data: dict[str, Any], now: datetime) -> None:
    """A one-step form: its step is its kind."""
    await drafts.put(session, telegram_user_id, kind=kind, step=kind, data=data, now=now,
                     ttl=DRAFT_TTL)


read_draft = drafts.current_data
drop_draft = drafts.drop
