"""Retention: reports older than RETENTION_DAYS go, with their household rows, revisions and
alerts, and so do finished outbox rows (their payloads carry the same health details) and
members' questions with their answers (free text about themselves), and the record of a
member's past stay in a unit once it ended before the period (who belonged where on a day no
report is kept for). The stored daily figures stay: counts per unit, never a person. Forms
nobody finished
(drafts: a half-filled report holds a temperature, symptoms and a note) go an hour after
they expired, at every tick.

`selfreport purge` runs it on demand; the tick runs it once a day. The day's audit entry is
the marker: the tick runs under the tick lock (an advisory lock on PostgreSQL, BEGIN
IMMEDIATE on SQLite), so two instances never both find "not yet today".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    Alert,
    AuditEntry,
    Draft,
    FaqAddition,
    HouseholdReport,
    Membership,
    NoticeRecipient,
    OutboxMessage,
    OutboxStatus,
    Question,
    Report,
    ReportRevision,
    UnitDayReports,
)
from bot.services.notices.broadcast import key_expr
from bot.services.org import audit

logger = logging.getLogger(__name__)

ACTION = "purge"
DRAFT_GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class PurgeResult:
    cutoff: date  # reports dated before this went
    reports: int
    household_reports: int
    revisions: int
    alerts: int
    outbox: int
    questions: int
    memberships: int
    drafts: int
    dry_run: bool

    @property
    def total(self) -> int:
        return self.reports + self.household_reports + self.revisions + self.alerts + \
            self.outbox + self.questions + self.memberships + self.drafts


def cutoff_for(now: datetime, retention_days: int, timezone: str) -> date:
    """The first report date kept: `retention_days` local days back from today."""
    return now.astimezone(ZoneInfo(timezone)).date() - timedelta(days=retention_days)


async def _count(session: AsyncSession, stmt: object) -> int:
    return int(await session.scalar(stmt) or 0)  # type: ignore[call-overload]


async def purge(session: AsyncSession, *, now: datetime, retention_days: int, timezone: str,
                dry_run: bool = False, actor: str = "cli") -> PurgeResult:
    """Delete (or on a dry run count) what is older than the retention period; audited."""
    cutoff = cutoff_for(now, retention_days, timezone)
    old_reports = select(Report.id).where(Report.report_date < cutoff)
    old_outbox = (OutboxMessage.status != OutboxStatus.PENDING,
                  OutboxMessage.created_at < now - timedelta(days=retention_days))
    old_questions = Question.created_at < now - timedelta(days=retention_days)
    counts = {
        "reports": await _count(session, select(func.count()).select_from(Report)
                                .where(Report.report_date < cutoff)),
        "household_reports": await _count(session, select(func.count()).select_from(
            HouseholdReport).where(HouseholdReport.report_id.in_(old_reports))),
        "revisions": await _count(session, select(func.count()).select_from(
            ReportRevision).where(ReportRevision.report_id.in_(old_reports))),
        "alerts": await _count(session, select(func.count()).select_from(Alert)
                               .where(Alert.report_id.in_(old_reports))),
        "outbox": await _count(session, select(func.count()).select_from(OutboxMessage)
                               .where(*old_outbox)),
        "questions": await _count(session, select(func.count()).select_from(Question)
                                  .where(old_questions)),
        "memberships": await _count(session, select(func.count()).select_from(Membership)
                                    .where(Membership.end_day < cutoff)),
        "drafts": await _count(session, select(func.count()).select_from(Draft)
                               .where(Draft.expires_at < now - DRAFT_GRACE)),
    }
    if not dry_run:
        # Children first: SQLite enforces ON DELETE CASCADE only with foreign keys on.
        await session.execute(delete(HouseholdReport).where(
            HouseholdReport.report_id.in_(old_reports)))
        await session.execute(delete(ReportRevision).where(
            ReportRevision.report_id.in_(old_reports)))
        await session.execute(delete(Alert).where(Alert.report_id.in_(old_reports)))
        await keep_notice_outcomes(session, old_outbox)
        await session.execute(delete(OutboxMessage).where(*old_outbox))
        await session.execute(delete(Report).where(Report.report_date < cutoff))
        # The counts of those days (their triggers took them to nought): no rows left behind.
        await session.execute(delete(UnitDayReports).where(UnitDayReports.day < cutoff))
        await session.execute(update(FaqAddition).where(FaqAddition.from_question_id.in_(
            select(Question.id).where(old_questions))).values(from_question_id=None))
        await session.execute(delete(Question).where(old_questions))
        await session.execute(delete(Membership).where(Membership.end_day < cutoff))
        await drop_expired_drafts(session, now=now)
        await audit.record(session, actor=actor, action=ACTION, now=now,
                           target=f"day:{now.astimezone(ZoneInfo(timezone)).date()}",
                           details={"cutoff": cutoff.isoformat(), **counts})
        logger.info("purge before %s: %s", cutoff.isoformat(), counts)
    return PurgeResult(cutoff=cutoff, dry_run=dry_run, **counts)


async def keep_notice_outcomes(session: AsyncSession, old_outbox: tuple[Any, ...]) -> None:
    """Before notice copies' outbox rows go, each recipient keeps its copy's outcome."""
    copy = OutboxMessage.dedup_key == key_expr(NoticeRecipient.notice_id)
    await session.execute(
        update(NoticeRecipient)
        .where(NoticeRecipient.delivery.is_(None), exists().where(copy, *old_outbox))
        .values(delivery=select(OutboxMessage.status).where(copy, *old_outbox)
                .scalar_subquery()))


async def drop_expired_drafts(session: AsyncSession, *, now: datetime) -> int:
    """Forms expired more than DRAFT_GRACE ago (the tick, every minute): until then a late
    answer is still told that its form expired, rather than taken for a question."""
    result = await session.execute(delete(Draft).where(Draft.expires_at < now - DRAFT_GRACE))
    return int(getattr(result, "rowcount", 0) or 0)


async def purged_today(session: AsyncSession, *, now: datetime, timezone: str) -> bool:
    day = now.astimezone(ZoneInfo(timezone)).date()
    return await session.scalar(select(AuditEntry.id).where(
        AuditEntry.action == ACTION, AuditEntry.target == f"day:{day}").limit(1)) is not None


async def daily_purge(session: AsyncSession, *, now: datetime, retention_days: int,
                      timezone: str) -> PurgeResult | None:
    """The tick's once-a-day purge: None when today's has already run (here or elsewhere)."""
    if await purged_today(session, now=now, timezone=timezone):
        return None
    return await purge(session, now=now, retention_days=retention_days, timezone=timezone,
                       actor="tick")
