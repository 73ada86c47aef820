"""The dashboard's API against the real Application (polling the sandbox) with its web app
server on a free port; the small organisation of tests/support/builders.py plus an admin.

Group (Gina, leader) ├── Company A (Alan, leader) │   └── Branch 1: Mia, Dora, Ben
                     └── Company B (Bob, leader): Cara
Ada (6008) is an admin by ADMIN_TELEGRAM_IDS, without a roster row.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from bot.config import Settings, load_settings
from bot.db import Database
from bot.sandbox import SandboxServer
from bot.services.webapp.initdata import sign
from tests.support.builders import NOW, running_clock
from tests.support.processes import free_port

ADA = 6008


@pytest.fixture
def settings(sandbox: SandboxServer, database_url: str) -> Settings:
    port = free_port()
    return load_settings(
        {}, telegram_bot_token=sandbox.config.token, telegram_api_base_url=sandbox.url,
        database_url=database_url, metrics_listen="", admin_telegram_ids=str(ADA),
        webapp_listen=f"127.0.0.1:{port}", webapp_url=f"http://127.0.0.1:{port}/webapp/")


def init_data(user_id: int, token: str, *, at: datetime = NOW, language: str = "en",
              query_id: str | None = None) -> str:
    """initData as Telegram would give user `user_id` at `at`."""
    user = json.dumps({"id": user_id, "first_name": f"U{user_id}", "language_code": language})
    return sign({"auth_date": str(int(at.timestamp())), "user": user,
                 "query_id": query_id or "AA" + secrets.token_urlsafe(12)},
                token)


class Api:
    """Calls the dashboard's API as a Telegram user (a fresh initData per sign-in)."""

    def __init__(self, client: httpx.AsyncClient, token: str):
        self.client, self.token = client, token

    async def session(self, user_id: int, **kw: Any) -> httpx.Response:
        return await self.client.post("/webapp/api/session",
                                      json={"init_data": init_data(user_id, self.token, **kw)})

    async def as_user(self, user_id: int) -> dict[str, str]:
        r = await self.session(user_id)
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}

    async def get(self, path: str, user_id: int, **params: Any) -> httpx.Response:
        return await self.client.get(path, params=params, headers=await self.as_user(user_id))

    async def post(self, path: str, user_id: int, body: Any = None) -> httpx.Response:
        return await self.client.post(path, json=body if body is not None else {},
                                      headers=await self.as_user(user_id))


@pytest.fixture
async def api(bot_app: Any, settings: Settings, db: Database) -> AsyncIterator[Api]:
    bot_app.bot_data.clock = running_clock(NOW)
    base = settings.webapp_url.removesuffix("/webapp/")  # type: ignore[union-attr]
    async with httpx.AsyncClient(base_url=base, timeout=20) as client:
        yield Api(client, settings.require_token())
