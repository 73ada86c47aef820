"""Telegram accounts: who has written to the bot, their language, and their role."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Account, Member, Role

# Writing last_seen on every update would make each update a write; once a minute is enough.
_SEEN_GRANULARITY = timedelta(minutes=1)


async def touch_account(
    session: AsyncSession,
    *,
    telegram_user_id: int,
    chat_id: int | None,
    language_code: str | None,
    now: datetime,
) -> Account:
    """The account for this Telegram user, created on first contact, kept current cheaply."""
    account = await session.get(Account, telegram_user_id)
    if account is None:
        account = Account(
            telegram_user_id=telegram_user_id,
            chat_id=chat_id,
            language_code=language_code,
            created_at=now,
            last_seen_at=now,
        )
        session.add(account)
        await session.flush()
        return account
    if chat_id is not None and account.chat_id != chat_id:
        account.chat_id = chat_id
    if language_code and account.language_code != language_code:
        account.language_code = language_code
    if account.blocked_at is not None:
        account.blocked_at = None  # writing to us means they unblocked
    if now - account.last_seen_at >= _SEEN_GRANULARITY:
        account.last_seen_at = now
    return account


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
