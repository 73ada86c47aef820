"""Runs first for every update: remembers the user and sets the language to answer in."""

from __future__ import annotations

from telegram import Update

from bot.context import Context
from bot.i18n import resolve_locale, set_locale
from bot.services.accounts import touch_account


async def remember_user(update: Update, context: Context) -> None:
    """Record the account and set the locale ContextVar for this update (it must be reset for
    every update, or the previous user's language leaks into this one)."""
    user = update.effective_user
    if user is None or user.is_bot:
        set_locale(context.settings.default_locale)
        return
    chat = update.effective_chat
    async with context.transaction() as session:
        account = await touch_account(
            session,
            telegram_user_id=user.id,
            chat_id=chat.id if chat else None,
            language_code=user.language_code,
            now=context.now(),
        )
        default = context.settings.default_locale
        locale = resolve_locale(account.locale, user.language_code, default)
    set_locale(locale)
