"""Telegram accounts: who has written to the bot, their language, and their role."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Table,
    bindparam,
    case,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.direct import Direct, DirectConnection
from bot.db.models import Account, Draft, Member, Role, Unit, UnitContact
from bot.db.seen import SeenUpdates, take_update_cte

# Writing last_seen on every update would make each update a write; once a minute is enough.
_SEEN_GRANULARITY = timedelta(minutes=1)


@dataclass(frozen=True)
class Linked:
    """What the account's update needs of its roster row and open form, read with it."""

    member_id: int | None = None
    name: str | None = None
    role: Role | None = None
    active: bool | None = None
    unit_id: int | None = None
    unit_path: str | None = None
    is_contact: bool = False
    draft_kind: str | None = None
    draft_expires_at: datetime | None = None


@dataclass(frozen=True)
class Seen:
    """An account as `touch_account` left it, with its member and open form."""

    chat_id: int | None
    locale: str | None
    language_code: str | None
    last_seen_at: datetime
    linked: Linked = Linked()


async def touch_account(connection: DirectConnection, *, telegram_user_id: int,
                        chat_id: int | None, language_code: str | None, now: datetime) -> Seen:
    """The account for this Telegram user, created on first contact, kept current cheaply:
    it is touched by every update, so it is one prebuilt read, and a write only on a change
    (or once a minute for last_seen_at). On `Database.direct`'s connection."""
    row = await connection.first(_ACCOUNT, {"user": telegram_user_id})
    return await _touched(connection, row, telegram_user_id=telegram_user_id, chat_id=chat_id,
                          language_code=language_code, now=now)


async def touch_and_take(connection: DirectConnection, seen_updates: SeenUpdates, *,
                         update_id: int, digest: str, telegram_user_id: int,
                         chat_id: int | None, language_code: str | None,
                         now: datetime) -> tuple[bool, Seen]:
    """`touch_account`, then `SeenUpdates.take` for the update: whether this delivery is its
    first, and the account. On PostgreSQL the id is taken and the account read in one
    statement (a data-modifying WITH): one round trip instead of two."""
    if connection.dialect.name != "postgresql":
        account = await touch_account(connection, telegram_user_id=telegram_user_id,
                                      chat_id=chat_id, language_code=language_code, now=now)
        return await seen_updates.take(connection, update_id, digest, now), account
    row = await connection.first(_TAKE_AND_READ, {
        "update_id": update_id, "digest": digest, "seen_at": now,
        "user": telegram_user_id, "chat_id": chat_id, "language_code": language_code,
        "stale": now - _SEEN_GRANULARITY, "touched_at": now})
    assert row is not None  # one row whatever is found
    await seen_updates.prune(connection, now)
    account = await _touched(connection, row if row.account is not None else None,
                             telegram_user_id=telegram_user_id, chat_id=chat_id,
                             language_code=language_code, now=now, written=True)
    return row.taken is not None, account


async def _touched(connection: DirectConnection, row: Any, *, telegram_user_id: int,
                   chat_id: int | None, language_code: str | None, now: datetime,
                   written: bool = False) -> Seen:
    """Create the account (`row`, its columns as read, None) or write what changed (unless
    `written`: `_TAKE_AND_READ` did, in the statement that read `row`)."""
    if row is None:
        await connection.execute(_CREATE, {
            "telegram_user_id": telegram_user_id, "chat_id": chat_id,
            "language_code": language_code, "created_at": now, "last_seen_at": now})
        # First contact: no account to join from, but a roster row may name this user.
        member = await connection.first(_MEMBER, {"user": telegram_user_id})
        return Seen(chat_id, None, language_code, now,
                    _linked(member) if member is not None else Linked())
    seen = Seen(chat_id if chat_id is not None else row.chat_id, row.locale,
                language_code or row.language_code,
                now if now - row.last_seen_at >= _SEEN_GRANULARITY else row.last_seen_at,
                _linked(row))
    if not written and (seen.chat_id, seen.language_code, seen.last_seen_at, None) != (
            row.chat_id, row.language_code, row.last_seen_at, row.blocked_at):
        # Writing to us means they unblocked: blocked_at is cleared with the rest.
        await connection.execute(_UPDATE, {
            "user": telegram_user_id, "chat_id": seen.chat_id,
            "language_code": seen.language_code, "last_seen_at": seen.last_seen_at})
    return seen


def _linked(row: Any) -> Linked:
    return Linked(row.member_id, row.member_name, row.role, row.active, row.unit_id,
                  row.unit_path, bool(row.is_contact), getattr(row, "draft_kind", None),
                  getattr(row, "draft_expires_at", None))


