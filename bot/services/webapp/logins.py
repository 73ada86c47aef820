"""Each initData signs someone in once (on any instance): a replayed copy is refused."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import WebAppLogin


async def take(session: AsyncSession, init_hash: str, telegram_user_id: int, *,
               now: datetime, max_age: timedelta) -> bool:
    """True the first time this initData (by its hash) is used; False for a replay."""
    await session.execute(delete(WebAppLogin).where(WebAppLogin.used_at < now - max_age * 2))
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    digest = hashlib.sha256(init_hash.encode()).hexdigest()
    result = await session.execute(
        module.insert(WebAppLogin)
        .values(digest=digest, telegram_user_id=telegram_user_id, used_at=now)
        .on_conflict_do_nothing(index_elements=["digest"]))
    return bool(result.rowcount)  # type: ignore[attr-defined]
