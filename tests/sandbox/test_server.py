"""Starting and stopping the sandbox: SandboxServer and serve_forever."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from bot.sandbox import SandboxClient, SandboxConfig, SandboxServer, serve_forever
from tests.sandbox.util import make_bot


async def test_serve_forever_returns_when_cancelled() -> None:
    ready: asyncio.Future[SandboxServer] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        serve_forever(SandboxConfig(), "127.0.0.1", 0, on_ready=ready.set_result)
    )
    server = await asyncio.wait_for(ready, 5)
    url = server.url
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{url}/bot{server.config.token}/getMe")
    assert response.json()["result"]["username"] == "selfreport_bot"
    task.cancel()
    assert await asyncio.wait_for(task, 5) is None  # returns, does not raise
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as http:
            await http.get(f"{url}/sandbox/users")


async def test_stop_ends_waiting_long_polls_quickly() -> None:
    server = SandboxServer()
    await server.start()
    bot = make_bot(server)
    await bot.initialize()
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await asyncio.sleep(0.2)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await server.stop()
    assert await asyncio.wait_for(poll, 5) == ()
    assert loop.time() - started < 3
    await bot.shutdown()


async def test_context_manager_and_url() -> None:
    async with SandboxServer() as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert server.bot_base_url == f"{server.url}/bot"
        async with SandboxClient(server.url) as sb:
            assert await sb.users() == []
    with pytest.raises(RuntimeError):
        _ = server.url


async def test_chat_page_is_served(server: SandboxServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        page = await http.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "/sandbox/users" in page.text
