"""The few things every handler does with Telegram, done one way.

Messages are HTML (the Application's Defaults set parse_mode, bot.runtime.app): render/
escapes everything people wrote. Buttons come from render as rows of (label, callback data)
(bot.render.payloads.Buttons).
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonWebApp,
    Message,
    Update,
    WebAppInfo,
)
from telegram.error import BadRequest, TelegramError

from bot.render.callbacks import Codec
from bot.render.payloads import WEB_APP, Buttons, is_url, toast
from bot.render.webapp import dashboard_label, dashboard_url

logger = logging.getLogger(__name__)


def keyboard(buttons: Buttons | None) -> InlineKeyboardMarkup | None:
    """Rows of (label, callback data or link) as an inline keyboard; None for no buttons."""
    if not buttons:
        return None
    return InlineKeyboardMarkup([[_button(label, data) for label, data in row]
                                 for row in buttons])


def _button(label: str, data: str) -> InlineKeyboardButton:
    if data.startswith(WEB_APP):  # opens the dashboard (render.webapp), no callback
        return InlineKeyboardButton(label, web_app=WebAppInfo(data.removeprefix(WEB_APP)))
    if is_url(data):
        return InlineKeyboardButton(label, url=data)
    return InlineKeyboardButton(label, callback_data=data)


async def reply(update: Update, text: str, buttons: Buttons | None = None) -> Message:
    """Answer the update's message (or the message under its button) in the same chat."""
    message = update.effective_message
    assert message is not None
    return await message.reply_text(text, reply_markup=keyboard(buttons),
                                    disable_web_page_preview=True)


async def send(update: Update, text: str, buttons: Buttons | None = None) -> Message:
    """A new message in the update's chat (not a reply: e.g. the next step after a button)."""
    chat = update.effective_chat
    assert chat is not None
    return await chat.send_message(text, reply_markup=keyboard(buttons),
                                   disable_web_page_preview=True)


def _not_modified(error: BadRequest) -> bool:
    return "message is not modified" in error.message.lower()


async def edit_or_keep(query: CallbackQuery, text: str, buttons: Buttons | None = None) -> None:
    """Show `text` on the message whose button was tapped (as its caption, for a photo or a
    document); a message that already shows it (Telegram: "message is not modified", e.g. a
    double tap) is left as it is."""
    message = query.message
    try:
        if isinstance(message, Message) and message.text is None:
            await query.edit_message_caption(text, reply_markup=keyboard(buttons))
        else:
            await query.edit_message_text(text, reply_markup=keyboard(buttons),
                                          disable_web_page_preview=True)
    except BadRequest as error:
        if not _not_modified(error):
            raise


async def keep_buttons_or_drop(query: CallbackQuery, buttons: Buttons | None) -> None:
    """Change only the buttons of the tapped message (none: remove them)."""
    await _edit_markup(query, keyboard(buttons))


async def relabel(query: CallbackQuery, label: str) -> None:
    """Show what a tap did on the tapped button itself: its label changes (its data stays),
    the message's other buttons stay as they are."""
    message = query.message
    markup = message.reply_markup if isinstance(message, Message) else None
    if markup is None or not any(b.callback_data == query.data
                                 for row in markup.inline_keyboard for b in row):
        return
    rows = [[InlineKeyboardButton(label, callback_data=b.callback_data)
             if b.callback_data == query.data else b for b in row]
            for row in markup.inline_keyboard]
    await _edit_markup(query, InlineKeyboardMarkup(rows))


async def _edit_markup(query: CallbackQuery,
                       markup: InlineKeyboardMarkup | None) -> None:
    try:
        await query.edit_message_reply_markup(reply_markup=markup)
    except BadRequest as error:
        if not _not_modified(error):
            raise


def pressed(update: Update, codec: Codec) -> tuple[CallbackQuery, tuple[Any, ...]]:
    """The tapped button's query and its data, decoded. The handler is registered with the
    codec's pattern (handlers/__init__.py), so the data always decodes."""
    query = update.callback_query
    assert query is not None
    values = codec.decode(query.data)
    assert values is not None, "registered with the codec's pattern"
    return query, values


async def answer(query: CallbackQuery, text: str | None = None, *, alert: bool = False) -> None:
    """Stop the button's spinner, with a toast (or an alert box) when given one of render's
    HTML texts: Telegram shows those as plain text of at most 200 characters."""
    await query.answer(toast(text) if text else None, show_alert=alert)


async def offer_dashboard(update: Update, context: Any) -> None:
    """A leader's or admin's chat gets the dashboard as its menu button (when WEBAPP_URL is
    set); the button is a convenience, so Telegram refusing it changes nothing else."""
    url, chat = dashboard_url(), update.effective_chat
    if url is None or chat is None or chat.type != "private" or context.manager is None:
        return
    try:
        await context.bot.set_chat_menu_button(
            chat_id=chat.id, menu_button=MenuButtonWebApp(dashboard_label(), WebAppInfo(url)))
    except TelegramError as error:
        logger.warning("menu button not set for chat %s: %s", chat.id, error)
