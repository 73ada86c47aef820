"""Telegram's rules the sandbox enforces as strictly as Telegram: edits, callback answers and
chat actions count against the rate limits; keyboards within 10 kB, 100 buttons, 8 a row, with
text, valid URLs and callback_data; webhooks on https and Telegram's ports; photos that decode."""

from __future__ import annotations

import asyncio
import datetime as dtm
import io
import json
import os

import httpx
import pytest
from PIL import Image
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, RetryAfter

from bot.sandbox import SandboxClient, SandboxConfig, SandboxError
from bot.sandbox.markup import markup_size
from tests.sandbox.conftest import MakeServer
from tests.sandbox.util import jpeg, make_bot, png


async def _api(bot: Bot, method: str, **data: object) -> httpx.Response:
    """A raw Bot API call (PTB refuses some malformed markups before sending them)."""
    fields = {k: json.dumps(v) if isinstance(v, dict | list) else str(v) for k, v in data.items()}
    async with httpx.AsyncClient() as http:
        return await http.post(f"{bot.base_url}/{method}", data=fields)


async def test_edits_answers_and_chat_actions_draw_429s_like_sends(
    make_server: MakeServer,
) -> None:
    server = await make_server(SandboxConfig(per_chat_rate=1.0, per_chat_burst=3))
    async with SandboxClient(server.url) as sb, make_bot(server) as bot:
        await sb.create_user(1, "A")
        await sb.send_text(1, "/start")
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
        sent = await bot.send_message(1, "0", reply_markup=keyboard)
        await bot.edit_message_text("1", 1, sent.message_id, reply_markup=keyboard)
        await bot.edit_message_text("2", 1, sent.message_id, reply_markup=keyboard)
        with pytest.raises(RetryAfter) as caught:
            await bot.edit_message_text("3", 1, sent.message_id, reply_markup=keyboard)
        assert caught.value.retry_after == dtm.timedelta(seconds=1)
        with pytest.raises(RetryAfter):
            await bot.edit_message_reply_markup(1, sent.message_id)
        with pytest.raises(RetryAfter):
            await bot.send_chat_action(1, "typing")
        press = asyncio.create_task(sb.press(1, sent.message_id, callback_data="go", timeout=5))
        [update] = [u for u in await bot.get_updates(timeout=5) if u.callback_query]
        assert update.callback_query is not None
        with pytest.raises(RetryAfter):
            await update.callback_query.answer("ok")
        await asyncio.sleep(1.05)  # one token back: the answer goes through
        assert await update.callback_query.answer("ok")
        assert (await press)["answered"] is True
        stats = await sb.stats()
        assert stats["flood_limited"] == {"1": 4} and stats["errors"]["429"] == 4
        # The refused edit changed nothing.
        [message] = await sb.chat(1) and [m for m in await sb.chat(1) if m["from"] == "bot"]
        assert message["text"] == "2"


def _button(i: int, text: str | None = None) -> dict[str, str]:
    return {"text": text if text is not None else f"B{i}", "callback_data": f"d{i}"}


