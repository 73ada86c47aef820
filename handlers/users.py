"""Runs first for every update: drops a repeat, remembers the user, sets the language."""

from __future__ import annotations

from sqlalchemy import Connection
from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.context import Context
from bot.i18n import resolve_locale, set_locale
from bot.runtime.dedup import digest_of, dropped, seen_updates
from bot.services.org.accounts import Seen, touch_and_take


async def remember_user(update: Update, context: Context) -> None:
    """Stop an update delivered again (bot.runtime.dedup), record the account and set the locale
    ContextVar for this update (it must be set for every update, or the previous user's
    language leaks into this one). It runs for every update, so it is cheap: prebuilt
    statements in one call on one connection, on SQLite two in one transaction (one write
    lock), on PostgreSQL one without BEGIN and COMMIT (accounts.touch_and_take). The account
    is touched first: for a repeat that is harmless, and an update is marked taken only
    once its account is."""
    user = update.effective_user
    chat = update.effective_chat
    seen, digest, now = seen_updates(context), digest_of(update), context.now()

    def remember(connection: Connection) -> tuple[bool, Seen | None]:
        if user is None or user.is_bot:
            return seen.first_sight_sync(connection, update.update_id, digest, now), None
        return touch_and_take(connection, seen, update_id=update.update_id, digest=digest,
                              telegram_user_id=user.id, chat_id=chat.id if chat else None,
                              language_code=user.language_code, now=now)

    async with context.db.statements() as connection:
        taken, account = await connection.run_sync(remember)
    if not taken:
        dropped(update, context)
        raise ApplicationHandlerStop  # after the block: raising inside would roll it back
    default = context.settings.default_locale
    set_locale(default if account is None or user is None
               else resolve_locale(account.locale, user.language_code, default))
