"""/contacts: a leader shows and edits the reporting chain of a unit of their subtree."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.db import Database
from bot.db.models import UnitContact
from bot.sandbox import SandboxClient, SandboxServer
from tests.leaders.helpers import (
    ALAN,
    BOB,
    DORA,
    EVERYONE,
    GINA,
    MIA,
    QUIET,
    ask,
    audit_rows,
    buttons,
    press,
    seed_org,
)
from tests.support.builders import running_clock, started


async def chain(db: Database, unit_id: int) -> list[int]:
    async with db.transaction() as s:
        return list((await s.scalars(select(UnitContact.member_id).where(
            UnitContact.unit_id == unit_id).order_by(UnitContact.position))).all())


async def test_a_leader_edits_their_units_chain(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    o = await seed_org(db)
    started(sandbox, EVERYONE)
    bot_app.bot_data.clock = running_clock(QUIET)
    unit = o.units["Company A"]
    [shown] = await ask(sb, ALAN, "/contacts")
    assert shown["text"].startswith("Reporting contacts of Group / Company A")
    assert "1. Alan\n2. Dora" in shown["text"]
    assert [d for _label, d in buttons(shown)] == [
        f"ct:u:{unit}:{o.members[ALAN]}", f"ct:r:{unit}:{o.members[ALAN]}",
        f"ct:u:{unit}:{o.members[DORA]}", f"ct:r:{unit}:{o.members[DORA]}", f"ct:a:{unit}"]

    _answer, [moved] = await press(sb, ALAN, shown, f"ct:u:{unit}:{o.members[DORA]}")
    assert moved["text"].startswith("Moved Dora up.")
    assert await chain(db, unit) == [o.members[DORA], o.members[ALAN]]

    _answer, [removed] = await press(sb, ALAN, shown, f"ct:r:{unit}:{o.members[ALAN]}")
    assert removed["text"].startswith("Removed Alan.")
    assert await chain(db, unit) == [o.members[DORA]]

    # ➕, then a name: members of the unit's subtree only.
    _answer, [asked] = await press(sb, ALAN, shown, f"ct:a:{unit}")
    assert "Send the name of the member" in asked["text"]
    [none] = await ask(sb, ALAN, "Cara")  # Company B's
    assert "No active member of Group / Company A" in none["text"]
    [found] = await ask(sb, ALAN, "mi")
    assert buttons(found) == [("Mia", f"ct:p:{unit}:{o.members[MIA]}")]
    _answer, [added] = await press(sb, ALAN, found, f"ct:p:{unit}:{o.members[MIA]}")
    assert added["text"].startswith("Added Mia.")
    assert await chain(db, unit) == [o.members[DORA], o.members[MIA]]
    # The form is over: free text is not a name any more.
    [other] = await ask(sb, ALAN, "Ben")
    assert not buttons(other) or "ct:p:" not in buttons(other)[0][1]
    assert await chain(db, unit) == [o.members[DORA], o.members[MIA]]
    assert [a.action for a in await audit_rows(db, "contact_add")] == ["contact_add"]
    assert len(await audit_rows(db, "contact_move")) == 1
    assert len(await audit_rows(db, "contact_remove")) == 1


async def test_another_unit_by_name_and_the_admin_sees_all(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    o = await seed_org(db)
    started(sandbox, EVERYONE)
    [branch] = await ask(sb, ALAN, "/contacts branch 1")
    assert branch["text"].startswith("Reporting contacts of Group / Company A / Branch 1")
    assert "None yet" in branch["text"]
    [refused] = await ask(sb, ALAN, "/contacts Company B")
    assert refused["text"] == "None of your units has that name."
    [b] = await ask(sb, GINA, "/contacts Company B")
    assert "1. Bob" in b["text"] and buttons(b)[-1][1] == f"ct:a:{o.units['Company B']}"


async def test_forged_or_foreign_buttons_change_nothing(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    o = await seed_org(db)
    started(sandbox, EVERYONE)
    a, b = o.units["Company A"], o.units["Company B"]
    [shown] = await ask(sb, ALAN, "/contacts")
    # A sibling's unit: refused and audited.
    _answer, [reply] = await press(sb, ALAN, shown, f"ct:r:{b}:{o.members[BOB]}")
    assert reply["text"] == "That unit is not one of yours."
    assert await chain(db, b) == [o.members[BOB]]
    # Adding someone from outside the unit's subtree.
    _answer, [reply] = await press(sb, ALAN, shown, f"ct:p:{a}:{o.members[BOB]}")
    assert reply["text"] == "Only a member of the unit or of a unit below it can be its contact."
    assert [e.target for e in await audit_rows(db, "contacts_denied")] == [
        f"unit:{b}", f"member:{o.members[BOB]}"]
    # Malformed data and unknown ids.
    for data in ("ct:x:1", f"ct:r:{a}", "ct:u:99999:1", f"ct:s:{a}:1", "ct:" + "9" * 40):
        answer = await sb.press(ALAN, shown["message_id"], callback_data=data)
        assert answer["answered"], data
    assert await chain(db, a) == [o.members[ALAN], o.members[DORA]]
    # A plain member may not.
    [member] = await ask(sb, MIA, "/contacts")
    assert member["text"] == "Only unit leaders and administrators can do this."
    answer, [reply] = await press(sb, MIA, member, f"ct:r:{a}:{o.members[ALAN]}")
    assert reply["text"] == "Only unit leaders and administrators can do this."
    assert await chain(db, a) == [o.members[ALAN], o.members[DORA]]


async def test_long_or_odd_names_are_harmless(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    o = await seed_org(db)
    started(sandbox, EVERYONE)
    [reply] = await ask(sb, ALAN, "/contacts " + "x" * 4000)
    assert reply["text"] == "None of your units has that name."
    [shown] = await ask(sb, ALAN, "/contacts")
    await press(sb, ALAN, shown, f"ct:a:{o.units['Company A']}")
    [reply] = await ask(sb, ALAN, "<b>%_" + "y" * 4000)
    assert "No active member" in reply["text"]
