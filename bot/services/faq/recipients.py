"""Who receives a member's question that the knowledge base could not answer: the nearest
unit up the tree with a reporting chain, else the nearest leaders, else the admins — each in
their own language."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Account, Member, Role, Unit, UnitContact
from bot.locales import resolve_locale


@dataclass(frozen=True)
class Recipient:
    telegram_user_id: int
    chat_id: int
    member_id: int | None
    locale: str


async def _linked(session: AsyncSession, member_ids: Sequence[int], default_locale: str
                  ) -> list[Recipient]:
    if not member_ids:
        return []
    rows = (await session.execute(
        select(Member.id, Member.telegram_user_id, Account.chat_id, Account.locale,
               Account.language_code)
        .outerjoin(Account, Account.telegram_user_id == Member.telegram_user_id)
        .where(Member.id.in_(member_ids), Member.active, Member.telegram_user_id.is_not(None))
    )).all()
    by_id = {row[0]: row for row in rows}
    result = []
    for member_id in member_ids:  # keep the chain's order
        row = by_id.get(member_id)
        if row is None:
            continue
        _, uid, chat_id, locale, language_code = row
        assert uid is not None  # filtered above
        result.append(Recipient(uid, chat_id or uid, member_id,
                                resolve_locale(locale, language_code, default_locale)))
    return result


async def recipients_for(session: AsyncSession, unit: Unit, *, exclude_telegram_id: int,
                         admin_ids: Collection[int], default_locale: str) -> list[Recipient]:
    """The unit's chain, else the nearest ancestor's; else the nearest leaders; else admins."""
    chain = [int(part) for part in reversed(unit.path.strip("/").split("/")) if part]

    def usable(found: list[Recipient]) -> list[Recipient]:
        return [r for r in found if r.telegram_user_id != exclude_telegram_id]

    contacts = (await session.execute(
        select(UnitContact.unit_id, UnitContact.member_id)
        .where(UnitContact.unit_id.in_(chain)).order_by(UnitContact.position, UnitContact.id)
    )).all()
    leaders = (await session.execute(
        select(Member.unit_id, Member.id)
        .where(Member.unit_id.in_(chain), Member.role == Role.LEADER, Member.active)
        .order_by(Member.id))).all()
    for rows in (contacts, leaders):
        for unit_id in chain:
            ids = [member_id for u, member_id in rows if u == unit_id]
            found = usable(await _linked(session, ids, default_locale))
            if found:
                return found
    admin_members = list((await session.scalars(
        select(Member.id).where(Member.role == Role.ADMIN, Member.active).order_by(Member.id)
    )).all())
    admins = usable(await _linked(session, admin_members, default_locale))
    known = {r.telegram_user_id for r in admins}
    extra = sorted(set(admin_ids) - known - {exclude_telegram_id})
    if extra:
        accounts = {a.telegram_user_id: a for a in (await session.scalars(
            select(Account).where(Account.telegram_user_id.in_(extra)))).all()}
        for uid in extra:
            account = accounts.get(uid)
            locale = resolve_locale(account.locale if account else None,
                                    account.language_code if account else None, default_locale)
            admins.append(Recipient(uid, (account.chat_id if account else None) or uid, None,
                                    locale))
    return admins


async def locale_of(session: AsyncSession, telegram_user_id: int, default_locale: str) -> str:
    account = await session.get(Account, telegram_user_id)
    return resolve_locale(account.locale if account else None,
                          account.language_code if account else None, default_locale)
