"""Membership history: who belonged to which unit on which day, kept by history.assign
(SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.db import Database
from bot.db.models import Member, Membership
from bot.services.members.history import assign, joined_on, members_on
from tests.digest.helpers import MONDAY, SHANGHAI, at, unit

SUNDAY = MONDAY - timedelta(days=1)
TUESDAY = MONDAY + timedelta(days=1)


async def test_a_join_a_move_and_a_departure_change_today_and_later_only(db: Database) -> None:
    async with db.transaction() as s:
        a = await unit(s, "Group", "A")
        b = await unit(s, "Group", "B", timezone="America/New_York")
        ann, bob = Member(unit_id=a.id, name="Ann"), Member(unit_id=a.id, name="Bob")
        s.add_all([ann, bob])
        await assign(s, [(ann, a.id), (bob, a.id)], now=at(SUNDAY, "09:00"),
                     default_timezone=SHANGHAI)
    async with db.transaction() as s:
        ann = await s.get(Member, ann.id)
        bob = await s.get(Member, bob.id)
        assert ann is not None and bob is not None
        # Monday 09:00 in Shanghai is still Sunday in New York: Ann is in B from Sunday.
        await assign(s, [(ann, b.id)], now=at(MONDAY, "09:00"), default_timezone=SHANGHAI)
        await assign(s, [(bob, None)], now=at(MONDAY, "09:00"), default_timezone=SHANGHAI)
        assert (ann.unit_id, ann.active, bob.active) == (b.id, True, False)
    async with db.transaction() as s:
        assert await members_on(s, [a.id, b.id], SUNDAY - timedelta(days=1)) == []
        assert await members_on(s, [a.id, b.id], SUNDAY) == [(bob.id, a.id), (ann.id, b.id)]
        assert await members_on(s, [a.id, b.id], MONDAY) == [(ann.id, b.id)]
        assert await members_on(s, [a.id], TUESDAY) == []
        assert await joined_on(s, ann.id) == SUNDAY


async def test_a_stay_begun_today_is_replaced_and_reactivation_starts_again(
        db: Database) -> None:
    async with db.transaction() as s:
        a = await unit(s, "Group", "A")
        b = await unit(s, "Group", "B")
        cai = Member(unit_id=a.id, name="Cai")
        s.add(cai)
        await assign(s, [(cai, a.id)], now=at(MONDAY, "08:00"), default_timezone=SHANGHAI)
        await assign(s, [(cai, b.id)], now=at(MONDAY, "09:00"), default_timezone=SHANGHAI)
        await assign(s, [(cai, b.id)], now=at(MONDAY, "10:00"), default_timezone=SHANGHAI)
        await assign(s, [(cai, None)], now=at(TUESDAY, "10:00"), default_timezone=SHANGHAI)
        await assign(s, [(cai, b.id)], now=at(TUESDAY + timedelta(days=2), "10:00"),
                     default_timezone=SHANGHAI)
    async with db.transaction() as s:
        rows = (await s.execute(select(Membership.unit_id, Membership.start_day,
                                       Membership.end_day).order_by(Membership.id))).all()
        assert [tuple(r) for r in rows] == [
            (b.id, MONDAY, MONDAY), (b.id, TUESDAY + timedelta(days=2), None)]
        assert await members_on(s, [a.id, b.id], TUESDAY) == []
