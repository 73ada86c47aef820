"""Webhooks: delivery with the secret header, in order, retried after failures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot
from telegram.error import Conflict

from bot.sandbox import SandboxClient, SandboxConfig
from tests.sandbox.conftest import MakeServer
from tests.sandbox.util import make_bot
from tests.support.servers import serve


@dataclass
class Receiver:
    """A tiny webhook endpoint that fails its first `failures` requests with 500."""

    failures: int = 1
    requests: list[tuple[str | None, dict[str, Any]]] = field(default_factory=list)
    delivered: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), body))
        if len(self.requests) <= self.failures:
            return web.Response(status=500)
        self.delivered.append(body)
        self.changed.set()
        return web.Response(text="")

    async def wait_delivered(self, count: int, timeout: float = 5) -> None:
        async def wait() -> None:
            while len(self.delivered) < count:
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(wait(), timeout)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    async with serve(app) as url:
        receiver.url = f"{url}/hook"
        yield receiver


async def test_delivery_with_secret_and_retry(make_server: MakeServer, receiver: Receiver) -> None:
    config = SandboxConfig(webhook_retry_initial=0.05, webhook_loopback_http=True)
    server = await make_server(config)
    async with SandboxClient(server.url) as sb, make_bot(server) as bot:
        await sb.create_user(1, "A")
        assert await bot.set_webhook(receiver.url, secret_token="s3cret_token-1")
        first = await sb.send_text(1, "/start")
        second = await sb.send_text(1, "second")
        await receiver.wait_delivered(2)
        assert [body["update_id"] for body in receiver.delivered] == [
            first["update_id"],
            second["update_id"],
        ]
        assert receiver.delivered[0]["message"]["text"] == "/start"
        # The first attempt failed with 500 and the same update came again, in order.
        assert [body["update_id"] for _, body in receiver.requests] == [
            first["update_id"],
            first["update_id"],
            second["update_id"],
        ]
        assert {secret for secret, _ in receiver.requests} == {"s3cret_token-1"}
        info = await bot.get_webhook_info()
        assert info.url == receiver.url and info.pending_update_count == 0
        assert (
            info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
        )


async def test_get_updates_conflicts_with_a_webhook(bot: Bot, sb: SandboxClient) -> None:
    await bot.set_webhook("https://127.0.0.1:8443/never", drop_pending_updates=True)
    with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
        await bot.get_updates()
    await sb.create_user(1, "A")
    await sb.send_text(1, "kept")
    assert (await bot.get_webhook_info()).pending_update_count == 1
    assert await bot.delete_webhook() is True
    assert [u.message.text for u in await bot.get_updates() if u.message] == ["kept"]


async def test_drop_pending_updates(bot: Bot, sb: SandboxClient) -> None:
    await sb.create_user(1, "A")
    await sb.send_text(1, "old")
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == ()


async def test_no_secret_no_header(make_server: MakeServer, receiver: Receiver) -> None:
    receiver.failures = 0
    server = await make_server(SandboxConfig(webhook_loopback_http=True))
    async with SandboxClient(server.url) as sb, make_bot(server) as bot:
        await sb.create_user(1, "A")
        await bot.set_webhook(receiver.url)
        await sb.send_text(1, "hi")
        await receiver.wait_delivered(1)
        assert receiver.requests[0][0] is None
