"""Shared fixtures: databases (SQLite always, PostgreSQL when TEST_DATABASE_URL is set), the
Bot API sandbox, and the real Application polling it over HTTP.

Nothing here can reach the network: the bot's base URL is always the sandbox's.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.config import Settings, load_settings
from bot.db import Database, migrate
from bot.db.models import Base
from tests.support.chat import REPLY_TIMEOUT

if TYPE_CHECKING:
    from bot.sandbox import SandboxClient, SandboxServer

# Reading RetryAfter.retry_after warns without it, and warnings are errors here.
os.environ.setdefault("PTB_TIMEDELTA", "true")

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgres"]


# The tests that start bot processes and measure rates run one after another on one worker
# (`make test` distributes by xdist group): side by side they would slow each other's bot
# processes down (each kill -9 test runs two or three, ~40-60 s). Together they take ~5
# minutes, so they start early, beside the rest; not first, while every worker starts up
# (imports, migrations), when the machine is busiest.
ONE_WORKER = (
    "tests/production/test_two_instances.py::",
    "tests/notices/test_kill.py::",
    "tests/machinery/test_restart.py::",
    "tests/machinery/test_dispatcher.py::",
)
ONE_WORKER_AFTER = 200  # tests


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    grouped = [item for item in items if item.nodeid.startswith(ONE_WORKER)]
    for item in grouped:
        item.add_marker(pytest.mark.xdist_group("bot_processes"))
    rest = [item for item in items if not item.nodeid.startswith(ONE_WORKER)]
    items[:] = rest[:ONE_WORKER_AFTER] + grouped + rest[ONE_WORKER_AFTER:]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test: migrating once keeps the suite fast."""
    import asyncio

    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    asyncio.run(migrate.upgrade(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated, dropped at the end."""
    import asyncio

    if not PG_URL:
        pytest.skip("PostgreSQL: TEST_DATABASE_URL is not set")
    admin_url = make_url(PG_URL).set(drivername="postgresql")
    name = f"selfreport_test_{uuid.uuid4().hex[:12]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(admin_url.render_as_string(hide_password=False))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(drivername="postgresql+asyncpg", database=name)
    url_text = url.render_as_string(hide_password=False)
    asyncio.run(migrate.upgrade(url_text))
    try:
        yield url_text
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database on each backend."""
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_database"))
    path = tmp_path / "test.sqlite3"
    shutil.copy(request.getfixturevalue("sqlite_template"), path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database.from_url(database_url)
    try:
        yield database
    finally:
        if database.engine.dialect.name == "postgresql":
            tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            async with database.engine.begin() as conn:
                await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        await database.dispose()


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    from bot.sandbox import SandboxConfig, SandboxServer

    # Telegram's own limits (1 call a second per chat after a burst of 3, edits and callback
    # answers included): the bot has to pass them as it would have to in production. A test
    # that needs more overrides this fixture with a sandbox of its own (as
    # tests/onboarding/test_contact_flood.py does). The bot serves its webhook over plain
    # http on 127.0.0.1 in tests/integration.
    server = SandboxServer(SandboxConfig(callback_answer_timeout=REPLY_TIMEOUT,
                                         webhook_loopback_http=True))
    await server.start(host="127.0.0.1", port=0)
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def sb(sandbox: SandboxServer) -> AsyncIterator[SandboxClient]:
    from bot.sandbox import SandboxClient

    async with SandboxClient(sandbox.url, wait_timeout=REPLY_TIMEOUT) as client:
        yield client


@pytest.fixture
def settings(sandbox: SandboxServer, database_url: str) -> Settings:
    return load_settings(
        {},
        telegram_bot_token=sandbox.config.token,
        telegram_api_base_url=sandbox.url,
        database_url=database_url,
        # Tests that want the health/metrics server give it a free port of their own.
        metrics_listen="",
    )


@pytest.fixture
async def bot_app(settings: Settings, db: Database) -> AsyncIterator[object]:
    """The real Application, polling the sandbox, on the test's database."""
    from bot.runtime.runner import start_bot, stop_bot

    app = await start_bot(settings, db, poll_timeout=1)
    try:
        yield app
    finally:
        await stop_bot(app)


@pytest.fixture(autouse=True)
def _no_wall_clock_tick(monkeypatch: pytest.MonkeyPatch) -> None:
    """The minute tick would prompt linked test members whenever the real clock is inside
    their prompt window: tests run the tick themselves (`bot.runtime.jobs.tick_now`) at a time they
    choose. tests/machinery turns the job back on where it is the subject."""
    monkeypatch.setattr("bot.runtime.jobs.TICK_JOB_ENABLED", False)


@pytest.fixture(autouse=True)
def _this_year_is_2026(monkeypatch: pytest.MonkeyPatch) -> None:
    """A date shows its year only when it is not this year (bot.i18n.fmt_date): the tests'
    days are in 2026, and their expected texts hold whatever year the suite runs in."""
    monkeypatch.setattr("bot.i18n._this_year", lambda: 2026)
