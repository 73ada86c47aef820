"""`selfreport demo`: the sandbox, a seeded SQLite organisation and the bot, in one process."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Settings
from bot.db import Database, migrate
from bot.runner import start_bot, stop_bot, stop_on_signals
from bot.sandbox import SandboxClient, SandboxConfig, SandboxServer
from bot.services.demo_seed import seed_demo

logger = logging.getLogger(__name__)


async def run_demo(
    settings: Settings,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    fresh: bool = False,
    stop: asyncio.Event | None = None,
    announce: bool = True,
) -> None:
    """Start everything, print where to chat, and run until Ctrl-C (or `stop`)."""
    if fresh:
        _remove_sqlite(settings.database_url)
    stop = stop or asyncio.Event()
    stop_on_signals(stop)
    sandbox_config = SandboxConfig()
    sandbox = SandboxServer(sandbox_config)
    await sandbox.start(host=host, port=port)
    db: Database | None = None
    try:
        settings = settings.model_copy(
            update={"telegram_bot_token": sandbox_config.token,
                    "telegram_api_base_url": sandbox.url, "webhook_url": None}
        )
        await migrate.upgrade(settings.database_url)
        db = Database.from_url(settings.database_url)
        async with db.transaction() as session:
            people = await seed_demo(session, now=datetime.now(UTC))
        async with SandboxClient(sandbox.url) as client:
            for user_id, person in people:
                await client.create_user(user_id, person.name, language_code="zh-hans",
                                         phone_number=person.phone)
        app = await start_bot(settings, db)
        try:
            if announce:
                print(f"selfreport demo: open {sandbox.url}/ to chat with the bot as any demo "
                      f"user. Database: {settings.database_url}. Ctrl-C stops.", flush=True)
            await stop.wait()
        finally:
            await stop_bot(app)
    finally:
        if db is not None:
            await db.dispose()
        await sandbox.stop()


def _remove_sqlite(url: str) -> None:
    from bot.db.engine import async_url

    parsed = async_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return
    for suffix in ("", "-wal", "-shm"):
        Path(parsed.database + suffix).unlink(missing_ok=True)
