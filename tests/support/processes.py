"""The bot as a real process (`python -m bot run`) against the sandbox, and waiting on a
condition with the bots' logs in the failure."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from bot.db import Database
    from bot.sandbox import SandboxServer

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A port the system had free a moment ago, for a server this test (or its bot) starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bot_env(sandbox: SandboxServer, db: Database, home: Path, **settings: str) -> dict[str, str]:
    """The environment of a `python -m bot run` subprocess: this checkout, the sandbox's Bot
    API, the test's database, and `settings` (SEND_RATE="20", ...)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": sandbox.config.token,
        "TELEGRAM_API_BASE_URL": sandbox.url,
        "DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
        **settings,
    }


async def start_bot_process(sandbox: SandboxServer, db: Database, tmp_path: Path, name: str,
                            **settings: str) -> asyncio.subprocess.Process:
    """`python -m bot run` in polling mode at SEND_RATE 20 (unless `settings` say otherwise),
    logging to tmp_path/<name>.log."""
    env = bot_env(sandbox, db, tmp_path, **{"SEND_RATE": "20", "LOG_LEVEL": "INFO", **settings})
    # cwd: no stray .env from the checkout; the log tells what happened if the test fails.
    with (tmp_path / f"{name}.log").open("wb") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env, stdout=log,
            stderr=asyncio.subprocess.STDOUT)


def bot_logs(tmp_path: Path) -> str:
    """The end of every bot's log in tmp_path."""
    return "\n".join(p.read_text(errors="replace")[-4000:] for p in sorted(tmp_path.glob("*.log")))


async def wait_for(condition: Callable[[], Awaitable[bool]], what: str, timeout: float,
                   tmp_path: Path | None = None, *, interval: float = 0.05) -> None:
    """Until `condition()`; after `timeout` seconds, TimeoutError with the logs of the bot
    processes in `tmp_path` (none for a bot in the test's own process)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await condition():
        if loop.time() > deadline:
            logs = f"; bot logs:\n{bot_logs(tmp_path)}" if tmp_path is not None else ""
            raise TimeoutError(f"{what} within {timeout}s{logs}")
        await asyncio.sleep(interval)


@pytest.fixture
async def bot_db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated SQLite file of this test's own, for bot processes to share with the test
    (a fixture: a test module uses it by importing it)."""
    from bot.db import Database, migrate

    url = f"sqlite+aiosqlite:///{tmp_path}/bot.sqlite3"
    await migrate.upgrade(url)
    db = Database.from_url(url)
    try:
        yield db
    finally:
        await db.dispose()
