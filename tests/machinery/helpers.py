"""Seeding and reading the outbox for the machinery tests (units with schedules, linked
members, clocks: tests/support/builders.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Member, OutboxMessage, OutboxStatus, Report, ReportStatus
from tests.support.builders import (
    MONDAY,
    SATURDAY,
    SHANGHAI,
    at,
    running_clock,
    seed_members,
    seed_unit,
    started,
    zone_where_it_is,
)

__all__ = ["MONDAY", "SATURDAY", "SHANGHAI", "at", "running_clock", "seed_members", "seed_unit",
           "started", "zone_where_it_is"]


async def add_report(session: AsyncSession, member: Member, day: date,
                     status: ReportStatus = ReportStatus.OK) -> None:
    session.add(Report(member_id=member.id, unit_id=member.unit_id, report_date=day,
                       status=status))
    await session.flush()


async def outbox_rows(session: AsyncSession, kind: str | None = None) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind is not None:
        stmt = stmt.where(OutboxMessage.kind == kind)
    return list((await session.scalars(stmt)).all())


async def pretend_sent(session: AsyncSession, kind: str = "prompt", *,
                       now: datetime | None = None) -> None:
    """What the dispatcher would record: every pending row of `kind` is SENT."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.kind == kind, OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.SENT, sent_at=now or datetime.now(UTC))
    )


def members_of(rows: Sequence[OutboxMessage]) -> set[int]:
    return {r.member_id for r in rows if r.member_id is not None}
