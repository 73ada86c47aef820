"""The one place an unexpected error ends up: logged without content, apologised for."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, NetworkError, RetryAfter, TelegramError

from bot.context import Context
from bot.i18n import _

logger = logging.getLogger(__name__)


async def on_error(update: object, context: Context) -> None:
    """Log the failure (ids only, never message text) and tell the user, in their language."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    user_id = update.effective_user.id if isinstance(update, Update) and update.effective_user \
        else None
    if isinstance(error, Forbidden):
        logger.info("update %s: user %s has blocked the bot", update_id, user_id)
        return
    if isinstance(error, RetryAfter):
        # Apologising would be one more message into the same flood limit.
        logger.warning("update %s: Telegram asked us to slow down", update_id)
        return
    if isinstance(error, NetworkError):
        logger.warning("update %s: network error talking to Telegram: %s", update_id,
                       type(error).__name__)
        return
    logger.error("update %s from user %s failed", update_id, user_id,
                 exc_info=(type(error), error, error.__traceback__) if error else None)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    try:
        await context.bot.send_message(
            update.effective_chat.id,
            _("Sorry, something went wrong on my side. Please try again in a moment."),
        )
    except TelegramError:
        logger.warning("update %s: could not send the apology", update_id)
