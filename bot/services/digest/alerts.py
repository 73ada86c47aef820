"""Alerts: an abnormal report reaches its unit's reporting chain at once, through the outbox,
and goes up the tree while nobody marks it handled.

One Alert row per report (so once per member and day). Outbox dedup keys make every step
idempotent: `alert:<report>:<level>:<member>` for the alert at each escalation level,
`alert_update:<report>:<revision>:<member>` when an amendment changes what it said,
`alert_handled:<alert>:<member>` to tell the others someone handled it. The report handler
calls `alert_report` right after saving; the tick's `scan` catches any report whose call was
cut off, and sends an open alert raised while no chain existed anywhere (`reached` false) once
one does; `escalate_due` moves unhandled alerts up. Like services.reports.prompts this renders
(bot.render.alerts): outbox rows hold the finished message in each recipient's language.
"""

from __future__ import annotations

import enum
import hashlib
import json
import logging
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    Alert,
    HouseholdReport,
    Member,
    OutboxMessage,
    Report,
    ReportStatus,
    Role,
    Unit,
    UnitContact,
)
from bot.i18n import resolve_locale, use_locale
from bot.outbox.queue import NewMessage, enqueue_many
from bot.render import alerts as render
from bot.render.payloads import Payload
from bot.services.org import audit
from bot.services.org.contacts import Recipient, chain_recipients, recipients_by_ids
from bot.services.org.recipients import chains_for
from bot.services.org.units import unit_names
from bot.services.reports.schedule import schedule_for

logger = logging.getLogger(__name__)

KIND_ALERT = "alert"
# Reports this recent are scanned each tick for an alert that was never queued.
SCAN_DAYS = 2
_SCAN_LIMIT = 500
_ESCALATE_LIMIT = 200


def alert_key(report_id: int, level: int, member_id: int) -> str:
    return f"{KIND_ALERT}:{report_id}:{level}:{member_id}"


@dataclass(frozen=True)
class Person:
    relation: str | None  # None: the member themself
    name: str
    temperature: Decimal | None
    symptoms: tuple[str, ...]


@dataclass(frozen=True)
class AlertView:
    """What an alert says; rendered in each recipient's language by bot.render.alerts."""

    alert_id: int
    report_id: int
    member_name: str
    unit_names: tuple[str, ...]
    report_date: date
    abnormal: bool
    persons: tuple[Person, ...]
    contact_case: bool
    travel: bool
    isolation: bool
    reported_at: datetime
    timezone: str
    entered_by: str | None
    level: int
    handled_by: str | None = None
    handled_at: datetime | None = None

    def fingerprint(self) -> str:
        data = [self.abnormal, self.contact_case, self.travel, self.isolation,
                [[p.relation, p.name, str(p.temperature), list(p.symptoms)]
                 for p in self.persons]]
        return hashlib.sha256(json.dumps(data).encode()).hexdigest()


async def view_of(session: AsyncSession, alert: Alert, report: Report,
                  default_timezone: str) -> AlertView:
    member = await session.get(Member, report.member_id)
    unit = await session.get(Unit, report.unit_id)
    assert member is not None and unit is not None
    household = (await session.scalars(
        select(HouseholdReport).where(HouseholdReport.report_id == report.id)
        .order_by(HouseholdReport.id))).all()
    persons = [Person(None, member.name, report.temperature, tuple(report.symptoms or ()))]
    persons += [Person(h.relation, h.name, h.temperature, tuple(h.symptoms or ()))
                for h in household if h.temperature is not None or h.symptoms]
    entered_by = handled_by = None
    if report.entered_by is not None:
        leader = await session.get(Member, report.entered_by)
        entered_by = leader.name if leader else None
    if alert.handled_by is not None:
        handler = await session.get(Member, alert.handled_by)
        handled_by = handler.name if handler else None
    schedule = await schedule_for(session, unit, default_timezone)
    return AlertView(
        alert_id=alert.id, report_id=report.id, member_name=member.name,
        unit_names=tuple(await unit_names(session, unit)), report_date=report.report_date,
        abnormal=report.status is ReportStatus.ABNORMAL, persons=tuple(persons),
        contact_case=report.contact_case, travel=report.travel, isolation=report.isolation,
        reported_at=report.updated_at, timezone=schedule.timezone, entered_by=entered_by,
        level=alert.level, handled_by=handled_by, handled_at=alert.handled_at)


