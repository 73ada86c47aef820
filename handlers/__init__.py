"""Thin Telegram adapters, registered in one ordered place.

Groups run in order for every update; within a group the first matching handler wins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, TypeHandler, filters

from handlers import common, errors, users

if TYPE_CHECKING:
    from bot.app import SelfreportApp

# Group -1 runs before everything: it sets the language for the whole update.
GROUP_USER = -1
GROUP_MAIN = 0


def register(app: SelfreportApp) -> None:
    app.add_handler(TypeHandler(Update, users.remember_user), group=GROUP_USER)

    app.add_handlers(
        [
            CommandHandler("start", common.start),
            CommandHandler("help", common.show_help),
            CommandHandler("language", common.choose_language),
            CallbackQueryHandler(common.language_chosen, pattern=f"^{common.LANGUAGE_PREFIX}"),
            # Last: whatever no handler above took.
            MessageHandler(filters.COMMAND, common.unknown_command),
            MessageHandler(filters.ALL, common.other_message),
            CallbackQueryHandler(common.stale_button),
        ],
        group=GROUP_MAIN,
    )
    app.add_error_handler(errors.on_error)
