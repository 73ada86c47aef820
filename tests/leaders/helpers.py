"""The leaders' tests: the small organisation of tests/support/builders.py, saving reports
through the service, and reading the outbox.

Group (contact: Gina 6001)
├── Company A (contacts: Alan 6002, then Dora 6004)
│   └── Branch 1: Mia 6003 (household: spouse Li Na), Dora 6004, Ben 6005
└── Company B (contact: Bob 6006): Cara 6007
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from bot.db import Database
from bot.db.models import (
    HouseholdEntry,
    Member,
    OutboxMessage,
)
from bot.services.reports.store import PersonHealth, ReportInput, SaveResult, save_report
from tests.support.builders import (
    ALAN,
    BEN,
    BOB,
    CARA,
    DORA,
    EVERYONE,
    GINA,
    MIA,
    MONDAY,
    NOW,
    QUIET,
    TZ,
    Org,
    audit_rows,
    seed_org,
)
from tests.support.chat import ask, buttons, press

# An alert's head: Mia's name links to her profile (she has written to the bot).
MIA_LINK = "{}</b> " + f'<a href="tg://user?id={MIA}">Mia</a>'

__all__ = ["ALAN", "BEN", "BOB", "CARA", "DORA", "EVERYONE", "GINA", "MIA", "MIA_LINK", "NOW",
           "QUIET", "TZ", "Org", "ask", "audit_rows", "buttons", "press", "seed_org"]


async def report(db: Database, member_id: int, *, temperature: str | None = None,
                 symptoms: tuple[str, ...] = (), spouse: str | None = None,
                 contact_case: bool = False, now: datetime = NOW,
                 day: date = MONDAY, spouse_symptoms: tuple[str, ...] = ()) -> SaveResult:
    """Save a report through the reports service (spouse: Li Na's temperature, for Mia)."""
    async with db.transaction() as s:
        member = await s.get(Member, member_id)
        assert member is not None
        household = (await s.scalars(select(HouseholdEntry).where(
            HouseholdEntry.member_id == member_id))).all()
        people = [PersonHealth(None, "", member.name,
                               Decimal(temperature) if temperature else None, symptoms)]
        people += [PersonHealth(h.id, h.relation, h.name, Decimal(spouse) if spouse else None,
                                spouse_symptoms) for h in household]
        return await save_report(s, member=member, day=day, entry=ReportInput(
            tuple(people), contact_case=contact_case), now=now, default_timezone=TZ)


async def outbox(db: Database, kind: str | None = None) -> list[OutboxMessage]:
    async with db.transaction() as s:
        stmt = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind:
            stmt = stmt.where(OutboxMessage.kind == kind)
        return list((await s.scalars(stmt)).all())