async def _queue(session: AsyncSession, recipients: Iterable[Recipient], key: str,
                 render_payload: Callable[[Recipient], Payload], now: datetime) -> int:
    """Render for each recipient in their language and queue under `key:<member>`."""
    messages = []
    for r in recipients:
        with use_locale(r.locale):
            payload = render_payload(r)
        messages.append(NewMessage(f"{key}:{r.member_id}", KIND_ALERT, r.chat_id, payload,
                                   member_id=r.member_id))
    return len(await enqueue_many(session, messages, now=now))


async def _alerted_members(session: AsyncSession, report_id: int) -> list[int]:
    """Who has been sent this report's alert, at any level, in order."""
    rows = await session.scalars(
        select(OutboxMessage.member_id).where(
            OutboxMessage.kind == KIND_ALERT,
            OutboxMessage.dedup_key.startswith(f"{KIND_ALERT}:{report_id}:", autoescape=True))
        .order_by(OutboxMessage.id))
    seen: dict[int, None] = {}
    for member_id in rows:
        if member_id is not None:
            seen.setdefault(member_id)
    return list(seen)


class AlertOutcome(enum.StrEnum):
    NONE = "none"
    ALERTED = "alerted"
    UPDATED = "updated"


@dataclass(frozen=True)
class AlertResult:
    outcome: AlertOutcome
    queued: int = 0  # messages put in the outbox


_NOTHING = AlertResult(AlertOutcome.NONE)


def _insert_alert(session: AsyncSession) -> object:
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(Alert)


async def alert_report(session: AsyncSession, *, report_id: int, now: datetime,
                       default_timezone: str, default_locale: str) -> AlertResult:
    """Alert the chain about this report if it is abnormal and was not alerted yet; send an
    update to those alerted if an amendment changed what the alert said. Idempotent."""
    report = await session.get(Report, report_id)
    if report is None:
        return _NOTHING
    alert = await session.scalar(select(Alert).where(Alert.report_id == report_id))
    if alert is None:
        if report.status is not ReportStatus.ABNORMAL:
            return _NOTHING
        return await _new_alert(session, report, now, default_timezone, default_locale)
    if alert.revision >= report.revision:
        return _NOTHING
    alert.revision = report.revision
    view = await view_of(session, alert, report, default_timezone)
    fingerprint = view.fingerprint()
    if fingerprint == alert.fingerprint:
        return _NOTHING
    alert.fingerprint = fingerprint
    recipients = await recipients_by_ids(session, await _alerted_members(session, report_id),
                                         default_locale)
    queued = await _queue(session, recipients, f"alert_update:{report_id}:{report.revision}",
                          lambda _r: render.alert_payload(view, update=True), now)
    logger.info("alert %s: update for revision %s queued", alert.id, report.revision)
    return AlertResult(AlertOutcome.UPDATED, queued)


async def _new_alert(session: AsyncSession, report: Report, now: datetime,
                     default_timezone: str, default_locale: str) -> AlertResult:
    unit = await session.get(Unit, report.unit_id)
    assert unit is not None
    reached, recipients = await chain_recipients(session, unit, default_locale)
    stmt = (_insert_alert(session)  # type: ignore[attr-defined]
            .values(report_id=report.id, unit_id=reached.id if reached else unit.id, level=0,
                    revision=report.revision, fingerprint="", top=reached is None,
                    reached=reached is not None, created_at=now, escalated_at=now)
            .on_conflict_do_nothing(index_elements=["report_id"])
            .returning(Alert.id))
    alert_id = await session.scalar(stmt)
    if alert_id is None:  # another transaction alerted it first
        return _NOTHING
    alert = await session.get(Alert, alert_id)
    assert alert is not None
    view = await view_of(session, alert, report, default_timezone)
    alert.fingerprint = view.fingerprint()
    queued = await _queue(session, recipients, f"{KIND_ALERT}:{report.id}:0",
                          lambda _r: render.alert_payload(view), now)
    logger.info("alert %s for report %s: %s recipient(s) in unit %s", alert.id, report.id,
                queued, alert.unit_id)
    return AlertResult(AlertOutcome.ALERTED, queued)


