"""The audit log: every export, drill-down, broadcast and change of someone else's data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AuditEntry


async def record(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    now: datetime,
    target: str = "",
    actor_member_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add an entry. `details` names what was touched (ids, counts), never health details."""
    session.add(
        AuditEntry(
            at=now,
            actor=actor,
            actor_member_id=actor_member_id,
            action=action,
            target=target,
            details=details or {},
        )
    )
