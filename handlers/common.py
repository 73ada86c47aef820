"""/help, /language and the fallbacks: the first things anyone sees (/start: onboarding)."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.config import SUPPORTED_LOCALES
from bot.context import Context
from bot.i18n import _, language_name, set_locale
from bot.services.org.accounts import role_of, set_account_locale
from handlers.commands import commands_for

LANGUAGE_PREFIX = "lang:"


async def show_help(update: Update, context: Context) -> None:
    """List the commands the asker's role may use."""
    assert update.effective_user and update.effective_message
    async with context.transaction() as session:
        admins = context.settings.admin_telegram_ids
        role = await role_of(session, update.effective_user.id, admins)
    lines = [f"/{c.name} — {escape(str(c.description))}" for c in commands_for(role)]
    header = _("Commands you can use:")
    if role is None:
        footer = _("You are not linked to your unit yet: send /start to link your account.")
        lines += ["", footer]
    await update.effective_message.reply_text(
        "\n".join([f"<b>{escape(header)}</b>", *lines]), parse_mode=ParseMode.HTML
    )


def _language_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(language_name(loc), callback_data=f"{LANGUAGE_PREFIX}{loc}")
          for loc in SUPPORTED_LOCALES]]
    )


async def choose_language(update: Update, context: Context) -> None:
    """Offer the languages as buttons."""
    assert update.effective_message
    await update.effective_message.reply_text(
        _("Choose your language:"), reply_markup=_language_keyboard()
    )


async def language_chosen(update: Update, context: Context) -> None:
    """Store the chosen language and confirm in it."""
    query = update.callback_query
    assert query and query.data and update.effective_user
    locale = query.data.removeprefix(LANGUAGE_PREFIX)
    if locale not in SUPPORTED_LOCALES:
        await query.answer(_("This button is no longer valid."), show_alert=True)
        return
    async with context.transaction() as session:
        await set_account_locale(
            session, telegram_user_id=update.effective_user.id, locale=locale, now=context.now()
        )
    set_locale(locale)
    await query.answer()
    await query.edit_message_text(
        _("Language set to {language}.").format(language=language_name(locale))
    )


async def unknown_command(update: Update, context: Context) -> None:
    """A command we do not have."""
    assert update.effective_message
    await update.effective_message.reply_text(
        _("I don't know that command. Send /help to see what I can do.")
    )


async def other_message(update: Update, context: Context) -> None:
    """Anything else: stickers, photos, free text no later handler took."""
    assert update.effective_message
    await update.effective_message.reply_text(
        _("Sorry, I didn't understand that. Send /help to see what I can do.")
    )


async def stale_button(update: Update, context: Context) -> None:
    """A button whose data no handler knows (an old message, a removed feature)."""
    assert update.callback_query
    await update.callback_query.answer(_("This button is no longer valid."), show_alert=True)
