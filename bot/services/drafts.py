"""The one open form per Telegram user: a Draft row (kind, step, data, expiry).

Every guided form keeps its state here, so a restart or another instance can carry on where
the member stopped; starting a form replaces whatever other form the user had open.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Draft

DEFAULT_TTL = timedelta(minutes=30)


async def put(session: AsyncSession, telegram_user_id: int, *, kind: str, step: str,
              data: dict[str, Any], now: datetime, ttl: timedelta = DEFAULT_TTL) -> Draft:
    """Start or advance the user's form: it expires `ttl` after this step."""
    draft = await session.get(Draft, telegram_user_id)
    if draft is None:
        draft = Draft(telegram_user_id=telegram_user_id)
        session.add(draft)
    draft.kind, draft.step, draft.data = kind, step, data
    draft.expires_at, draft.updated_at = now + ttl, now
    return draft


async def current_data(session: AsyncSession, telegram_user_id: int, kind: str,
                       now: datetime) -> dict[str, Any] | None:
    """A copy of the data of the user's form of `kind`; None when there is none or it has
    expired (an expired one is removed)."""
    draft = await session.get(Draft, telegram_user_id)
    if draft is None or draft.kind != kind:
        return None
    if draft.expires_at <= now:
        await session.delete(draft)
        return None
    return dict(draft.data)


async def drop(session: AsyncSession, telegram_user_id: int, kind: str | None = None) -> None:
    """Remove the user's form (only if it is of `kind`, when given)."""
    stmt = delete(Draft).where(Draft.telegram_user_id == telegram_user_id)
    if kind is not None:
        stmt = stmt.where(Draft.kind == kind)
    await session.execute(stmt)
