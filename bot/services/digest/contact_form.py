"""/contacts as a state machine: what to show after the command, a button, or the name typed
after ➕ (the Draft row of kind CONTACT holds the unit being added to).

The handler maps each `ContactsStep` to a reply (bot.render.leaders); the unit and member of
every button are checked against the presser's scope again (services.org.contacts).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.digest.actions import CONTACT_DRAFT, drop_draft, put_draft, read_draft
from bot.services.org import contacts
from bot.services.org.contacts import Chain, ContactLine, ContactResult, ContactStatus, UnitRef
from bot.services.org.permissions import Actor


class Show(enum.StrEnum):
    NOT_ALLOWED = "not_allowed"  # not a leader or admin
    CHAIN = "chain"  # a unit's chain, with its buttons
    NO_UNIT = "no_unit"
    UNITS = "units"  # several units match: pick one
    ASK_NAME = "ask_name"  # ➕: the name of the member to add
    CANDIDATES = "candidates"  # the members matching the name typed
    RESULT = "result"  # a change (or its refusal)
    EXPIRED = "expired"  # the form timed out


class Press(enum.StrEnum):
    """The buttons (their values are the audit log's "attempt" for show and add)."""

    SHOW = "s"
    ADD = "a"
    PICK = "p"
    UP = "u"
    REMOVE = "r"


@dataclass(frozen=True)
class ContactsStep:
    show: Show
    chain: Chain | None = None
    units: tuple[UnitRef, ...] = ()
    unit: UnitRef | None = None
    candidates: tuple[ContactLine, ...] = ()
    result: ContactResult | None = None


_NOT_ALLOWED = ContactsStep(Show.NOT_ALLOWED)


def _refused(status: ContactStatus | None) -> ContactsStep:
    return ContactsStep(Show.RESULT, result=ContactResult(status or ContactStatus.NOT_FOUND))


async def open_contacts(session: AsyncSession, actor: Actor | None, query: str,
                        now: datetime) -> ContactsStep:
    """`/contacts [UNIT NAME]`: the actor's home unit, or the unit of that name."""
    if actor is None:
        return _NOT_ALLOWED
    if not query:
        unit = await contacts.home_unit(session, actor)
        if unit is None:
            return ContactsStep(Show.NO_UNIT)
        return ContactsStep(Show.CHAIN, chain=await contacts.chain_of(session, unit))
    units = await contacts.find_units(session, actor, query)
    if len(units) > 1:
        return ContactsStep(Show.UNITS, units=tuple(units))
    if not units:
        return ContactsStep(Show.NO_UNIT)
    status, unit = await contacts.unit_in_scope(session, actor, units[0].unit_id, "show", now)
    if unit is None:
        return _refused(status)
    return ContactsStep(Show.CHAIN, chain=await contacts.chain_of(session, unit))


async def press(session: AsyncSession, actor: Actor | None, *, telegram_user_id: int,
                button: Press, unit_id: int, member_id: int | None,
                now: datetime) -> ContactsStep:
    """A /contacts button (decoded, not yet trusted)."""
    if actor is None:
        return _NOT_ALLOWED
    if button in (Press.SHOW, Press.ADD):
        status, unit = await contacts.unit_in_scope(session, actor, unit_id, button.value, now)
        if unit is None:
            return _refused(status)
        if button is Press.SHOW:
            return ContactsStep(Show.CHAIN, chain=await contacts.chain_of(session, unit))
        await put_draft(session, telegram_user_id, CONTACT_DRAFT, {"unit_id": unit.id}, now)
        return ContactsStep(Show.ASK_NAME, unit=await contacts.unit_ref(session, unit))
    assert member_id is not None
    change = {Press.PICK: contacts.add_contact, Press.UP: contacts.move_up,
              Press.REMOVE: contacts.remove_contact}[button]
    result = await change(session, actor, unit_id=unit_id, member_id=member_id, now=now)
    if button is Press.PICK:
        await drop_draft(session, telegram_user_id)
    return ContactsStep(Show.RESULT, result=result)


async def answer(session: AsyncSession, actor: Actor | None, *, telegram_user_id: int,
                 text: str, now: datetime) -> ContactsStep:
    """The name typed after ➕: the matching members of the unit's subtree."""
    data = await read_draft(session, telegram_user_id, CONTACT_DRAFT, now)
    if actor is None:
        await drop_draft(session, telegram_user_id)
        return _NOT_ALLOWED
    if data is None:
        return ContactsStep(Show.EXPIRED)
    status, unit = await contacts.unit_in_scope(session, actor, int(data["unit_id"]), "search",
                                                now)
    if unit is None:
        await drop_draft(session, telegram_user_id)
        return _refused(status)
    found = await contacts.find_candidates(session, unit, text[:200])
    return ContactsStep(Show.CANDIDATES, unit=await contacts.unit_ref(session, unit),
                        candidates=tuple(found))
