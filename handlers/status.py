"""/status: a leader's (or admin's) digest of today so far, with drill-down buttons."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.context import Context
from bot.render.digest import (
    STATUS_PATTERN,
    digest_text,
    parse_status_callback,
    status_buttons,
    status_refused,
    status_title,
)
from bot.services.digest.status import StatusRefusal, StatusView, status_view
from handlers.family import keyboard

__all__ = ["STATUS_PATTERN", "show_status", "status_button"]



async def _view(update: Update, context: Context, unit_id: int | None) -> StatusView | \
        StatusRefusal:
    assert update.effective_user
    async with context.transaction() as session:
        return await status_view(
            session, telegram_user_id=update.effective_user.id,
            admin_ids=context.settings.admin_telegram_ids, unit_id=unit_id,
            now=context.now(), default_timezone=context.settings.default_timezone)


def _reply(view: StatusView) -> tuple[str, list[list[tuple[str, str]]]]:
    text = digest_text(view.digest, title=status_title(view.digest), full_lists=True)
    return text, status_buttons(view.digest, up=view.up)


async def show_status(update: Update, context: Context) -> None:
    """Today's figures for the asker's unit so far, a button per sub-unit."""
    message = update.effective_message
    assert message
    view = await _view(update, context, None)
    if isinstance(view, StatusRefusal):
        await message.reply_text(status_refused(view), parse_mode=ParseMode.HTML)
        return
    text, buttons = _reply(view)
    await message.reply_text(text, parse_mode=ParseMode.HTML,
                             reply_markup=keyboard(buttons) if buttons else None)


async def status_button(update: Update, context: Context) -> None:
    """Drill into a sub-unit (or back up); the unit is checked against the asker's scope."""
    query = update.callback_query
    assert query
    unit_id = parse_status_callback(query.data)
    if unit_id is None:
        from handlers.common import stale_button

        await stale_button(update, context)
        return
    view = await _view(update, context, unit_id)
    if isinstance(view, StatusRefusal):
        await query.answer(status_refused(view), show_alert=True)
        return
    await query.answer()
    text, buttons = _reply(view)
    try:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML,
                                      reply_markup=keyboard(buttons) if buttons else None)
    except BadRequest as error:
        if "not modified" not in error.message.lower():
            raise
