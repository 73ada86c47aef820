"""Dates, clocks and seeding shared by the feature folders' tests.

The small organisation (`seed_org`) of the leaders', duty, notices and admin tests:

Group (contact: Gina 6001)
├── Company A (contacts: Alan 6002, then Dora 6004)
│   └── Branch 1: Mia 6003 (household: spouse Li Na), Dora 6004, Ben 6005
└── Company B (contact: Bob 6006): Cara 6007
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database
from bot.db.models import (
    Account,
    AuditEntry,
    Draft,
    HouseholdEntry,
    Member,
    Membership,
    Report,
    Role,
    Unit,
    UnitContact,
)
from bot.services.org import units as org

SHANGHAI = "Asia/Shanghai"
TZ = SHANGHAI
MONDAY = date(2026, 11, 30)
SATURDAY = date(2026, 12, 5)
SINCE = date(2000, 1, 1)  # when members made by these builders joined


def at(day: date, hhmm: str, tz: str = SHANGHAI) -> datetime:
    """The instant `hhmm` on `day` in `tz`, as UTC."""
    h, m = (int(x) for x in hhmm.split(":"))
    return datetime.combine(day, time(h, m), tzinfo=ZoneInfo(tz)).astimezone(UTC)


NOW = at(MONDAY, "09:00")  # Shanghai, inside the prompt window, before the deadline
# After the deadline, before the digest: a tick through the app queues no prompts or digests.
QUIET = at(MONDAY, "12:10")


def running_clock(start: datetime) -> Callable[[], datetime]:
    """A clock that starts at `start` and runs in real time (a frozen clock freezes retries)."""
    origin = datetime.now(UTC)
    return lambda: start + (datetime.now(UTC) - origin)


def zone_where_it_is(hour: int, now: datetime | None = None) -> str:
    """A fixed-offset zone in which the real clock now reads `hour` o'clock (the minutes as in
    UTC): lets a test put a unit inside its prompt window without touching any clock."""
    utc_hour = (now or datetime.now(UTC)).hour
    offset = (hour - utc_hour + 12) % 24 - 12
    if offset == 0:
        return "Etc/GMT"
    # The Etc zones' signs are POSIX's: Etc/GMT-8 is UTC+8.
    return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def started(sandbox: Any, user_ids: Sequence[int], *, language_code: str = "en") -> None:
    """Users who pressed Start long ago, created without an update for the bot to answer."""
    for uid in user_ids:
        user = sandbox.state.upsert_user(uid, f"User {uid}", language_code=language_code)
        user.started = True


# --- units and members -----------------------------------------------------------------------


async def seed_unit(session: AsyncSession, path: Sequence[str] = ("Group",),
                    **fields: Any) -> Unit:
    unit = await org.ensure_unit(session, list(path), now=at(MONDAY, "00:00"))
    for key, value in fields.items():
        setattr(unit, key, value)
    await session.flush()
    return unit


async def seed_members(
    session: AsyncSession,
    unit: Unit,
    user_ids: Sequence[int],
    *,
    linked: bool = True,
    locale: str | None = None,
    language_code: str | None = None,
    **fields: Any,
) -> list[Member]:
    members = []
    for uid in user_ids:
        member = Member(unit_id=unit.id, name=f"Member {uid}",
                        telegram_user_id=uid if linked else None, **fields)
        session.add(member)
        if linked and (locale or language_code):
            session.add(Account(telegram_user_id=uid, chat_id=uid, locale=locale,
                                language_code=language_code))
        members.append(member)
    await session.flush()
    # Members seeded here have always been there: past days count them (history.members_on).
    session.add_all(Membership(member_id=m.id, unit_id=m.unit_id, start_day=SINCE)
                    for m in members if m.active is not False)
    await session.flush()
    return members


# --- the small organisation ------------------------------------------------------------------

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
        s.add_all(Membership(member_id=m.id, unit_id=m.unit_id, start_day=SINCE)
                  for m in members.values())
        for unit, uids in (("Group", [GINA]), ("Company A", [ALAN, DORA]),
                           ("Company B", [BOB])):
            for position, uid in enumerate(uids):
                s.add(UnitContact(unit_id=units[unit].id, member_id=members[uid].id,
                                  position=position))
        return Org({k: u.id for k, u in units.items()}, {k: m.id for k, m in members.items()})


async def audit_rows(db: Database, action: str) -> list[AuditEntry]:
    async with db.transaction() as s:
        return list((await s.scalars(select(AuditEntry).where(
            AuditEntry.action == action).order_by(AuditEntry.id))).all())


# --- rosters ---------------------------------------------------------------------------------

ROSTER_HEADER = ("unit", "name", "phone", "role", "household", "digest")


def csv_bytes(rows: Sequence[Sequence[str]], header: Sequence[str] = ROSTER_HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


# --- reading back ----------------------------------------------------------------------------


async def stored(db: Database, member_id: int, day: date = MONDAY) -> Report | None:
    """The member's report for `day`, as the reports service reads it."""
    from bot.services.reports.store import get_report

    async with db.transaction() as s:
        return await get_report(s, member_id, day)


async def draft_of(db: Database, uid: int) -> Draft | None:
    async with db.transaction() as s:
        return await s.get(Draft, uid)
