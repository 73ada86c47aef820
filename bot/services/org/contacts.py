"""A unit's reporting chain (/contacts): who gets its digest and alerts, in order.

Admins manage every unit's chain, a leader those of their own unit's subtree
(bot.services.org.permissions.Actor.covers). A contact must be an active member of the unit or of
its subtree. Every change is audited; refusals change nothing and are audited too.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Account, Member, Unit, UnitContact
from bot.locales import resolve_locale
from bot.services.members.leaves import MAX_MATCHES, MAX_QUERY
from bot.services.org import audit, recipients
from bot.services.org.permissions import Actor, in_subtree, subtree_clause
from bot.services.org.units import unit_names

MAX_CONTACTS = 10


@dataclass(frozen=True)
class UnitRef:
    unit_id: int
    names: tuple[str, ...]


@dataclass(frozen=True)
class ContactLine:
    member_id: int
    name: str
    linked: bool


@dataclass(frozen=True)
class Chain:
    unit: UnitRef
    contacts: tuple[ContactLine, ...]


class ContactStatus(enum.StrEnum):
    ADDED = "added"
    ALREADY = "already"
    REMOVED = "removed"
    MOVED = "moved"
    NOT_FOUND = "not_found"  # no such unit, member or contact (stale or forged button)
    OUTSIDE_SCOPE = "outside_scope"
    NOT_IN_UNIT = "not_in_unit"  # the member is not in the unit or its subtree
    LIMIT = "limit"


@dataclass(frozen=True)
class ContactResult:
    status: ContactStatus
    chain: Chain | None = None
    name: str = ""


async def unit_ref(session: AsyncSession, unit: Unit) -> UnitRef:
    return UnitRef(unit.id, tuple(await unit_names(session, unit)))


async def _refused(session: AsyncSession, scope: Actor, target: str, what: str,
                   now: datetime) -> None:
    await audit.record(session, actor=scope.audit_name, actor_member_id=scope.member_id,
                       action="contacts_denied", now=now, target=target,
                       details={"attempt": what})


async def unit_in_scope(session: AsyncSession, scope: Actor, unit_id: int, what: str,
                        now: datetime) -> tuple[ContactStatus | None, Unit | None]:
    unit = await session.get(Unit, unit_id)
    if unit is None or not unit.active:
        return ContactStatus.NOT_FOUND, None
    if not scope.covers(unit):
        await _refused(session, scope, f"unit:{unit_id}", what, now)
        return ContactStatus.OUTSIDE_SCOPE, None
    return None, unit


async def chain_of(session: AsyncSession, unit: Unit) -> Chain:
    rows = await session.execute(
        select(Member.id, Member.name, Member.telegram_user_id)
        .join(UnitContact, UnitContact.member_id == Member.id)
        .where(UnitContact.unit_id == unit.id)
        .order_by(UnitContact.position, UnitContact.id))
    contacts = tuple(ContactLine(mid, name, tg is not None) for mid, name, tg in rows.all())
    return Chain(await unit_ref(session, unit), contacts)


async def home_unit(session: AsyncSession, scope: Actor) -> Unit | None:
    """The unit /contacts opens on: the leader's own; for an admin their unit, else the root."""
    if scope.root_unit_id is not None:
        return await session.get(Unit, scope.root_unit_id)
    if scope.member_id is not None:
        member = await session.get(Member, scope.member_id)
        if member is not None:
            return await session.get(Unit, member.unit_id)
    return await session.scalar(
        select(Unit).where(Unit.parent_id.is_(None), Unit.active).order_by(Unit.id).limit(1))


async def find_units(session: AsyncSession, scope: Actor, query: str) -> list[UnitRef]:
    """Units in scope named `query` (a name in part, or a path "Group/Company A")."""
    text = " ".join(query.split())[:MAX_QUERY]
    if not text:
        return []
    parts = [p.strip() for p in text.split("/") if p.strip()]
    stmt = select(Unit).where(Unit.active,
                              func.lower(Unit.name).contains(parts[-1].lower(), autoescape=True))
    if (mine := scope.subtree(Unit.path)) is not None:
        stmt = stmt.where(mine)
    units = list((await session.scalars(stmt.order_by(Unit.path).limit(50))).all())
    refs = [await unit_ref(session, u) for u in units]
    if len(parts) > 1:  # a path: every part must match, from the end
        wanted = [p.lower() for p in parts]
        refs = [r for r in refs if [n.lower() for n in r.names[-len(wanted):]] == wanted]
    exact = [r for r in refs if r.names[-1].lower() == parts[-1].lower()]
    return (exact or refs)[:MAX_MATCHES]


async def find_candidates(session: AsyncSession, unit: Unit, query: str) -> list[ContactLine]:
    """Active members of the unit or its subtree whose name contains `query`."""
    needle = " ".join(query.split()).lower()[:MAX_QUERY]
    if not needle:
        return []
    rows = await session.execute(
        select(Member.id, Member.name, Member.telegram_user_id)
        .join(Unit, Unit.id == Member.unit_id)
        .where(Member.active, subtree_clause(Unit.path, unit.path),
               func.lower(Member.name).contains(needle, autoescape=True))
        .order_by(Member.name, Member.id).limit(MAX_MATCHES + 1))
    found = [ContactLine(mid, name, tg is not None) for mid, name, tg in rows.all()]
    exact = [c for c in found if c.name.lower() == needle]
    return exact if len(exact) == 1 else found


