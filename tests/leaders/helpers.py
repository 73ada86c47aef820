"""A small organisation for the leaders' tests, and ways to drive the bot through the sandbox.

Group (contact: Gina 6001)
├── Company A (contacts: Alan 6002, then Dora 6004)
│   └── Branch 1: Mia 6003 (household: spouse Li Na), Dora 6004, Ben 6005
└── Company B (contact: Bob 6006): Cara 6007
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bot.db import Database
from bot.db.models import (
    Account,
    AuditEntry,
    HouseholdEntry,
    Member,
    OutboxMessage,
    Role,
    Unit,
    UnitContact,
)
from bot.sandbox import SandboxClient
from bot.services.org import units as org
from bot.services.reports.store import PersonHealth, ReportInput, SaveResult, save_report
from tests.machinery.helpers import MONDAY, at

NOW = at(MONDAY, "09:00")  # Shanghai, inside the prompt window, before the deadline
# After the deadline, before the digest: a tick through the app queues no prompts or digests.
QUIET = at(MONDAY, "12:10")
TZ = "Asia/Shanghai"

GINA, ALAN, MIA, DORA, BEN, BOB, CARA = 6001, 6002, 6003, 6004, 6005, 6006, 6007
EVERYONE = (GINA, ALAN, MIA, DORA, BEN, BOB, CARA)


@dataclass
class Org:
    units: dict[str, int]
    members: dict[int, int]  # telegram user id → member id


async def seed_org(db: Database, *, locale: str = "en") -> Org:
    async with db.transaction() as s:
        units: dict[str, Unit] = {}
        for path in (("Group",), ("Group", "Company A"), ("Group", "Company A", "Branch 1"),
                     ("Group", "Company B")):
            units[path[-1]] = await org.ensure_unit(s, list(path), now=NOW)
        people = [(GINA, "Gina", "Group", Role.LEADER), (ALAN, "Alan", "Company A", Role.LEADER),
                  (MIA, "Mia", "Branch 1", Role.MEMBER), (DORA, "Dora", "Branch 1", Role.MEMBER),
                  (BEN, "Ben", "Branch 1", Role.MEMBER), (BOB, "Bob", "Company B", Role.LEADER),
                  (CARA, "Cara", "Company B", Role.MEMBER)]
        members: dict[int, Member] = {}
        for uid, name, unit, role in people:
            member = Member(unit_id=units[unit].id, name=name, telegram_user_id=uid, role=role)
            if uid == MIA:
                member.household = [HouseholdEntry(relation="spouse", name="Li Na")]
            s.add(member)
            s.add(Account(telegram_user_id=uid, chat_id=uid, locale=locale))
            members[uid] = member
        await s.flush()
        for unit, uids in (("Group", [GINA]), ("Company A", [ALAN, DORA]),
                           ("Company B", [BOB])):
            for position, uid in enumerate(uids):
                s.add(UnitContact(unit_id=units[unit].id, member_id=members[uid].id,
                                  position=position))
        return Org({k: u.id for k, u in units.items()}, {k: m.id for k, m in members.items()})


async def report(db: Database, member_id: int, *, temperature: str | None = None,
                 symptoms: tuple[str, ...] = (), spouse: str | None = None,
                 contact_case: bool = False, now: datetime = NOW,
                 day: date = MONDAY) -> SaveResult:
    """Save a report through the reports service (spouse: Li Na's temperature, for Mia)."""
    async with db.transaction() as s:
        member = await s.get(Member, member_id)
        assert member is not None
        household = (await s.scalars(select(HouseholdEntry).where(
            HouseholdEntry.member_id == member_id))).all()
        people = [PersonHealth(None, "", member.name,
                               Decimal(temperature) if temperature else None, symptoms)]
        people += [PersonHealth(h.id, h.relation, h.name, Decimal(spouse) if spouse else None)
                   for h in household]
        return await save_report(s, member=member, day=day, entry=ReportInput(
            tuple(people), contact_case=contact_case), now=now, default_timezone=TZ)


async def outbox(db: Database, kind: str | None = None) -> list[OutboxMessage]:
    async with db.transaction() as s:
        stmt = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind:
            stmt = stmt.where(OutboxMessage.kind == kind)
        return list((await s.scalars(stmt)).all())


async def audit_rows(db: Database, action: str) -> list[AuditEntry]:
    async with db.transaction() as s:
        return list((await s.scalars(select(AuditEntry).where(
            AuditEntry.action == action).order_by(AuditEntry.id))).all())


async def ask(sb: SandboxClient, uid: int, text: str, *, count: int = 1) -> list[dict[str, Any]]:
    sent = await sb.send_text(uid, text)
    return await sb.wait_for_bot_messages(uid, after=sent["message_id"], count=count)


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    keyboard = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in keyboard for b in row]


async def press(sb: SandboxClient, uid: int, message: dict[str, Any], data: str,
                *, count: int = 1) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Press (any callback data on `message`); the answer and the `count` new messages."""
    last = (await sb.chat(uid))[-1]["message_id"]
    answer = await sb.press(uid, message["message_id"], callback_data=data)
    new = await sb.wait_for_bot_messages(uid, after=last, count=count) if count else []
    return answer, new
