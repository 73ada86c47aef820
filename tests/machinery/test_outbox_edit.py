"""The outbox's edit payload (a prompt once its day is reported): the message sent earlier is
edited in place and loses its buttons; an edit repeated (after a crash, before it was
recorded) is done, not an error; an edit of a message that is gone is Telegram's refusal."""

from __future__ import annotations

import pytest
from telegram.error import BadRequest

from bot.outbox.sending import PayloadSender
from bot.sandbox import SandboxClient, SandboxServer
from tests.machinery.test_dispatcher import bot_for, users

CHAT = 1201


async def test_an_edit_changes_the_message_in_place_once_and_again(
    open_limits: SandboxServer
) -> None:
    async with SandboxClient(open_limits.url) as sb:
        await users(sb, [CHAT])
        async with bot_for(open_limits) as bot:
            sender = PayloadSender(bot)
            sent = await sender.send(CHAT, {
                "method": "sendMessage", "text": "<b>Asking</b>", "parse_mode": "HTML",
                "reply_markup": {"inline_keyboard": [[{"text": "Tap", "callback_data": "x"}]]}})
            edit = {"method": "editMessageText", "message_id": sent.message_id,
                    "text": "<b>Reported</b>", "parse_mode": "HTML"}
            edited = await sender.send(CHAT, edit)
            again = await sender.send(CHAT, edit)  # "message is not modified": done
            assert edited.message_id == again.message_id == sent.message_id
            with pytest.raises(BadRequest):
                await sender.send(CHAT, {**edit, "message_id": 99999})
        [_start, message] = await sb.chat(CHAT)
    assert message["message_id"] == sent.message_id and message["text"] == "Reported"
    assert message["edited"] and not message.get("reply_markup")
