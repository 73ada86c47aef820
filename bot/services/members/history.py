"""Membership history: which unit each member belonged to on each day.

A member's unit and whether they are active change only through `assign`, which also keeps
the `memberships` rows: one row per stay in a unit, `start_day` to `end_day` inclusive
(unit-local dates; `end_day` null while it lasts). A join, move or departure takes effect on
the unit's today: yesterday's rows are left alone, so past days keep the people they had.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.models import Member, Membership, Unit
from bot.services.reports.schedule import ancestor_ids, resolve

_CHUNK = 1000
_BATCH = 100
# For callers that are not handed the setting (roster imports from /import): the unit's own
# zone, inherited down the tree, decides unless no unit sets one.
DEFAULT_TIMEZONE: str = Settings.model_fields["default_timezone"].default


async def members_on(session: AsyncSession, unit_ids: Collection[int],
                     day: date) -> list[tuple[int, int]]:
    """(member_id, unit_id) of the members who belonged to one of `unit_ids` on `day`."""
    ids = list(unit_ids)
    result: list[tuple[int, int]] = []
    for i in range(0, len(ids), _CHUNK):
        rows = await session.execute(
            select(Membership.member_id, Membership.unit_id)
            .where(Membership.unit_id.in_(ids[i:i + _CHUNK]), Membership.start_day <= day,
                   or_(Membership.end_day.is_(None), Membership.end_day >= day))
            .order_by(Membership.unit_id, Membership.member_id))
        result.extend((int(m), int(u)) for m, u in rows.all())
    return result


async def joined_on(session: AsyncSession, member_id: int) -> date | None:
    """The first day the member belonged to any unit (None: no history kept)."""
    return await session.scalar(
        select(Membership.start_day).where(Membership.member_id == member_id)
        .order_by(Membership.start_day).limit(1))


async def local_days(session: AsyncSession, unit_ids: Collection[int], *, now: datetime,
                     default_timezone: str) -> dict[int, date]:
    """Each unit's local date at `now` (its zone inherited down the tree)."""
    units = {u.id: u for u in await session.scalars(select(Unit).where(Unit.id.in_(unit_ids)))}
    above = {a for u in units.values() for a in ancestor_ids(u)} - set(units)
    if above:
        units.update({u.id: u for u in await session.scalars(
            select(Unit).where(Unit.id.in_(above)))})
    days = {}
    for unit_id in unit_ids:
        unit = units[unit_id]
        chain = [units[a] for a in ancestor_ids(unit) if a in units] + [unit]
        days[unit_id] = resolve(chain, default_timezone).local_date(now)
    return days


async def assign(session: AsyncSession, changes: Sequence[tuple[Member, int | None]], *,
                 now: datetime, default_timezone: str) -> None:
    """From today on (each unit's local date at `now`), each member belongs to the unit given
    (None: nowhere — deactivated). The one place Member.unit_id and Member.active change.

    New members may be passed unflushed. A stay that began today is replaced rather than
    ended (it never covered a whole past day); yesterday and before are never touched.
    """
    if not changes:
        return
    if any(member.id is None for member, _unit in changes):
        await session.flush()
    wanted = {u if u is not None else m.unit_id for m, u in changes}
    days = await local_days(session, wanted, now=now, default_timezone=default_timezone)
    ids = [m.id for m, _unit in changes]
    open_rows: dict[int, list[Membership]] = {}
    for i in range(0, len(ids), _CHUNK):
        for row in await session.scalars(select(Membership).where(
                Membership.member_id.in_(ids[i:i + _CHUNK]), Membership.end_day.is_(None))):
            open_rows.setdefault(row.member_id, []).append(row)
    for index, (member, unit_id) in enumerate(changes, start=1):
        if index % _BATCH == 0:  # a big import writes in steps and lets other updates run
            await session.flush()
            await asyncio.sleep(0)
        day = days[unit_id if unit_id is not None else member.unit_id]
        current = open_rows.get(member.id, [])
        if unit_id is not None and [r.unit_id for r in current] == [unit_id]:
            pass  # already there
        else:
            for row in current:
                if row.start_day >= day:
                    await session.delete(row)
                else:
                    row.end_day = day - timedelta(days=1)
            if unit_id is not None:
                session.add(Membership(member_id=member.id, unit_id=unit_id, start_day=day))
        if unit_id is not None:
            member.unit_id = unit_id
        member.active = unit_id is not None
    await session.flush()