async def scan(session: AsyncSession, *, now: datetime, default_timezone: str,
               default_locale: str) -> int:
    """Alerts (or updates) for recent reports that should have one and have not: a report
    handler cut off between saving and alerting loses nothing. Returns the messages queued."""
    since = now.date() - timedelta(days=SCAN_DAYS)
    rows = await session.scalars(
        select(Report.id).outerjoin(Alert, Alert.report_id == Report.id)
        .where(Report.report_date >= since,
               or_(and_(Alert.id.is_(None), Report.status == ReportStatus.ABNORMAL),
                   Alert.revision < Report.revision))
        .order_by(Report.id).limit(_SCAN_LIMIT))
    done = 0
    for report_id in list(rows):
        result = await alert_report(session, report_id=report_id, now=now,
                                    default_timezone=default_timezone,
                                    default_locale=default_locale)
        done += result.queued
    return done + await _send_unreached(session, now, default_timezone, default_locale)


async def _send_unreached(session: AsyncSession, now: datetime, default_timezone: str,
                          default_locale: str) -> int:
    """Open alerts that reached nobody (no chain anywhere when they were raised) go to the
    chain of the report's unit as soon as there is one, as a first alert (level 0). The
    chains of all of them come from one lookup, so a tick with no chain anywhere stays cheap."""
    rows = (await session.execute(
        select(Alert, Report).join(Report, Report.id == Alert.report_id)
        .where(Alert.reached.is_(False), Alert.handled_at.is_(None),
               Report.status == ReportStatus.ABNORMAL)
        .order_by(Alert.id))).all()
    if not rows:
        return 0
    chains = await chains_for(session, {report.unit_id for _a, report in rows})
    due = [(alert, report, chain) for alert, report in rows
           if (chain := chains.get(report.unit_id)) and chain.source_unit_id is not None
           and chain.recipients]
    queued = 0
    for alert, report, chain in due[:_SCAN_LIMIT]:
        assert chain.source_unit_id is not None
        alert.reached, alert.top = True, False
        alert.unit_id, alert.escalated_at = chain.source_unit_id, now  # escalation starts now
        view = await view_of(session, alert, report, default_timezone)
        targets = [Recipient(r.member_id, r.name, r.chat_id,
                             resolve_locale(r.locale, r.language_code, default_locale))
                   for r in chain.recipients]
        queued += await _queue(session, targets, f"{KIND_ALERT}:{report.id}:{alert.level}",
                               partial(_alert_payload, view), now)
        logger.info("alert %s: a chain exists now, sent to unit %s", alert.id, alert.unit_id)
    return queued


async def escalate_due(session: AsyncSession, *, now: datetime, after: timedelta,
                       default_timezone: str, default_locale: str) -> int:
    """Alerts nobody handled within `after` of reaching a chain go to the next chain up;
    returns the messages queued."""
    rows = (await session.execute(
        select(Alert, Report).join(Report, Report.id == Alert.report_id)
        .where(Alert.handled_at.is_(None), Alert.top.is_(False),
               Alert.escalated_at <= now - after, Report.status == ReportStatus.ABNORMAL)
        .order_by(Alert.id).limit(_ESCALATE_LIMIT))).all()
    escalated = 0
    for alert, report in rows:
        unit = await session.get(Unit, alert.unit_id)
        parent = await session.get(Unit, unit.parent_id) if unit and unit.parent_id else None
        reached, recipients = ((None, []) if parent is None
                               else await chain_recipients(session, parent, default_locale))
        if reached is None:
            alert.top = True  # nobody above: it stays open for the digest to show
            continue
        already = set(await _alerted_members(session, report.id))
        alert.level += 1
        alert.unit_id = reached.id
        alert.escalated_at = now
        view = await view_of(session, alert, report, default_timezone)
        escalated += await _queue(session, [r for r in recipients if r.member_id not in already],
                     f"{KIND_ALERT}:{report.id}:{alert.level}",
                     partial(_alert_payload, view), now)
        logger.info("alert %s escalated to unit %s (level %s)", alert.id, reached.id,
                    alert.level)
    return escalated


def _alert_payload(view: AlertView, _recipient: Recipient) -> Payload:
    return render.alert_payload(view)


