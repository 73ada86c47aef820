"""The reporting-chain service on its own: limits, ordering, scope, unit search."""

from __future__ import annotations

from bot.db import Database
from bot.db.models import Member, Role, Unit
from bot.services.org import contacts
from bot.services.org.contacts import ContactStatus
from bot.services.org.permissions import Actor
from tests.leaders.helpers import ALAN, BEN, DORA, MIA, NOW, seed_org

ADMIN = Actor(1, role=Role.ADMIN)


async def test_order_limit_and_search(db: Database) -> None:
    o = await seed_org(db)
    a = o.units["Company A"]
    async with db.transaction() as s:
        # Moving the first one up leaves the order as it is.
        result = await contacts.move_up(s, ADMIN, unit_id=a, member_id=o.members[ALAN], now=NOW)
        assert [c.name for c in result.chain.contacts] == ["Alan", "Dora"]  # type: ignore[union-attr]
        result = await contacts.add_contact(s, ADMIN, unit_id=a, member_id=o.members[MIA],
                                            now=NOW)
        assert result.status is ContactStatus.ADDED
        result = await contacts.add_contact(s, ADMIN, unit_id=a, member_id=o.members[MIA],
                                            now=NOW)
        assert result.status is ContactStatus.ALREADY
        unit = await s.get(Unit, o.units["Branch 1"])
        assert unit is not None
        for i in range(8):
            s.add(Member(unit_id=unit.id, name=f"Extra {i}"))
        await s.flush()
        extra = [c.member_id for c in await contacts.find_candidates(s, unit, "extra")]
        assert len(extra) == 8
        statuses = [(await contacts.add_contact(s, ADMIN, unit_id=a, member_id=m, now=NOW)).status
                    for m in extra]
        assert statuses == [ContactStatus.ADDED] * 7 + [ContactStatus.LIMIT]
        result = await contacts.remove_contact(s, ADMIN, unit_id=a, member_id=o.members[BEN],
                                               now=NOW)
        assert result.status is ContactStatus.NOT_FOUND
        result = await contacts.remove_contact(s, ADMIN, unit_id=a, member_id=o.members[DORA],
                                               now=NOW)
        assert result.status is ContactStatus.REMOVED
        assert [c.name for c in result.chain.contacts][:2] == ["Alan", "Mia"]  # type: ignore[union-attr]
        assert (await contacts.add_contact(s, ADMIN, unit_id=999, member_id=o.members[MIA],
                                           now=NOW)).status is ContactStatus.NOT_FOUND


async def test_units_by_name_or_path_within_scope(db: Database) -> None:
    o = await seed_org(db)
    async with db.transaction() as s:
        found = await contacts.find_units(s, ADMIN, "company")
        assert [u.names for u in found] == [("Group", "Company A"), ("Group", "Company B")]
        found = await contacts.find_units(s, ADMIN, "Company A / Branch 1")
        assert [u.unit_id for u in found] == [o.units["Branch 1"]]
        leader = Actor(2, o.members[ALAN], role=Role.LEADER, unit_id=o.units["Company A"],
                       unit_path=f"/{o.units['Group']}/{o.units['Company A']}/")
        assert [u.unit_id for u in await contacts.find_units(s, leader, "company")] == [
            o.units["Company A"]]
        assert await contacts.find_units(s, leader, "%") == []
        assert await contacts.find_units(s, leader, "   ") == []