_accounts = cast(Table, Account.__table__)
_members = cast(Table, Member.__table__)
_units = cast(Table, Unit.__table__)
_drafts = cast(Table, Draft.__table__)
_contacts = cast(Table, UnitContact.__table__)
# The roster row linked to the user (active or not), its unit's path, and whether it is on a
# reporting chain: permissions.Actor is built from these without another query.
_MEMBER_COLUMNS = (
    _members.c.id.label("member_id"), _members.c.name.label("member_name"), _members.c.role,
    _members.c.active, _members.c.unit_id, _units.c.path.label("unit_path"),
    exists().where(_contacts.c.member_id == _members.c.id).label("is_contact"),
)
_MEMBER = Direct(select(*_MEMBER_COLUMNS)
                 .select_from(_members.join(_units, _units.c.id == _members.c.unit_id))
                 .where(_members.c.telegram_user_id == bindparam("user")))


def _with_member_and_draft(accounts: Any) -> Any:
    return (accounts
            .outerjoin(_members, _members.c.telegram_user_id == _accounts.c.telegram_user_id)
            .outerjoin(_units, _units.c.id == _members.c.unit_id)
            .outerjoin(_drafts, _drafts.c.telegram_user_id == _accounts.c.telegram_user_id))


_ACCOUNT_READ = (select(_accounts.c.chat_id, _accounts.c.locale, _accounts.c.language_code,
                   _accounts.c.blocked_at, _accounts.c.last_seen_at, *_MEMBER_COLUMNS,
                   _drafts.c.kind.label("draft_kind"),
                   _drafts.c.expires_at.label("draft_expires_at"))
            .select_from(_with_member_and_draft(_accounts))
            .where(_accounts.c.telegram_user_id == bindparam("user")))
_ACCOUNT = Direct(_ACCOUNT_READ)
_CREATE = Direct(insert(_accounts).values(
    {c: bindparam(c, type_=_accounts.c[c].type)
     for c in ("telegram_user_id", "chat_id", "language_code", "created_at", "last_seen_at")}))
_UPDATE = Direct(update(_accounts).where(_accounts.c.telegram_user_id == bindparam("user"))
                 .values({**{c: bindparam(c, type_=_accounts.c[c].type)
                             for c in ("chat_id", "language_code", "last_seen_at")},
                          "blocked_at": None}))
_taken = take_update_cte()
# `_touched`'s write, in SQL, for the WITH below: the same values from the row as it was
# (a WITH's parts all read the snapshot from before the statement), written only when one
# changes. The morning's one tap comes hours after the member last wrote, so without it
# nearly every tap paid a second round trip for last_seen_at.
_new_chat = func.coalesce(bindparam("chat_id", type_=_accounts.c.chat_id.type),
                          _accounts.c.chat_id)
_new_language = func.coalesce(
    func.nullif(bindparam("language_code", type_=_accounts.c.language_code.type), ""),
    _accounts.c.language_code)
_stale = _accounts.c.last_seen_at <= bindparam("stale", type_=_accounts.c.last_seen_at.type)
_touch = (update(_accounts)
          .where(_accounts.c.telegram_user_id == bindparam("user"),
                 or_(_accounts.c.chat_id.is_distinct_from(_new_chat),
                     _accounts.c.language_code.is_distinct_from(_new_language),
                     _stale, _accounts.c.blocked_at.is_not(None)))
          .values(chat_id=_new_chat, language_code=_new_language, blocked_at=None,
                  last_seen_at=case((_stale, bindparam(
                      "touched_at", type_=_accounts.c.last_seen_at.type)),
                                    else_=_accounts.c.last_seen_at))
          .returning(_accounts.c.telegram_user_id).cte("touched"))
_TAKE_AND_READ = Direct(
    select(select(_taken.c.update_id).scalar_subquery().label("taken"),
           _accounts.c.telegram_user_id.label("account"), *_ACCOUNT_READ.selected_columns)
    .select_from(_with_member_and_draft(
        select(literal(1).label("one")).subquery("one")
        .outerjoin(_accounts, _accounts.c.telegram_user_id == bindparam("user"))))
    .add_cte(_touch))


async def set_account_locale(session: AsyncSession, *, telegram_user_id: int, locale: str,
                             now: datetime) -> None:
    account = await session.get(Account, telegram_user_id)
    if account is None:
        account = Account(telegram_user_id=telegram_user_id, created_at=now, last_seen_at=now)
        session.add(account)
    account.locale = locale


async def member_for(session: AsyncSession, telegram_user_id: int) -> Member | None:
    """The active roster member linked to this Telegram user, if any."""
    return await session.scalar(
        select(Member).where(Member.telegram_user_id == telegram_user_id, Member.active)
    )


async def role_of(
    session: AsyncSession, telegram_user_id: int, admin_ids: Collection[int]
) -> Role | None:
    """The user's role: admin when listed in ADMIN_TELEGRAM_IDS, else their member's, else None."""
    if telegram_user_id in admin_ids:
        return Role.ADMIN
    member = await member_for(session, telegram_user_id)
    return member.role if member else None