# --- handling ------------------------------------------------------------------------------


class HandleStatus(enum.StrEnum):
    HANDLED = "handled"
    ALREADY = "already"  # someone (maybe the same person) handled it before
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"


@dataclass(frozen=True)
class HandleResult:
    status: HandleStatus
    view: AlertView | None = None


async def may_handle(session: AsyncSession, member: Member | None, report: Report,
                     telegram_user_id: int, admin_ids: Collection[int]) -> bool:
    """Admins; whoever was sent the alert; contacts and leaders of the unit or above it."""
    if telegram_user_id in admin_ids:
        return True
    if member is None:
        return False
    if member.role is Role.ADMIN or member.id in await _alerted_members(session, report.id):
        return True
    unit = await session.get(Unit, report.unit_id)
    assert unit is not None
    ancestors = [int(p) for p in unit.path.strip("/").split("/") if p]
    contact = await session.scalar(select(UnitContact.id).where(
        UnitContact.member_id == member.id, UnitContact.unit_id.in_(ancestors)).limit(1))
    return contact is not None or (member.role is Role.LEADER and member.unit_id in ancestors)


async def mark_handled(session: AsyncSession, *, alert_id: int, telegram_user_id: int,
                       admin_ids: Collection[int], now: datetime, default_timezone: str,
                       default_locale: str) -> HandleResult:
    """Record who handled the alert and tell the others who were sent it."""
    alert = await session.get(Alert, alert_id, with_for_update=True)
    report = await session.get(Report, alert.report_id) if alert else None
    if alert is None or report is None:
        return HandleResult(HandleStatus.NOT_FOUND)
    member = await session.scalar(select(Member).where(
        Member.telegram_user_id == telegram_user_id, Member.active))
    if not await may_handle(session, member, report, telegram_user_id, admin_ids):
        await audit.record(session, actor=f"tg:{telegram_user_id}",
                           actor_member_id=member.id if member else None,
                           action="alert_denied", now=now, target=f"alert:{alert.id}")
        return HandleResult(HandleStatus.NOT_ALLOWED)
    if alert.handled_at is not None:
        return HandleResult(HandleStatus.ALREADY,
                            await view_of(session, alert, report, default_timezone))
    alert.handled_at = now
    alert.handled_by = member.id if member else None
    await audit.record(session, actor=f"tg:{telegram_user_id}",
                       actor_member_id=member.id if member else None, action="alert_handled",
                       now=now, target=f"alert:{alert.id}", details={"report": report.id})
    view = await view_of(session, alert, report, default_timezone)
    others = [m for m in await _alerted_members(session, report.id)
              if member is None or m != member.id]
    await _queue(session, await recipients_by_ids(session, others, default_locale),
                 f"alert_handled:{alert.id}", lambda _r: render.handled_notice_payload(view),
                 now)
    return HandleResult(HandleStatus.HANDLED, view)


# --- open alerts (for the digest and /status) ----------------------------------------------


@dataclass(frozen=True)
class OpenAlert:
    alert_id: int
    report_id: int
    member_id: int
    member_name: str
    unit_id: int
    report_date: date
    level: int
    created_at: datetime
    escalated_at: datetime


async def open_alerts(session: AsyncSession, unit_path: str | None) -> list[OpenAlert]:
    """Alerts about reports made in the subtree at `unit_path` (None: the whole organisation)
    that nobody has handled and whose report is still abnormal, oldest first. One query, so
    the digests of every unit share it."""
    stmt = (
        select(Alert, Report.member_id, Member.name, Report.unit_id, Report.report_date)
        .join(Report, Report.id == Alert.report_id)
        .join(Member, Member.id == Report.member_id)
        .where(Alert.handled_at.is_(None), Report.status == ReportStatus.ABNORMAL)
        .order_by(Alert.created_at, Alert.id))
    if unit_path is not None:
        stmt = stmt.join(Unit, Unit.id == Report.unit_id).where(
            Unit.path.startswith(unit_path, autoescape=True))
    rows = await session.execute(stmt)
    return [OpenAlert(a.id, a.report_id, member_id, name, unit_id, day, a.level, a.created_at,
                      a.escalated_at) for a, member_id, name, unit_id, day in rows.all()]
