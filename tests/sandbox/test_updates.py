"""getMe, getUpdates and what users send, through a real telegram.Bot."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from telegram import Bot, MessageEntity, MessageOriginChannel, MessageOriginHiddenUser
from telegram.error import Conflict

from bot.sandbox import SandboxClient, SandboxServer
from bot.sandbox.client import SandboxError
from tests.sandbox.conftest import ALICE, BOB
from tests.sandbox.util import make_bot


async def test_get_me(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username) == (123456, True, "selfreport_bot")
    assert me.first_name == "selfreport"
    assert me.can_join_groups is True
    assert me.supports_inline_queries is False
    assert bot.username == "selfreport_bot"  # `async with bot` called getMe


async def test_get_updates_offset_semantics(sb: SandboxClient, bot: Bot) -> None:
    await sb.create_user(ALICE, "Alice")
    ids = [(await sb.send_text(ALICE, f"m{i}"))["update_id"] for i in range(3)]
    assert ids == sorted(ids) and len(set(ids)) == 3

    first = await bot.get_updates()
    assert [u.update_id for u in first] == ids
    assert [u.message.text for u in first if u.message] == ["m0", "m1", "m2"]
    # Nothing is confirmed until an offset says so.
    assert [u.update_id for u in await bot.get_updates()] == ids
    assert [u.update_id for u in await bot.get_updates(limit=1)] == ids[:1]
    assert [u.update_id for u in await bot.get_updates(offset=ids[1])] == ids[1:]
    # ids[0] was confirmed by that offset and is gone for good.
    assert [u.update_id for u in await bot.get_updates()] == ids[1:]
    assert await bot.get_updates(offset=ids[2] + 1) == ()
    assert await bot.get_updates() == ()

    later = [(await sb.send_text(ALICE, f"n{i}"))["update_id"] for i in range(3)]
    # A negative offset keeps only the last -offset updates.
    assert [u.update_id for u in await bot.get_updates(offset=-1)] == later[-1:]
    assert [u.update_id for u in await bot.get_updates()] == later[-1:]


async def test_long_poll_returns_as_soon_as_a_user_writes(sb: SandboxClient, bot: Bot) -> None:
    await sb.create_user(ALICE, "Alice")
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    assert not poll.done()
    await sb.send_text(ALICE, "hello")
    updates = await asyncio.wait_for(poll, 3)
    assert [u.message.text for u in updates if u.message] == ["hello"]
    assert time.monotonic() - started < 2


async def test_long_poll_times_out_empty(bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert 0.9 < time.monotonic() - started < 3


async def test_a_newer_get_updates_ends_the_waiting_one(server: SandboxServer, bot: Bot) -> None:
    # Two bot instances polling: the one already waiting gets the 409, as on Telegram.
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    async with make_bot(server) as second:
        assert await second.get_updates() == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await asyncio.wait_for(first, 3)


async def test_allowed_updates_filters_new_updates(sb: SandboxClient, bot: Bot) -> None:
    await sb.create_user(ALICE, "Alice")
    await bot.get_updates(allowed_updates=["callback_query"])
    await sb.send_text(ALICE, "not wanted")
    assert await bot.get_updates() == ()
    await bot.get_updates(allowed_updates=[])
    await sb.send_text(ALICE, "wanted")
    assert [u.message.text for u in await bot.get_updates() if u.message] == ["wanted"]


@pytest.mark.parametrize(
    ("text", "command_length"),
    [("/start", 6), ("/start@selfreport_bot", 21), ("/report 36.6", 7)],
)
async def test_commands_carry_a_bot_command_entity(
    sb: SandboxClient, bot: Bot, text: str, command_length: int
) -> None:
    await sb.create_user(ALICE, "Alice")
    await sb.send_text(ALICE, text)
    (update,) = await bot.get_updates()
    assert update.message is not None
    assert update.message.entities == (
        MessageEntity(MessageEntity.BOT_COMMAND, offset=0, length=command_length),
    )
    assert update.message.from_user is not None and update.message.from_user.id == ALICE
    assert update.message.chat.type == "private" and update.message.chat.id == ALICE


async def test_plain_text_has_no_entities(sb: SandboxClient, bot: Bot) -> None:
    await sb.create_user(ALICE, "Alice")
    await sb.send_text(ALICE, "a/b and 36.6")
    (update,) = await bot.get_updates()
    assert update.message is not None and update.message.entities == ()


async def test_nobody_sends_a_card_with_their_own_id_and_another_number(
    sb: SandboxClient,
) -> None:
    await sb.create_user(ALICE, "Alice", phone_number="+8613800000001")
    with pytest.raises(SandboxError, match="sender's own phone_number"):
        await sb.send_contact(ALICE, "+8613900000009", contact_user_id=ALICE)


async def test_own_and_foreign_contacts(sb: SandboxClient, bot: Bot) -> None:
    await sb.create_user(ALICE, "Alice", last_name="Liu", phone_number="+8613800000001")
    await sb.send_own_contact(ALICE)
    await sb.send_contact(ALICE, "+8613900000002", first_name="Wang")
    await sb.send_contact(ALICE, "+8613900000003", contact_user_id=BOB)
    own, foreign, attributed = [u.message.contact for u in await bot.get_updates() if u.message]
    assert own is not None and foreign is not None and attributed is not None
    assert (own.phone_number, own.user_id, own.first_name) == ("+8613800000001", ALICE, "Alice")
    assert (foreign.phone_number, foreign.user_id, foreign.first_name) == (
        "+8613900000002",
        None,
        "Wang",
    )
    assert attributed.user_id == BOB


async def test_own_contact_needs_a_phone(sb: SandboxClient, server: SandboxServer) -> None:
    await sb.create_user(ALICE, "Alice")
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post(f"/sandbox/users/{ALICE}/send", json={"contact": True})
    assert response.status_code == 400 and "phone_number" in response.json()["error"]


async def test_forwarded_messages(sb: SandboxClient, bot: Bot) -> None:
    await sb.create_user(ALICE, "Alice")
    await sb.send_forward(ALICE, "Drinking hot water cures it", from_chat_title="Rumour Mill")
    await sb.send_forward(ALICE, "Something I heard")
    channel, hidden = [u.message for u in await bot.get_updates() if u.message]
    assert channel.text == "Drinking hot water cures it"
    assert isinstance(channel.forward_origin, MessageOriginChannel)
    assert channel.forward_origin.chat.title == "Rumour Mill"
    assert isinstance(hidden.forward_origin, MessageOriginHiddenUser)
    assert hidden.forward_origin.sender_user_name
    transcript = await sb.chat(ALICE)
    assert transcript[0]["forward"]["from_chat_title"] == "Rumour Mill"


async def test_user_document_via_get_file(sb: SandboxClient, bot: Bot) -> None:
    await sb.create_user(ALICE, "Alice")
    content = b"unit,name,phone\nGroup,Li,+8613800000001\n"
    await sb.send_document(ALICE, "roster.csv", content)
    (update,) = await bot.get_updates()
    assert update.message is not None and update.message.document is not None
    document = update.message.document
    assert (document.file_name, document.mime_type, document.file_size) == (
        "roster.csv",
        "text/csv",
        len(content),
    )
    file = await bot.get_file(document.file_id)
    assert file.file_path is not None and file.file_path.startswith(bot.base_file_url)
    assert bytes(await file.download_as_bytearray()) == content


async def test_message_ids_increase_per_chat(sb: SandboxClient, bot: Bot) -> None:
    await sb.create_user(ALICE, "Alice")
    await sb.create_user(BOB, "Bob")
    a1 = await sb.send_text(ALICE, "a")
    b1 = await sb.send_text(BOB, "b")
    sent = await bot.send_message(ALICE, "reply")
    a2 = await sb.send_text(ALICE, "again")
    assert (a1["message_id"], sent.message_id, a2["message_id"]) == (1, 2, 3)
    assert b1["message_id"] == 1
    assert sent.from_user is not None and sent.from_user.id == bot.id
