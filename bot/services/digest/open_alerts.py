"""Open alerts, for the digest and /status: alerts nobody has marked handled whose report is
still abnormal (services.digest.alerts raises and escalates them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Alert, Member, Report, ReportStatus, Unit
from bot.db.rows import core
from bot.services.org.permissions import planned_subtree_clause


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
        select(Alert.id, Alert.report_id, Report.member_id, Member.name, Report.unit_id,
               Report.report_date, Alert.level, Alert.created_at, Alert.escalated_at)
        .join(Report, Report.id == Alert.report_id)
        .join(Member, Member.id == Report.member_id)
        .where(Alert.handled_at.is_(None), Report.status == ReportStatus.ABNORMAL)
        .order_by(Alert.created_at, Alert.id))
    if unit_path is not None:
        stmt = stmt.join(Unit, Unit.id == Report.unit_id).where(
            planned_subtree_clause(Unit.path, unit_path))
    rows = await core(session, stmt, named=False)
    return [OpenAlert(*row) for row in rows]
