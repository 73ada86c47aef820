from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from telegram import Bot

from bot.sandbox import SandboxClient, SandboxConfig, SandboxServer
from tests.sandbox.util import make_bot

MakeServer = Callable[..., Awaitable[SandboxServer]]

ALICE = 1001
BOB = 1002


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB warns (an error here) when a RetryAfter is built unless it may use timedelta.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def make_server() -> AsyncIterator[MakeServer]:
    """Start sandboxes with a given config; all are stopped after the test."""
    servers: list[SandboxServer] = []

    async def make(config: SandboxConfig | None = None) -> SandboxServer:
        server = SandboxServer(config)
        await server.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        await server.stop()


@pytest.fixture
async def server(make_server: MakeServer) -> SandboxServer:
    return await make_server()


@pytest.fixture
async def sb(server: SandboxServer) -> AsyncIterator[SandboxClient]:
    async with SandboxClient(server.url) as client:
        yield client


@pytest.fixture
async def bot(server: SandboxServer) -> AsyncIterator[Bot]:
    async with make_bot(server) as the_bot:
        yield the_bot


@pytest.fixture
async def alice(sb: SandboxClient) -> int:
    """A user who has started the bot (one pending /start update)."""
    await sb.create_user(ALICE, "Alice", last_name="Liu", phone_number="+8613800000001")
    await sb.send_text(ALICE, "/start")
    return ALICE
