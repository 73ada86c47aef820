"""The reporting chain: contacts in order, escalation to the parent's, leaders as fallback."""

from __future__ import annotations

from sqlalchemy import update

from bot.db import Database
from bot.db.models import Account, Role
from bot.services.org.recipients import chain_for, chains_for
from tests.digest.helpers import MONDAY, at, contact, members, unit


async def test_contacts_in_position_order_and_escalation_up_the_tree(db: Database) -> None:
    async with db.transaction() as s:
        group = await unit(s, "Group")
        company = await unit(s, "Group", "Company")
        branch = await unit(s, "Group", "Company", "Branch")
        cell = await unit(s, "Group", "Company", "Branch", "Cell")
        [chief, deputy, clerk] = await members(s, group, ["Chief", "Deputy", "Clerk"],
                                               first_uid=301, locale="en")
        [lead] = await members(s, branch, ["Branch lead"], first_uid=311)
        await contact(s, group, clerk, position=2)
        await contact(s, group, chief, position=0)
        await contact(s, group, deputy, position=1)
        await contact(s, branch, lead)
    async with db.transaction() as s:
        chains = await chains_for(s, [group.id, company.id, branch.id, cell.id, 999])
    assert [r.name for r in chains[group.id].recipients] == ["Chief", "Deputy", "Clerk"]
    assert not chains[group.id].escalated and chains[group.id].recipients[0].chat_id == 301
    assert chains[group.id].recipients[0].locale == "en"
    assert chains[company.id].source_unit_id == group.id and chains[company.id].escalated
    assert [r.name for r in chains[cell.id].recipients] == ["Branch lead"]
    assert chains[cell.id].source_unit_id == branch.id
    assert 999 not in chains


async def test_unreachable_contacts_do_not_count(db: Database) -> None:
    async with db.transaction() as s:
        group = await unit(s, "Group")
        company = await unit(s, "Group", "Company")
        [boss] = await members(s, group, ["Boss"], first_uid=321)
        [blocked] = await members(s, company, ["Blocked"], first_uid=322)
        [unlinked] = await members(s, company, ["Unlinked"])
        [gone] = await members(s, company, ["Gone"], first_uid=323, active=False)
        for m in (blocked, unlinked, gone):
            await contact(s, company, m)
        await contact(s, group, boss)
        await s.execute(update(Account).where(Account.telegram_user_id == 322)
                        .values(blocked_at=at(MONDAY, "08:00")))
    async with db.transaction() as s:
        chain = await chain_for(s, company.id)
    assert chain.source_unit_id == group.id and [r.name for r in chain.recipients] == ["Boss"]


async def test_without_any_contacts_the_leaders_receive_it(db: Database) -> None:
    async with db.transaction() as s:
        group = await unit(s, "Group")
        company = await unit(s, "Group", "Company")
        cell = await unit(s, "Group", "Company", "Cell")
        await members(s, group, ["Top"], first_uid=331, role=Role.LEADER)
        await members(s, company, ["Mid", "Also mid"], first_uid=332, role=Role.LEADER)
        await members(s, cell, ["Plain"], first_uid=334)
        await members(s, cell, ["Unlinked leader"], role=Role.LEADER)
    async with db.transaction() as s:
        chains = await chains_for(s, [group.id, company.id, cell.id])
    assert chains[company.id].from_leaders and not chains[company.id].escalated
    assert [r.name for r in chains[company.id].recipients] == ["Mid", "Also mid"]
    assert chains[cell.id].source_unit_id == company.id
    assert [r.name for r in chains[group.id].recipients] == ["Top"]


async def test_nobody_at_all_is_an_empty_chain(db: Database) -> None:
    async with db.transaction() as s:
        lonely = await unit(s, "Lonely")
        await members(s, lonely, ["Just a member"], first_uid=341)
    async with db.transaction() as s:
        chain = await chain_for(s, lonely.id)
        unknown = await chain_for(s, 4242)
    assert chain.recipients == () and chain.source_unit_id is None
    assert unknown.recipients == ()
