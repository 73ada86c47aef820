"""A real telegram.ext.Application, unchanged, polling the sandbox end to end."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.sandbox import SandboxClient, SandboxConfig, SandboxServer
from tests.sandbox.conftest import MakeServer


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet and ask the daily question."""
    assert update.effective_message is not None and update.effective_user is not None
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("All well", callback_data="r:ok")]])
    await update.effective_message.reply_html(
        f"Hello <b>{update.effective_user.first_name}</b>! How are you?", reply_markup=keyboard
    )


async def record(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the button and replace the question by the result."""
    query = update.callback_query
    assert query is not None
    await query.answer("Recorded")
    await query.edit_message_text("Thanks, recorded.")


async def contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Confirm a shared phone number."""
    assert update.effective_message is not None and update.effective_message.contact
    await update.effective_message.reply_text(
        f"Got {update.effective_message.contact.phone_number}"
    )


@pytest.fixture
async def server(make_server: MakeServer) -> SandboxServer:
    # A PTB Application without a rate limiter makes four calls in a second in one chat
    # below, one over Telegram's burst: this test is about the protocol (the limits have
    # tests of their own), so it allows a longer burst.
    return await make_server(SandboxConfig(per_chat_burst=5))


@pytest.fixture
async def app(server: SandboxServer) -> AsyncIterator[Application]:
    application = (
        ApplicationBuilder()
        .token(server.config.token)
        .base_url(server.bot_base_url)
        .base_file_url(server.bot_base_file_url)
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CallbackQueryHandler(record))
    application.add_handler(MessageHandler(filters.CONTACT, contact))
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0, timeout=1)
    yield application
    await application.updater.stop()
    await application.stop()
    await application.shutdown()


async def test_ptb_runs_unchanged(app: Application, sb: SandboxClient) -> None:
    await sb.create_user(42, "Mei", phone_number="+8613800000042")
    sent = await sb.send_text(42, "/start@selfreport_bot")
    (greeting,) = await sb.wait_for_bot_messages(42, after=sent["message_id"])
    assert greeting["text"] == "Hello Mei! How are you?"
    assert greeting["entities"] == [{"offset": 6, "length": 3, "type": "bold"}]

    answer = await sb.press(42, greeting["message_id"], button="All well")
    assert answer["answered"] is True and answer["text"] == "Recorded"
    transcript = await sb.wait_until(42, lambda t: t[1]["text"] == "Thanks, recorded.")
    assert transcript[1]["edited"] is True and transcript[1]["reply_markup"] is None

    await sb.send_own_contact(42)
    (reply,) = await sb.wait_for_bot_messages(42, after=greeting["message_id"])
    assert reply["text"] == "Got +8613800000042"
    assert app.bot.username == "selfreport_bot"
