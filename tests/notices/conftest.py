"""The notices' tests run with one administrator who has no roster row (ADMIN_TELEGRAM_IDS)."""

from __future__ import annotations

import pytest

from bot.config import Settings, load_settings
from bot.sandbox import SandboxServer

ADMIN = 6900


@pytest.fixture
def settings(sandbox: SandboxServer, database_url: str) -> Settings:
    return load_settings(
        {},
        telegram_bot_token=sandbox.config.token,
        telegram_api_base_url=sandbox.url,
        database_url=database_url,
        admin_telegram_ids=str(ADMIN),
    )
