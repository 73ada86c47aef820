"""Helpful / not helpful votes on knowledge-base answers, and the counts /faq_stats shows.

One vote per user, entry and day: the unique key of faq_votes makes a second tap a no-op, and
only a vote that was inserted moves the counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import FaqFeedback, FaqVote


async def vote(session: AsyncSession, *, telegram_user_id: int, entry_id: str, locale: str,
               helpful: bool, day: date, now: datetime) -> bool:
    """Count a vote; False (nothing counted) when this user voted on this entry today."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    inserted = await session.scalar(
        module.insert(FaqVote)
        .values(telegram_user_id=telegram_user_id, entry_id=entry_id, locale=locale, day=day,
                helpful=helpful, created_at=now)
        .on_conflict_do_nothing(index_elements=["telegram_user_id", "entry_id", "day"])
        .returning(FaqVote.id))
    if inserted is None:
        return False
    await session.execute(
        module.insert(FaqFeedback)
        .values(entry_id=entry_id, locale=locale, helpful=0, not_helpful=0)
        .on_conflict_do_nothing(index_elements=["entry_id", "locale"]))
    column = FaqFeedback.helpful if helpful else FaqFeedback.not_helpful
    await session.execute(
        update(FaqFeedback)
        .where(FaqFeedback.entry_id == entry_id, FaqFeedback.locale == locale)
        .values({column: column + 1})
        .execution_options(synchronize_session=False))
    return True


@dataclass(frozen=True)
class Feedback:
    entry_id: str
    locale: str
    helpful: int
    not_helpful: int

    @property
    def weakness(self) -> float:
        """Share of "not helpful", pulled towards ½ when there are few votes."""
        return (self.not_helpful + 1) / (self.helpful + self.not_helpful + 2)


async def feedback(session: AsyncSession) -> list[Feedback]:
    """Every entry with votes, weakest first."""
    rows = (await session.scalars(select(FaqFeedback))).all()
    result = [Feedback(r.entry_id, r.locale, r.helpful, r.not_helpful) for r in rows]
    return sorted(result, key=lambda f: (-f.weakness, -f.not_helpful, f.entry_id, f.locale))
