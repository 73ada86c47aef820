"""The small test organisation (tests/support/builders.py) with phones, and duty helpers.

Group (contact: Gina 6001)
├── Company A (contacts: Alan 6002, then Dora 6004)
│   └── Branch 1: Mia 6003, Dora 6004, Ben 6005
└── Company B (contact: Bob 6006): Cara 6007
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from bot.db import Database
from bot.db.models import Member, OutboxMessage, Shift
from bot.runtime.tick import run_tick
from bot.services.org.permissions import Actor, manager_actor
from tests.support.builders import MONDAY, Org, seed_org

TUESDAY = date(2026, 12, 1)
TZ = "Asia/Shanghai"
PHONES = {6001: "+8613800138001", 6002: "+8613800138002", 6003: "+8613800138003",
          6004: "+8613800138004", 6005: "+8613800138005", 6006: "+8613800138006",
          6007: "+8613800138007"}


async def seed(db: Database, *, locale: str = "en") -> Org:
    o = await seed_org(db, locale=locale)
    async with db.transaction() as s:
        for uid, member_id in o.members.items():
            member = await s.get(Member, member_id)
            assert member is not None
            member.phone = PHONES[uid]
    return o


async def add_shift(db: Database, unit_id: int, member_id: int, *, day: date = TUESDAY,
                    start: str = "08:00", end: str = "12:00", post: str = "Gate checkpoint",
                    cancelled: bool = False) -> int:
    async with db.transaction() as s:
        shift = Shift(unit_id=unit_id, day=day, start=start, end=end, post=post,
                      member_id=member_id, cancelled=cancelled)
        s.add(shift)
        await s.flush()
        return shift.id


async def tick(db: Database, now: datetime) -> None:
    async with db.transaction() as s:
        await run_tick(s, now=now, default_timezone=TZ, default_locale="en")


async def duty_rows(db: Database) -> list[OutboxMessage]:
    async with db.transaction() as s:
        return list((await s.scalars(select(OutboxMessage).where(
            OutboxMessage.kind.in_(("duty", "duty_alert", "duty_note")))
            .order_by(OutboxMessage.id))).all())


async def scope_of(db: Database, uid: int) -> Actor | None:
    async with db.transaction() as s:
        return await manager_actor(s, uid, ())


__all__ = ["MONDAY"]