@pytest.mark.parametrize("markup, error", [
    ({"inline_keyboard": [[_button(i) for i in range(9)]]}, "reply markup is too long"),
    ({"inline_keyboard": [[_button(r * 8 + i) for i in range(8)] for r in range(13)]},
     "reply markup is too long"),
    ({"inline_keyboard": [[_button(i, "长" * 100)] for i in range(40)]},
     "reply markup is too long"),
    ({"inline_keyboard": [[_button(1, "")]]}, "BUTTON_TEXT_INVALID"),
    ({"inline_keyboard": [[_button(1, "  ")]]}, "BUTTON_TEXT_INVALID"),
    ({"inline_keyboard": [[{"text": "x", "callback_data": "d" * 65}]]}, "BUTTON_DATA_INVALID"),
    ({"inline_keyboard": [[{"text": "x", "callback_data": ""}]]}, "BUTTON_DATA_INVALID"),
    ({"inline_keyboard": [[{"text": "x", "url": "ftp://example.org/a"}]]}, "BUTTON_URL_INVALID"),
    ({"inline_keyboard": [[{"text": "x", "url": "javascript:alert(1)"}]]}, "BUTTON_URL_INVALID"),
    ({"inline_keyboard": [[{"text": "x", "url": "https://"}]]}, "BUTTON_URL_INVALID"),
    ({"inline_keyboard": [[{"text": "x", "url": "https://a b.org"}]]}, "BUTTON_URL_INVALID"),
    ({"inline_keyboard": [[{"text": "x", "url": "tg://user?id=42"}]]},
     "BUTTON_USER_PRIVACY_RESTRICTED"),
    ({"keyboard": [["a"] * 13]}, "reply markup is too long"),
    ({"keyboard": [[{"text": ""}]]}, "BUTTON_TEXT_INVALID"),
])
async def test_keyboards_beyond_telegrams_limits_are_refused(
    bot: Bot, alice: int, markup: dict[str, object], error: str
) -> None:
    answer = await _api(bot, "sendMessage", chat_id=alice, text="x", reply_markup=markup)
    assert answer.status_code == 400
    assert answer.json()["description"] == f"Bad Request: {error}"


async def test_keyboards_at_the_limits_are_taken(bot: Bot, alice: int) -> None:
    full = {"inline_keyboard": [[_button(r * 8 + i) for i in range(8)] for r in range(12)]
            + [[_button(96 + i) for i in range(4)]]}
    assert sum(len(r) for r in full["inline_keyboard"]) == 100 and markup_size(full) < 10240
    links = {"inline_keyboard": [[{"text": "a", "url": "https://example.org/x?y=1"},
                                  {"text": "b", "url": "http://example.org"},
                                  {"text": "c", "url": "tg://resolve?domain=selfreport_bot"}]]}
    for markup in (full, links):
        answer = await _api(bot, "sendMessage", chat_id=alice, text="x", reply_markup=markup)
        assert answer.status_code == 200, answer.text


async def test_an_edit_with_a_keyboard_too_big_is_refused_and_changes_nothing(
    bot: Bot, sb: SandboxClient, alice: int
) -> None:
    sent = await bot.send_message(alice, "before")
    too_big = InlineKeyboardMarkup([[InlineKeyboardButton(f"按钮{i}" * 20, callback_data=f"{i}")]
                                    for i in range(60)])
    with pytest.raises(BadRequest, match="Reply markup is too long"):
        await bot.edit_message_text("after", alice, sent.message_id, reply_markup=too_big)
    [message] = [m for m in await sb.chat(alice) if m["from"] == "bot"]
    assert message["text"] == "before" and not message["edited"]


async def test_a_link_to_a_user_in_the_text_becomes_a_mention(
    bot: Bot, sb: SandboxClient, alice: int
) -> None:
    await sb.create_user(7, "Wen")
    sent = await bot.send_message(
        alice, 'Call <a href="tg://user?id=7">Wen</a> or <a href="tg://user?id=8">Nobody</a>',
        parse_mode="HTML")
    assert [(e.type, e.user.id if e.user else None) for e in sent.entities] == [
        ("text_mention", 7)]
    assert sent.entities[0].user is not None and sent.entities[0].user.first_name == "Wen"


@pytest.mark.parametrize("url, ok", [
    ("https://bot.example.org/hook", True),
    ("https://bot.example.org:8443/hook", True),
    ("https://bot.example.org:88/hook", True),
    ("https://bot.example.org:80/hook", True),
    ("https://bot.example.org:8080/hook", False),
    ("http://bot.example.org/hook", False),
    ("http://127.0.0.1:8080/hook", False),  # only with webhook_loopback_http
    ("ftp://bot.example.org/hook", False),
])
async def test_webhooks_only_on_https_and_telegrams_ports(bot: Bot, url: str, ok: bool) -> None:
    if ok:
        assert await bot.set_webhook(url)
        await bot.delete_webhook()
    else:
        with pytest.raises(BadRequest, match="^Bad webhook: "):
            await bot.set_webhook(url)


