"""Pressing inline buttons: callback_query updates and answerCallbackQuery."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest

from bot.sandbox import SandboxClient, SandboxConfig, SandboxError
from tests.sandbox.conftest import MakeServer
from tests.sandbox.util import make_bot

MARKUP = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("All well", callback_data="r:2020-02-01:ok")],
        [InlineKeyboardButton("Help", url="https://example.org")],
    ]
)


async def _answer_next(bot: Bot, offset: int = 0, **answer: object) -> tuple[int, str | None]:
    """Act as the bot: fetch the next callback query, answer it; (next offset, its data)."""
    while True:
        updates = await bot.get_updates(offset=offset, timeout=5)
        for update in updates:
            offset = update.update_id + 1
            if update.callback_query is not None:
                await update.callback_query.answer(**answer)  # type: ignore[arg-type]
                return offset, update.callback_query.data


async def test_press_by_label_round_trip(sb: SandboxClient, bot: Bot, alice: int) -> None:
    sent = await bot.send_message(alice, "How are you?", reply_markup=MARKUP)
    press = asyncio.create_task(sb.press(alice, sent.message_id, button="All well"))
    _, data = await _answer_next(bot, text="Recorded", show_alert=True)
    assert data == "r:2020-02-01:ok"
    result = await press
    assert result["answered"] is True
    assert (result["text"], result["show_alert"], result["url"]) == ("Recorded", True, None)


async def test_callback_query_carries_the_message(sb: SandboxClient, bot: Bot, alice: int) -> None:
    sent = await bot.send_message(alice, "How are you?", reply_markup=MARKUP)
    press = asyncio.create_task(sb.press(alice, sent.message_id, callback_data="stale:data"))
    updates = await bot.get_updates(offset=2, timeout=5)  # /start was update 1
    query = updates[-1].callback_query
    assert query is not None and query.data == "stale:data"
    assert query.from_user.id == alice
    assert query.message is not None and query.message.message_id == sent.message_id
    assert isinstance(query.message, Message) and query.message.reply_markup == MARKUP
    assert await query.answer() is True
    assert (await press)["answered"] is True
    with pytest.raises(BadRequest, match="^Query is too old"):
        await query.answer()  # a query is answered once


async def test_unanswered_press(sb: SandboxClient, bot: Bot, alice: int) -> None:
    sent = await bot.send_message(alice, "How are you?", reply_markup=MARKUP)
    assert (await sb.press(alice, sent.message_id, button="All well", timeout=0.2)) == {
        "answered": False,
        "callback_query_id": (await bot.get_updates())[-1].callback_query.id,  # type: ignore[union-attr]
    }


async def test_query_expires(make_server: MakeServer) -> None:
    server = await make_server(SandboxConfig(callback_query_ttl=0.2))
    async with SandboxClient(server.url) as sb, make_bot(server) as bot:
        await sb.create_user(1, "A")
        await sb.send_text(1, "hi")
        sent = await bot.send_message(1, "Q", reply_markup=MARKUP)
        await sb.press(1, sent.message_id, button="All well", timeout=0.05)
        query = (await bot.get_updates())[-1].callback_query
        assert query is not None
        await asyncio.sleep(0.3)
        with pytest.raises(BadRequest, match="^Query is too old"):
            await query.answer()


async def test_answer_text_limit(sb: SandboxClient, bot: Bot, alice: int) -> None:
    sent = await bot.send_message(alice, "Q", reply_markup=MARKUP)
    press = asyncio.create_task(sb.press(alice, sent.message_id, button="All well", timeout=3))
    updates = await bot.get_updates(offset=2, timeout=5)
    query = updates[-1].callback_query
    assert query is not None
    with pytest.raises(BadRequest, match="^Message_too_long$"):
        await query.answer("x" * 201)
    await query.answer("y" * 200)
    assert (await press)["text"] == "y" * 200


@pytest.mark.parametrize(
    ("kwargs", "status"),
    [
        ({"button": "Nope"}, 404),
        ({"button": "Help"}, 400),  # a URL button has no callback_data
        ({"callback_data": "x" * 65}, 400),
        ({}, 400),
    ],
)
async def test_bad_presses(
    sb: SandboxClient, bot: Bot, alice: int, kwargs: dict[str, Any], status: int
) -> None:
    sent = await bot.send_message(alice, "Q", reply_markup=MARKUP)
    with pytest.raises(SandboxError) as caught:
        await sb.press(alice, sent.message_id, **kwargs)
    assert caught.value.status == status


async def test_press_needs_a_bot_message(sb: SandboxClient, alice: int) -> None:
    with pytest.raises(SandboxError) as caught:
        await sb.press(alice, 1, callback_data="x")  # message 1 is Alice's own /start
    assert caught.value.status == 404
