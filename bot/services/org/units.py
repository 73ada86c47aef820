"""The unit tree: creating units by path and querying subtrees by materialised path."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Member, Unit


async def ensure_unit(session: AsyncSession, parts: Sequence[str], *, now: datetime) -> Unit:
    """The unit at `parts` (names from the root), creating any missing units on the way."""
    if not parts:
        raise ValueError("empty unit path")
    parent: Unit | None = None
    for name in parts:
        parent_id = parent.id if parent else None
        unit = await session.scalar(
            select(Unit).where(Unit.parent_id.is_(parent_id) if parent_id is None
                               else Unit.parent_id == parent_id, Unit.name == name)
        )
        if unit is None:
            unit = Unit(name=name, parent_id=parent_id, created_at=now, path="")
            session.add(unit)
            await session.flush()  # the id is part of the path
            unit.path = f"{parent.path if parent else '/'}{unit.id}/"
        parent = unit
    assert parent is not None
    return parent


async def unit_names(session: AsyncSession, unit: Unit) -> list[str]:
    """The names from the root down to `unit`."""
    ids = [int(part) for part in unit.path.strip("/").split("/") if part]
    rows = await session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids)))
    by_id = {row[0]: row[1] for row in rows}
    return [by_id[i] for i in ids]


async def tree(session: AsyncSession) -> list[tuple[Unit, int, int]]:
    """Every unit in tree order with its own member count and linked count."""
    counts = (
        select(
            Member.unit_id,
            func.count().label("members"),
            func.count(Member.telegram_user_id).label("linked"),
        )
        .where(Member.active)
        .group_by(Member.unit_id)
        .subquery()
    )
    rows = await session.execute(
        select(Unit, func.coalesce(counts.c.members, 0), func.coalesce(counts.c.linked, 0))
        .outerjoin(counts, counts.c.unit_id == Unit.id)
        .where(Unit.active)
    )
    result = [(u, int(m), int(linked)) for u, m, linked in rows.all()]
    return sorted(result, key=lambda r: [int(p) for p in r[0].path.strip("/").split("/")])
