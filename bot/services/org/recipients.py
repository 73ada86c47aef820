"""Who receives a unit's digest and alerts: its reporting chain.

A unit's chain is its UnitContact rows in `position` order, counting only contacts who can be
reached (an active member with a linked Telegram account who has not blocked the bot). A unit
with no reachable contact escalates to its parent's chain, and so on up to the root. When no
unit on the way up has any, the chain falls back to the leaders (role "leader") of the
nearest unit on the way up that has reachable ones. No admins are added implicitly.

`Chain.source_unit_id` says whose chain it is: the digest sends a unit's digest only to its
own chain (an escalated chain already gets the ancestor's digest, which covers the subtree),
while alerts go to whatever chain `chains_for` returns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Account, Member, Role, Unit, UnitContact
from bot.locales import resolve_locale
from bot.services.org.permissions import in_subtree


@dataclass(frozen=True)
class Recipient:
    member_id: int
    name: str
    chat_id: int
    locale: str | None
    language_code: str | None
    telegram_user_id: int | None = None
    role: Role | None = None
    unit_path: str | None = None  # their own unit's

    def locale_or(self, default: str) -> str:
        return resolve_locale(self.locale, self.language_code, default)

    def manages(self, path: str, admin_ids: Collection[int] = ()) -> bool:
        """May they act on the unit at `path` (remind, handle its alerts, open its dashboard):
        Actor.covers, read from their roster row. A contact who leads nothing may not."""
        if self.role is Role.ADMIN or self.telegram_user_id in admin_ids:
            return True
        return (self.role is Role.LEADER and self.unit_path is not None
                and in_subtree(path, self.unit_path))


@dataclass(frozen=True)
class Chain:
    unit_id: int  # the unit asked about
    source_unit_id: int | None  # whose contacts (or leaders) these are; None: nobody found
    from_leaders: bool = False  # the fallback: no contacts anywhere up the tree
    recipients: tuple[Recipient, ...] = field(default_factory=tuple)

    @property
    def escalated(self) -> bool:
        return self.source_unit_id != self.unit_id


def _reachable() -> tuple[object, ...]:
    return (Member.active, Member.telegram_user_id.is_not(None), Account.blocked_at.is_(None))


def _recipient(row: Any) -> Recipient:
    """From (unit id, member id, name, user id, chat id, locale, language code, role, own
    unit's path)."""
    _unit, member_id, name, user_id, chat_id, locale, language_code, role, path = row
    # Private chats: the chat id is the user id when the account has not recorded one.
    return Recipient(member_id, name, chat_id or user_id, locale, language_code, user_id,
                     role, path)


async def chains_for(session: AsyncSession, unit_ids: Collection[int]) -> dict[int, Chain]:
    """The chain of each unit in `unit_ids`, from three queries whatever their number."""
    paths = dict((await session.execute(select(Unit.id, Unit.path))).all())
    wanted = [u for u in unit_ids if u in paths]
    ancestors = {u: [int(p) for p in paths[u].strip("/").split("/") if p] for u in wanted}
    contacts: dict[int, list[Recipient]] = defaultdict(list)
    for row in (await session.execute(
        select(UnitContact.unit_id, Member.id, Member.name, Member.telegram_user_id,
               Account.chat_id, Account.locale, Account.language_code, Member.role, Unit.path)
        .join(Member, Member.id == UnitContact.member_id)
        .join(Unit, Unit.id == Member.unit_id)
        .outerjoin(Account, Account.telegram_user_id == Member.telegram_user_id)
        .where(*_reachable())  # type: ignore[arg-type]
        .order_by(UnitContact.unit_id, UnitContact.position, UnitContact.id)
    )).all():
        contacts[row[0]].append(_recipient(row))
    leaders: dict[int, list[Recipient]] | None = None
    result = {}
    for unit_id in wanted:
        up = list(reversed(ancestors[unit_id]))
        source = next((a for a in up if contacts.get(a)), None)
        if source is not None:
            result[unit_id] = Chain(unit_id, source, False, tuple(contacts[source]))
            continue
        if leaders is None:
            leaders = await _leaders(session)
        source = next((a for a in up if leaders.get(a)), None)
        result[unit_id] = Chain(unit_id, source, True,
                                tuple(leaders[source]) if source is not None else ())
    return result


async def chain_for(session: AsyncSession, unit_id: int) -> Chain:
    """One unit's chain (see `chains_for`); an unknown unit has an empty one."""
    return (await chains_for(session, [unit_id])).get(unit_id, Chain(unit_id, None))


async def _leaders(session: AsyncSession) -> dict[int, list[Recipient]]:
    by_unit: dict[int, list[Recipient]] = defaultdict(list)
    for row in (await session.execute(
        select(Member.unit_id, Member.id, Member.name, Member.telegram_user_id,
               Account.chat_id, Account.locale, Account.language_code, Member.role, Unit.path)
        .join(Unit, Unit.id == Member.unit_id)
        .outerjoin(Account, Account.telegram_user_id == Member.telegram_user_id)
        .where(Member.role == Role.LEADER, *_reachable())  # type: ignore[arg-type]
        .order_by(Member.unit_id, Member.id)
    )).all():
        by_unit[row[0]].append(_recipient(row))
    return by_unit
