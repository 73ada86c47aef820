"""The bot's Bot API transport (bot.runtime.http.AiohttpRequest) against the sandbox over
real HTTP: what PTB sends and reads arrives whole, and each failure is the error PTB's own
request class would raise."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.runtime.http import AiohttpRequest
from bot.sandbox import SandboxClient, SandboxServer
from tests.sandbox.util import png
from tests.support.processes import free_port
from tests.support.servers import serve


@pytest.fixture
async def bot(server: SandboxServer) -> AsyncIterator[Bot]:
    async with Bot(server.config.token, base_url=server.bot_base_url,
                   base_file_url=server.bot_base_file_url, request=AiohttpRequest(),
                   get_updates_request=AiohttpRequest(pool_size=1)) as the_bot:
        yield the_bot


async def test_a_message_with_a_keyboard_and_html_arrives_whole(sb: SandboxClient, bot: Bot,
                                                                  alice: int) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("好", callback_data="r:2026-12-06:ok")]])
    sent = await bot.send_message(alice, "<b>早上好</b> & 100% “well”", parse_mode="HTML",
                                  reply_markup=markup)
    assert sent.text == "早上好 & 100% “well”" and sent.reply_markup == markup
    (message,) = await sb.wait_for_bot_messages(alice, after=1)
    assert message["text"] == "早上好 & 100% “well”"


async def test_a_file_goes_up_and_comes_back_byte_for_byte(sb: SandboxClient, bot: Bot,
                                                           alice: int) -> None:
    image = png(64, 48)
    sent = await bot.send_photo(alice, image, caption="<b>趋势</b>", parse_mode="HTML")
    assert sent.caption == "趋势"
    assert await sb.file(sent.photo[-1].file_id) == image
    document = await bot.send_document(alice, b"id,name\n1,\xe5\xbc\xa0\n", filename="名单.csv")
    assert document.document is not None and document.document.file_name == "名单.csv"
    file = await bot.get_file(sent.photo[-1].file_id)
    assert bytes(await file.download_as_bytearray()) == image


async def test_updates_are_long_polled(sb: SandboxClient, bot: Bot, alice: int) -> None:
    updates = await bot.get_updates(timeout=1)  # alice's /start, waiting
    assert [u.message.text for u in updates if u.message] == ["/start"]
    later = asyncio.create_task(bot.get_updates(offset=updates[-1].update_id + 1, timeout=5))
    await asyncio.sleep(0.2)
    await sb.send_text(1001, "hello")
    assert [u.message.text for u in await later if u.message] == ["hello"]


async def test_telegram_s_refusals_are_ptb_s_errors(sb: SandboxClient, bot: Bot,
                                                     alice: int) -> None:
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(alice, " ")
    await sb.set_faults(rate_429=1.0, retry_after=3, methods=["sendMessage"])
    with pytest.raises(RetryAfter) as flood:
        await bot.send_message(alice, "x")
    assert flood.value.retry_after == timedelta(seconds=3)
    await sb.set_faults(rate_5xx=1.0, methods=["sendMessage"])
    with pytest.raises(NetworkError):
        await bot.send_message(alice, "x")


@pytest.fixture
async def silent_server() -> AsyncIterator[str]:
    """A server that accepts a request and answers it only when the test is over."""
    over = asyncio.Event()

    async def late(_request: web.Request) -> web.Response:
        await over.wait()
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", late)
    async with serve(app) as url:
        try:
            yield url
        finally:
            over.set()  # before the server's clean-up, which waits for its handlers


async def test_an_unanswered_request_times_out(silent_server: str) -> None:
    request = AiohttpRequest(read_timeout=0.3)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.post(f"{silent_server}/bot123:ABC/getMe")
    finally:
        await request.shutdown()


async def test_a_refused_connection_is_a_network_error() -> None:
    port = free_port()  # nobody listens on it
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as error:
            await request.post(f"http://127.0.0.1:{port}/bot123:ABC/getMe")
        assert not isinstance(error.value, TimedOut)
    finally:
        await request.shutdown()


async def test_it_works_again_after_shutdown_and_not_before_initialize(
        server: SandboxServer) -> None:
    request = AiohttpRequest()
    url = f"{server.bot_base_url}{server.config.token}/getMe"
    with pytest.raises(NetworkError, match="not initialized"):  # PTB wraps the RuntimeError
        await request.post(url)
    for _ in range(2):
        await request.initialize()
        assert (await request.post(url))["is_bot"] is True
        await request.shutdown()


async def test_a_proxy_from_the_environment_is_used_unless_the_host_is_excluded(
        monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    async def proxy(request: web.Request) -> web.Response:  # a plain HTTP proxy's view
        seen.append(str(request.url))
        return web.json_response({"ok": True, "result": {"via": "proxy"}})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", proxy)
    request = AiohttpRequest(connect_timeout=0.5)
    async with serve(app) as url:
        monkeypatch.setenv("HTTP_PROXY", url)
        monkeypatch.setenv("NO_PROXY", "direct.example")
        await request.initialize()
        try:
            assert await request.post("http://api.example/bot123:ABC/getMe") == {"via": "proxy"}
            assert seen == ["http://api.example/bot123:ABC/getMe"]
            with pytest.raises(NetworkError):  # excluded: straight to a host that does not exist
                await request.post("http://direct.example/bot123:ABC/getMe")
            assert len(seen) == 1
        finally:
            await request.shutdown()
