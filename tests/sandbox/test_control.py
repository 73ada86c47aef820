"""The control API's own behaviour: users, validation, block/unblock, reset, the client."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from telegram import Bot, ChatMemberBanned, ChatMemberMember

from bot.sandbox import SandboxClient, SandboxError, SandboxServer
from tests.sandbox.conftest import ALICE
from tests.sandbox.util import png


async def test_users_are_upserted(sb: SandboxClient) -> None:
    created = await sb.create_user(ALICE, "Alice", language_code="zh-hans")
    assert created["started"] is False and created["blocked"] is False
    await sb.create_user(ALICE, "Alicia", phone_number="+8613800000001")
    (user,) = await sb.users()
    assert user["id"] == ALICE
    assert (user["first_name"], user["phone_number"]) == ("Alicia", "+8613800000001")
    assert user["language_code"] == "zh-hans"  # not given again: kept


async def test_language_code_reaches_the_bot(sb: SandboxClient, bot: Bot) -> None:
    await sb.create_user(ALICE, "Alice", language_code="en-GB")
    await sb.send_text(ALICE, "hi")
    (update,) = await bot.get_updates()
    assert update.effective_user is not None and update.effective_user.language_code == "en-GB"


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/sandbox/users", {"user_id": "x", "first_name": "A"}, 400),
        ("/sandbox/users", {"user_id": 5}, 400),
        ("/sandbox/users", [1, 2], 400),
        ("/sandbox/users/5/send", {"text": "hi"}, 404),
        (f"/sandbox/users/{ALICE}/send", {"text": "hi", "contact": True}, 400),
        (f"/sandbox/users/{ALICE}/send", {"text": ""}, 400),
        (
            f"/sandbox/users/{ALICE}/send",
            {"document": {"file_name": "a", "content_base64": "!"}},
            400,
        ),
        (f"/sandbox/users/{ALICE}/send", {"forward": "text"}, 400),
        ("/sandbox/faults", {"rate_429": 2}, 400),
        ("/sandbox/users/5/block", {}, 404),
    ],
)
async def test_bad_control_requests(
    server: SandboxServer, alice: int, path: str, body: object, status: int
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.post(path, json=body)
    assert response.status_code == status
    assert isinstance(response.json()["error"], str)


async def test_block_and_unblock_notify_the_bot(sb: SandboxClient, bot: Bot, alice: int) -> None:
    assert (await sb.block(alice))["blocked"] is True
    assert (await sb.unblock(alice))["blocked"] is False
    updates = (await bot.get_updates())[1:]
    assert [type(u.my_chat_member.new_chat_member) for u in updates if u.my_chat_member] == [
        ChatMemberBanned,
        ChatMemberMember,
    ]


async def test_reset_clears_the_world_but_not_update_ids(
    sb: SandboxClient, bot: Bot, alice: int
) -> None:
    before = (await sb.send_text(alice, "x"))["update_id"]
    await bot.send_message(alice, "reply")
    await sb.set_faults(rate_5xx=1.0)
    await sb.reset()
    assert await sb.users() == []
    stats = await sb.stats()
    assert stats["calls"] == {} and stats["messages_per_chat"] == {}
    assert stats["faults"] == {"429": 0, "5xx": 0, "delayed": 0}
    await sb.create_user(alice, "Alice")
    assert (await sb.send_text(alice, "again"))["update_id"] > before
    assert (await sb.chat(alice))[0]["message_id"] == 1
    assert [u.message.text for u in await bot.get_updates() if u.message] == ["again"]


async def test_wait_for_bot_messages_times_out_with_the_transcript(
    sb: SandboxClient, alice: int
) -> None:
    with pytest.raises(TimeoutError, match=r"(?s)expected 1 bot message.*#1 user: '/start'"):
        await sb.wait_for_bot_messages(alice, after=1, timeout=0.3)


async def test_wait_until_sees_edits(sb: SandboxClient, bot: Bot, alice: int) -> None:
    sent = await bot.send_message(alice, "draft")

    def edited(transcript: list[dict[str, object]]) -> bool:
        return any(m.get("edited") for m in transcript)

    waiter = asyncio.create_task(sb.wait_until(alice, edited, timeout=5))
    await asyncio.sleep(0.1)
    assert not waiter.done()
    await bot.edit_message_text("final", alice, sent.message_id)
    transcript = await asyncio.wait_for(waiter, 3)
    assert transcript[-1]["text"] == "final"
    with pytest.raises(TimeoutError, match="condition not met"):
        await sb.wait_until(alice, lambda t: len(t) > 10, timeout=0.2)


async def test_unknown_file_and_user(sb: SandboxClient) -> None:
    with pytest.raises(SandboxError) as caught:
        await sb.file("nope")
    assert caught.value.status == 404
    with pytest.raises(SandboxError) as caught:
        await sb.chat(77)
    assert caught.value.status == 404


async def test_the_chat_page_gets_a_photos_size_and_may_keep_its_file(
        sb: SandboxClient, bot: Bot, server: SandboxServer, alice: int) -> None:
    """The page keeps a photo's room before it loads, and need not fetch it again each time it
    draws the chat (a file_id names its content)."""
    sent = await bot.send_photo(alice, png(64, 48))
    (message,) = await sb.wait_for_bot_messages(alice, after=1)
    assert (message["photo"]["width"], message["photo"]["height"]) == (64, 48)
    async with httpx.AsyncClient(base_url=server.url) as http:
        response = await http.get(f"/sandbox/files/{sent.photo[-1].file_id}")
    assert response.status_code == 200
    assert "immutable" in response.headers["cache-control"]
    assert "max-age=" in response.headers["cache-control"]
