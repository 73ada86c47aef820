"""Runs first for every update: drops a repeat, remembers the user, sets the language."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.context import Context
from bot.dedup import take_update
from bot.i18n import resolve_locale, set_locale
from bot.services.accounts import touch_account


async def remember_user(update: Update, context: Context) -> None:
    """Stop an update delivered again (bot.dedup), record the account and set the locale
    ContextVar for this update (it must be set for every update, or the previous user's
    language leaks into this one). The duplicate check and the account touch share one
    transaction: one commit (one write lock on SQLite) instead of two for every update."""
    user = update.effective_user
    chat = update.effective_chat
    default = context.settings.default_locale
    locale = default
    async with context.transaction() as session:
        taken = await take_update(session, update, context)
        if taken and user is not None and not user.is_bot:
            account = await touch_account(
                session,
                telegram_user_id=user.id,
                chat_id=chat.id if chat else None,
                language_code=user.language_code,
                now=context.now(),
            )
            locale = resolve_locale(account.locale, user.language_code, default)
    if not taken:
        raise ApplicationHandlerStop  # after the block: raising inside would roll it back
    set_locale(locale)
