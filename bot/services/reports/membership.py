"""Stand-in for membership history until branch `figures` lands (bot.services.members.history).

Members whose roster row is active and was created on or before `day`: what today's roster
says about a past day, without the moves and departures history would know.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Member


async def members_on(session: AsyncSession, unit_ids: Collection[int],
                     day: date) -> list[tuple[int, int]]:
    """(member_id, unit_id) of the active members of `unit_ids` created by the end of `day`."""
    if not unit_ids:
        return []
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)
    rows = await session.execute(select(Member.id, Member.unit_id).where(
        Member.active, Member.unit_id.in_(list(unit_ids)), Member.created_at < end))
    return [(int(m), int(u)) for m, u in rows.all()]
