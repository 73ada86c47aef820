"""Seeding for the report tests: a linked member with a household (taps on buttons by label
and waiting for the bot to say something: tests/support/chat.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from bot.db import Database
from bot.db.models import HouseholdEntry, Member, Report, Unit
from tests.support.builders import MONDAY, at, draft_of, seed_members, seed_unit, stored
from tests.support.chat import callbacks, labels, says, send, tap

__all__ = ["MONDAY", "at", "callbacks", "draft_of", "labels", "says", "send", "stored", "tap"]


async def seed_member(db: Database, uid: int, *, household: Sequence[tuple[str, str]] = (),
                      locale: str = "en", unit_fields: dict[str, Any] | None = None) -> int:
    """A linked member of a fresh unit (Asia/Shanghai, default schedule) with a household."""
    async with db.transaction() as s:
        unit = await s.scalar(select(Unit).where(Unit.parent_id.is_(None)))
        if unit is None:
            unit = await seed_unit(s, **(unit_fields or {}))
        [member] = await seed_members(s, unit, [uid], locale=locale)
        for i, (relation, name) in enumerate(household):
            s.add(HouseholdEntry(member_id=member.id, relation=relation, name=name,
                                 position=i))
        await s.flush()
        return member.id


async def member(db: Database, member_id: int) -> Member:
    async with db.transaction() as s:
        m = await s.get(Member, member_id)
        assert m is not None
        return m


async def report_count(db: Database) -> int:
    async with db.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(Report)) or 0)
