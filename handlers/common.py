"""/help, /language and the fallbacks: the first things anyone sees (/start: onboarding)."""

from __future__ import annotations

from telegram import Update

from bot.context import Context
from bot.i18n import set_locale
from bot.render import commands as render
from bot.render.settings import LANGUAGE, language_set
from bot.render.settings import choose_language as language_menu
from bot.services.org.accounts import role_of, set_account_locale
from handlers import tg


async def show_help(update: Update, context: Context) -> None:
    """List the commands the asker's role may use."""
    assert update.effective_user and update.effective_message
    async with context.transaction() as session:
        admins = context.settings.admin_telegram_ids
        role = await role_of(session, update.effective_user.id, admins)
    await tg.reply(update, render.help_text(role))


async def choose_language(update: Update, context: Context) -> None:
    """Offer the languages as buttons."""
    await tg.reply(update, *language_menu())


async def language_chosen(update: Update, context: Context) -> None:
    """Store the chosen language and confirm in it."""
    query, values = tg.pressed(update, LANGUAGE)
    assert update.effective_user
    (locale,) = values
    async with context.transaction() as session:
        await set_account_locale(
            session, telegram_user_id=update.effective_user.id, locale=locale, now=context.now()
        )
    set_locale(locale)
    await tg.answer(query)
    await tg.edit_or_keep(query, language_set(locale))


async def unknown_command(update: Update, context: Context) -> None:
    """A command we do not have."""
    await tg.reply(update, render.unknown_command())


async def other_message(update: Update, context: Context) -> None:
    """Anything else: stickers, photos, free text no later handler took."""
    await tg.reply(update, render.not_understood())


async def stale_button(update: Update, context: Context) -> None:
    """A button whose data no handler knows (an old message, a removed feature)."""
    assert update.callback_query
    await tg.answer(update.callback_query, render.stale_button(), alert=True)
