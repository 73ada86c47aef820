"""Fixtures of the machinery tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.sandbox import SandboxConfig, SandboxServer


@pytest.fixture
async def open_limits() -> AsyncIterator[SandboxServer]:
    """Telegram's limits off: every 429 is an injected one."""
    server = SandboxServer(SandboxConfig(global_rate=None, per_chat_rate=None))
    await server.start(host="127.0.0.1", port=0)
    try:
        yield server
    finally:
        await server.stop()