async def test_plain_http_to_loopback_only_when_allowed(make_server: MakeServer) -> None:
    server = await make_server(SandboxConfig(webhook_loopback_http=True))
    async with make_bot(server) as bot:
        assert await bot.set_webhook("http://127.0.0.1:8080/hook")
        assert await bot.set_webhook("http://localhost:9/hook")
        with pytest.raises(BadRequest, match="(?i)https url must be provided"):
            await bot.set_webhook("http://bot.example.org:8080/hook")
        await bot.delete_webhook()


@pytest.mark.parametrize("data, error", [
    (b"not an image at all", "IMAGE_PROCESS_FAILED"),
    (png(64, 48)[:60], "IMAGE_PROCESS_FAILED"),  # cut short
    (jpeg(40, 40)[:-200], "IMAGE_PROCESS_FAILED"),
    (png(5000, 5001), "PHOTO_INVALID_DIMENSIONS"),  # over 10,000 together
    (png(420, 20), "PHOTO_INVALID_DIMENSIONS"),  # 21 : 1
])
async def test_photos_that_telegram_cannot_process_are_refused(
    bot: Bot, sb: SandboxClient, alice: int, data: bytes, error: str
) -> None:
    with pytest.raises(BadRequest, match=f"(?i){error}"):
        await bot.send_photo(alice, data)
    assert [m for m in await sb.chat(alice) if m["from"] == "bot"] == []


async def test_photo_size_limit(make_server: MakeServer) -> None:
    server = await make_server(SandboxConfig(max_photo_bytes=1000))
    async with SandboxClient(server.url) as sb, make_bot(server) as bot:
        await sb.create_user(1, "A")
        await sb.send_text(1, "/start")
        out = io.BytesIO()
        Image.frombytes("L", (64, 64), os.urandom(64 * 64)).save(out, "PNG")
        big = out.getvalue()
        assert len(big) > 1000
        with pytest.raises(BadRequest, match="(?i)PHOTO_SAVE_FILE_INVALID"):
            await bot.send_photo(1, big)
        # As a document the same bytes go through.
        assert (await bot.send_document(1, big, filename="big.png")).document is not None
        assert (await bot.send_photo(1, jpeg(20, 20))).photo[-1].width == 20


async def test_a_user_sends_a_photo_and_the_bot_gets_it(
    bot: Bot, sb: SandboxClient, alice: int
) -> None:
    image = jpeg(640, 480)
    sent = await sb.send_photo(alice, image, caption="体温计 38.6℃")
    updates = [u for u in await bot.get_updates() if u.message and u.message.photo]
    [message] = [u.message for u in updates if u.message]
    assert message.message_id == sent["message_id"] and message.caption == "体温计 38.6℃"
    size = message.photo[-1]
    assert (size.width, size.height) == (640, 480)
    assert await (await bot.get_file(size.file_id)).download_as_bytearray() == image
    # The bot can send it on by file_id.
    forwarded = await bot.send_photo(alice, size.file_id)
    assert forwarded.photo[-1].file_id == size.file_id
    with pytest.raises(SandboxError, match="IMAGE_PROCESS_FAILED"):
        await sb.send_photo(alice, b"GIF89a broken")


async def test_a_mention_survives_an_edit(bot: Bot, sb: SandboxClient, alice: int) -> None:
    await sb.create_user(7, "Wen")
    sent = await bot.send_message(alice, "Call Wen", parse_mode="HTML")
    edited = await bot.edit_message_text('Call <a href="tg://user?id=7">Wen</a>', alice,
                                         sent.message_id, parse_mode="HTML")
    assert not isinstance(edited, bool) and edited.entities[0].type == "text_mention"
    assert edited.entities[0].user is not None and edited.entities[0].user.first_name == "Wen"
