"""An organisation to compute digests on: units with time zones, members, reports."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database
from bot.db.models import (
    Account,
    Alert,
    HouseholdReport,
    Member,
    Membership,
    Report,
    ReportStatus,
    Role,
    Unit,
    UnitContact,
)
from bot.services.digest.compute import compute_digests
from bot.services.org import units as org
from tests.support.builders import MONDAY, SHANGHAI, SINCE, at

__all__ = ["MONDAY", "SHANGHAI", "at"]

SUNDAY = MONDAY - timedelta(days=1)


async def digests(db: Database, now: datetime | None = None, **kwargs: Any) -> Any:
    """compute_digests in a transaction of its own, at `now` (Monday 13:00 in Shanghai, after
    the deadline, unless given)."""
    async with db.transaction() as s:
        return await compute_digests(s, now=now or at(MONDAY, "13:00"),
                                     default_timezone=SHANGHAI, **kwargs)


async def unit(session: AsyncSession, *path: str, **fields: Any) -> Unit:
    u = await org.ensure_unit(session, list(path), now=at(MONDAY, "00:00"))
    for key, value in fields.items():
        setattr(u, key, value)
    await session.flush()
    return u


async def members(session: AsyncSession, u: Unit, names: Sequence[str], *,
                  first_uid: int | None = None, role: Role = Role.MEMBER,
                  locale: str | None = None, **fields: Any) -> list[Member]:
    result = []
    for i, name in enumerate(names):
        uid = first_uid + i if first_uid is not None else None
        m = Member(unit_id=u.id, name=name, telegram_user_id=uid, role=role, **fields)
        session.add(m)
        if uid is not None:
            session.add(Account(telegram_user_id=uid, chat_id=uid, locale=locale))
        result.append(m)
    await session.flush()
    session.add_all(Membership(member_id=m.id, unit_id=m.unit_id, start_day=SINCE)
                    for m in result if m.active is not False)
    await session.flush()
    return result


async def report(session: AsyncSession, m: Member, day: date, *, abnormal: bool = False,
                 temperature: str | None = None, symptoms: Sequence[str] = (),
                 contact: bool = False, at_time: datetime | None = None,
                 household: Sequence[tuple[str, str, str | None, Sequence[str]]] = (),
                 unit_id: int | None = None) -> Report:
    when = at_time or at(day, "08:15")
    r = Report(member_id=m.id, unit_id=unit_id or m.unit_id, report_date=day,
               status=ReportStatus.ABNORMAL if abnormal else ReportStatus.OK,
               temperature=Decimal(temperature) if temperature else None,
               symptoms=list(symptoms), contact_case=contact, created_at=when,
               updated_at=when)
    r.household = [HouseholdReport(relation=rel, name=name,
                                   temperature=Decimal(t) if t else None, symptoms=list(s))
                   for rel, name, t, s in household]
    session.add(r)
    await session.flush()
    return r


async def contact(session: AsyncSession, u: Unit, m: Member, position: int = 0) -> None:
    session.add(UnitContact(unit_id=u.id, member_id=m.id, position=position))
    await session.flush()


async def alert(session: AsyncSession, r: Report, *, level: int = 0,
                created: datetime | None = None, handled: datetime | None = None) -> Alert:
    """The alert row about report `r`, as services.digest.alerts would have left it."""
    when = created or r.updated_at
    a = Alert(report_id=r.id, unit_id=r.unit_id, level=level, revision=r.revision,
              created_at=when, escalated_at=when, handled_at=handled)
    session.add(a)
    await session.flush()
    return a
