"""Alerts: an abnormal report reaches its unit's reporting chain at once, through the outbox,
and goes up the tree while nobody marks it handled.

One Alert row per report (so once per member and day). Outbox dedup keys make every step
idempotent: `alert:<report>:<level>:<member>` for the alert at each escalation level,
`alert_update:<report>:<revision>:<member>` when an amendment changes what it said,
`alert_handled:<alert>:<member>` to tell the others someone handled it. The report handler
calls `alert_report` right after saving; the tick's `scan` catches any report whose call was
cut off, and sends an open alert raised while no chain existed anywhere (`reached` false) once
one does; `escalate_due` moves unhandled alerts up. None of them sends anything: each returns
the messages to send as `Outgoing` items (an `AlertView`, `AlertUpdate` or `HandledNotice`,
drawn by bot.render.alerts in each recipient's language), which the caller sends with
bot.outbox.send in the same transaction.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Alert, OutboxMessage, Report, ReportStatus, Unit
from bot.services.digest.alert_view import AlertView, view_of
from bot.services.org import audit
from bot.services.org.contacts import Recipient, chain_recipients, recipients_by_ids
from bot.services.org.permissions import Actor
from bot.services.org.recipients import chains_for
from bot.services.outgoing import Outgoing
from bot.services.reports.store import SaveResult

logger = logging.getLogger(__name__)

KIND_ALERT = "alert"
# Reports this recent are scanned each tick for an alert that was never queued.
SCAN_DAYS = 2
_SCAN_LIMIT = 500
_ESCALATE_LIMIT = 200


def alert_key(report_id: int, level: int, member_id: int) -> str:
    return f"{KIND_ALERT}:{report_id}:{level}:{member_id}"


@dataclass(frozen=True)
class AlertUpdate:
    """An amendment changed what the alert said: sent to those who were alerted."""

    view: AlertView


@dataclass(frozen=True)
class HandledNotice:
    """Someone handled the alert: sent to the others who were alerted."""

    view: AlertView


def _items(recipients: Iterable[Recipient], key: str, view: object) -> list[Outgoing]:
    """The view for each recipient, in their language, queued once under `key:<member>`."""
    return [Outgoing(f"{key}:{r.member_id}", KIND_ALERT, r.chat_id, r.locale, view,
                     member_id=r.member_id) for r in recipients]


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
    messages: int = 0  # how many `items` holds
    items: tuple[Outgoing, ...] = field(default=(), compare=False)  # to send
    # The names of those told (for the member: "your leader … is being told").
    told: tuple[str, ...] = field(default=(), compare=False)


_NOTHING = AlertResult(AlertOutcome.NONE)


def _result(outcome: AlertOutcome, items: list[Outgoing],
            recipients: Iterable[Recipient] = ()) -> AlertResult:
    return AlertResult(outcome, len(items), tuple(items), tuple(r.name for r in recipients))


def needs_check(saved: SaveResult | None) -> bool:
    """Whether a report just saved may need an alert (or an update): not when nothing changed,
    nor for a report stored just now that is well (alerts are raised for abnormal reports
    only: the check would find nothing)."""
    if saved is None or not saved.changed:
        return False
    return not saved.created or saved.report.status is ReportStatus.ABNORMAL


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
    view = await view_of(session, alert, report, default_timezone, with_changes=True)
    alert.revision = report.revision
    fingerprint = view.fingerprint()
    if fingerprint == alert.fingerprint:
        return _NOTHING
    alert.fingerprint = fingerprint
    recipients = await recipients_by_ids(session, await _alerted_members(session, report_id),
                                         default_locale)
    items = _items(recipients, f"alert_update:{report_id}:{report.revision}", AlertUpdate(view))
    logger.info("alert %s: update for revision %s", alert.id, report.revision)
    return _result(AlertOutcome.UPDATED, items, recipients)


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
    items = _items(recipients, f"{KIND_ALERT}:{report.id}:0", view)
    logger.info("alert %s for report %s: %s recipient(s) in unit %s", alert.id, report.id,
                len(items), alert.unit_id)
    return _result(AlertOutcome.ALERTED, items, recipients)


async def scan(session: AsyncSession, *, now: datetime, default_timezone: str,
               default_locale: str) -> list[Outgoing]:
    """Alerts (or updates) for recent reports that should have one and have not: a report
    handler cut off between saving and alerting loses nothing. Returns the messages."""
    since = now.date() - timedelta(days=SCAN_DAYS)
    rows = await session.scalars(
        select(Report.id).outerjoin(Alert, Alert.report_id == Report.id)
        .where(Report.report_date >= since,
               or_(and_(Alert.id.is_(None), Report.status == ReportStatus.ABNORMAL),
                   Alert.revision < Report.revision))
        .order_by(Report.id).limit(_SCAN_LIMIT))
    items: list[Outgoing] = []
    for report_id in list(rows):
        result = await alert_report(session, report_id=report_id, now=now,
                                    default_timezone=default_timezone,
                                    default_locale=default_locale)
        items += result.items
    return items + await _unreached(session, now, default_timezone, default_locale)


async def _unreached(session: AsyncSession, now: datetime, default_timezone: str,
                     default_locale: str) -> list[Outgoing]:
    """Open alerts that reached nobody (no chain anywhere when they were raised) go to the
    chain of the report's unit as soon as there is one, as a first alert (level 0). The
    chains of all of them come from one lookup, so a tick with no chain anywhere stays cheap."""
    rows = (await session.execute(
        select(Alert, Report).join(Report, Report.id == Alert.report_id)
        .where(Alert.reached.is_(False), Alert.handled_at.is_(None),
               Report.status == ReportStatus.ABNORMAL)
        .order_by(Alert.id))).all()
    if not rows:
        return []
    chains = await chains_for(session, {report.unit_id for _a, report in rows})
    due = [(alert, report, chain) for alert, report in rows
           if (chain := chains.get(report.unit_id)) and chain.source_unit_id is not None
           and chain.recipients]
    items: list[Outgoing] = []
    for alert, report, chain in due[:_SCAN_LIMIT]:
        assert chain.source_unit_id is not None
        alert.reached, alert.top = True, False
        alert.unit_id, alert.escalated_at = chain.source_unit_id, now  # escalation starts now
        view = await view_of(session, alert, report, default_timezone)
        targets = [Recipient(r.member_id, r.name, r.chat_id, r.locale_or(default_locale))
                   for r in chain.recipients]
        items += _items(targets, f"{KIND_ALERT}:{report.id}:{alert.level}", view)
        logger.info("alert %s: a chain exists now, sent to unit %s", alert.id, alert.unit_id)
    return items


async def escalate_due(session: AsyncSession, *, now: datetime, after: timedelta,
                       default_timezone: str, default_locale: str) -> list[Outgoing]:
    """Alerts nobody handled within `after` of reaching a chain go to the next chain up;
    returns the messages."""
    rows = (await session.execute(
        select(Alert, Report).join(Report, Report.id == Alert.report_id)
        .where(Alert.handled_at.is_(None), Alert.top.is_(False),
               Alert.escalated_at <= now - after, Report.status == ReportStatus.ABNORMAL)
        .order_by(Alert.id).limit(_ESCALATE_LIMIT))).all()
    items: list[Outgoing] = []
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
        items += _items([r for r in recipients if r.member_id not in already],
                        f"{KIND_ALERT}:{report.id}:{alert.level}", view)
        logger.info("alert %s escalated to unit %s (level %s)", alert.id, reached.id,
                    alert.level)
    return items


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
    items: tuple[Outgoing, ...] = ()  # the notice to the others, to send


async def may_handle(session: AsyncSession, actor: Actor, report: Report) -> bool:
    """Admins; whoever was sent the alert; contacts and leaders of the unit or above it."""
    if actor.is_admin:
        return True
    if actor.member_id is None:
        return False
    if actor.member_id in await _alerted_members(session, report.id):
        return True
    unit = await session.get(Unit, report.unit_id)
    assert unit is not None
    return actor.answers_for(unit)


async def mark_handled(session: AsyncSession, *, alert_id: int, actor: Actor, now: datetime,
                       default_timezone: str, default_locale: str) -> HandleResult:
    """Record who handled the alert; the notice to the others who were sent it, to send."""
    alert = await session.get(Alert, alert_id, with_for_update=True)
    report = await session.get(Report, alert.report_id) if alert else None
    if alert is None or report is None:
        return HandleResult(HandleStatus.NOT_FOUND)
    if not await may_handle(session, actor, report):
        await audit.record(session, actor=actor.audit_name, actor_member_id=actor.member_id,
                           action="alert_denied", now=now, target=f"alert:{alert.id}")
        return HandleResult(HandleStatus.NOT_ALLOWED)
    if alert.handled_at is not None:
        return HandleResult(HandleStatus.ALREADY,
                            await view_of(session, alert, report, default_timezone))
    alert.handled_at = now
    alert.handled_by = actor.member_id
    await audit.record(session, actor=actor.audit_name, actor_member_id=actor.member_id,
                       action="alert_handled", now=now, target=f"alert:{alert.id}",
                       details={"report": report.id})
    view = await view_of(session, alert, report, default_timezone)
    others = [m for m in await _alerted_members(session, report.id) if m != actor.member_id]
    items = _items(await recipients_by_ids(session, others, default_locale),
                   f"alert_handled:{alert.id}", HandledNotice(view))
    return HandleResult(HandleStatus.HANDLED, view, tuple(items))