async def _contacts(session: AsyncSession, unit_id: int) -> list[UnitContact]:
    return list((await session.scalars(
        select(UnitContact).where(UnitContact.unit_id == unit_id)
        .order_by(UnitContact.position, UnitContact.id).with_for_update())).all())


def _renumber(rows: list[UnitContact]) -> None:
    for position, row in enumerate(rows):
        row.position = position


async def add_contact(session: AsyncSession, scope: Actor, *, unit_id: int, member_id: int,
                      now: datetime) -> ContactResult:
    refusal, unit = await unit_in_scope(session, scope, unit_id, "add", now)
    if refusal is not None or unit is None:
        return ContactResult(refusal or ContactStatus.NOT_FOUND)
    member = await session.get(Member, member_id)
    if member is None or not member.active:
        return ContactResult(ContactStatus.NOT_FOUND)
    home = await session.get(Unit, member.unit_id)
    if home is None or not in_subtree(home.path, unit.path):
        await _refused(session, scope, f"member:{member_id}", "add_outside_unit", now)
        return ContactResult(ContactStatus.NOT_IN_UNIT)
    rows = await _contacts(session, unit.id)
    if any(r.member_id == member_id for r in rows):
        return ContactResult(ContactStatus.ALREADY, await chain_of(session, unit), member.name)
    if len(rows) >= MAX_CONTACTS:
        return ContactResult(ContactStatus.LIMIT)
    session.add(UnitContact(unit_id=unit.id, member_id=member_id, position=len(rows)))
    await session.flush()
    await audit.record(session, actor=scope.audit_name, actor_member_id=scope.member_id,
                       action="contact_add", now=now, target=f"unit:{unit.id}",
                       details={"member": member_id})
    return ContactResult(ContactStatus.ADDED, await chain_of(session, unit), member.name)


async def remove_contact(session: AsyncSession, scope: Actor, *, unit_id: int,
                         member_id: int, now: datetime) -> ContactResult:
    return await _change(session, scope, unit_id, member_id, now, "remove")


async def move_up(session: AsyncSession, scope: Actor, *, unit_id: int, member_id: int,
                  now: datetime) -> ContactResult:
    return await _change(session, scope, unit_id, member_id, now, "up")


async def _change(session: AsyncSession, scope: Actor, unit_id: int, member_id: int,
                  now: datetime, what: str) -> ContactResult:
    refusal, unit = await unit_in_scope(session, scope, unit_id, what, now)
    if refusal is not None or unit is None:
        return ContactResult(refusal or ContactStatus.NOT_FOUND)
    rows = await _contacts(session, unit.id)
    index = next((i for i, r in enumerate(rows) if r.member_id == member_id), None)
    if index is None:
        return ContactResult(ContactStatus.NOT_FOUND)
    member = await session.get(Member, member_id)
    name = member.name if member else ""
    if what == "remove":
        await session.delete(rows.pop(index))
        status, action = ContactStatus.REMOVED, "contact_remove"
    else:
        if index > 0:
            rows[index - 1], rows[index] = rows[index], rows[index - 1]
        status, action = ContactStatus.MOVED, "contact_move"
    _renumber(rows)
    await session.flush()
    await audit.record(session, actor=scope.audit_name, actor_member_id=scope.member_id,
                       action=action, now=now, target=f"unit:{unit.id}",
                       details={"member": member_id})
    return ContactResult(status, await chain_of(session, unit), name)


# --- who gets a unit's alerts --------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    member_id: int
    name: str
    chat_id: int
    locale: str


def _recipient_query() -> Any:
    return (select(Member.id, Member.name, Member.telegram_user_id, Account.chat_id,
                   Account.locale, Account.language_code)
            .outerjoin(Account, Account.telegram_user_id == Member.telegram_user_id)
            .where(Member.active, Member.telegram_user_id.is_not(None)))


def _recipient(row: Sequence[Any], default_locale: str) -> Recipient:
    member_id, name, telegram_user_id, chat_id, locale, language_code = row[:6]
    return Recipient(int(member_id), str(name), int(chat_id or telegram_user_id),
                     resolve_locale(locale, language_code, default_locale))


async def chain_recipients(session: AsyncSession, unit: Unit,
                           default_locale: str) -> tuple[Unit | None, list[Recipient]]:
    """Whose chain gets `unit`'s alerts (services.org.recipients: the unit's contacts, else the
    nearest ancestor's, else leaders), and its members; (None, []) when there is nobody."""
    chain = await recipients.chain_for(session, unit.id)
    if chain.source_unit_id is None or not chain.recipients:
        return None, []
    return await session.get(Unit, chain.source_unit_id), [
        Recipient(r.member_id, r.name, r.chat_id,
                  resolve_locale(r.locale, r.language_code, default_locale))
        for r in chain.recipients]


async def recipients_by_ids(session: AsyncSession, member_ids: list[int],
                            default_locale: str) -> list[Recipient]:
    """The linked, active ones of these members, in the given order."""
    if not member_ids:
        return []
    rows = (await session.execute(
        _recipient_query().where(Member.id.in_(member_ids)))).all()
    by_id = {r[0]: _recipient(tuple(r), default_locale) for r in rows}
    return [by_id[m] for m in member_ids if m in by_id]
