"""/healthz, /readyz and /metrics of a running bot, through the sandbox; settings checks."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.config import ConfigError, load_settings
from bot.db import Database
from bot.db.models import OutboxMessage
from bot.runtime.web import WebServer, split_listen
from bot.sandbox import SandboxClient


@pytest.fixture
async def web(bot_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    server = WebServer(bot_app, "127.0.0.1:0")
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
            yield client
    finally:
        await server.stop()


def sample(text: str, name: str, labels: str = "") -> float:
    pattern = rf"^{re.escape(name)}{re.escape(labels)} (\S+)$"
    found = re.search(pattern, text, re.MULTILINE)
    assert found, f"{name}{labels} not in /metrics"
    return float(found.group(1))


async def test_healthz_and_readyz(web: httpx.AsyncClient) -> None:
    assert (await web.get("/healthz")).text == "ok\n"
    ready = await web.get("/readyz")
    assert (ready.status_code, ready.text) == (200, "ready\n")


async def readyz_on(web: httpx.AsyncClient, bot_app: Any, url: str) -> httpx.Response:
    """/readyz with the bot's database swapped for the one at `url`."""
    from bot.db import Database

    db, bot_app.bot_data.db = bot_app.bot_data.db, Database.from_url(url)
    try:
        return await web.get("/readyz")
    finally:
        await bot_app.bot_data.db.dispose()
        bot_app.bot_data.db = db


async def test_readyz_is_503_when_the_database_is_away(
    web: httpx.AsyncClient, bot_app: Any, tmp_path: Path
) -> None:
    ready = await readyz_on(web, bot_app,
                            f"sqlite+aiosqlite:///{tmp_path}/missing/none.sqlite3")
    assert ready.status_code == 503
    assert ready.text.startswith("database unreachable")


async def test_readyz_is_503_when_the_schema_is_behind(
    web: httpx.AsyncClient, bot_app: Any, tmp_path: Path
) -> None:
    empty = f"sqlite+aiosqlite:///{tmp_path}/empty.sqlite3"  # exists, never migrated
    ready = await readyz_on(web, bot_app, empty)
    assert (ready.status_code, ready.text) == (503, "database schema not at head\n")


async def test_metrics_count_updates_by_kind_and_read_the_outbox(
    web: httpx.AsyncClient, sb: SandboxClient, db: Database
) -> None:
    await sb.create_user(5101, "Bob", language_code="en")
    sent = await sb.send_text(5101, "/help")
    await sb.wait_for_bot_messages(5101, after=sent["message_id"])
    sent = await sb.send_text(5101, "hello there")
    await sb.wait_for_bot_messages(5101, after=sent["message_id"])
    async with db.transaction() as s:  # a row nobody can send yet: depth 1
        s.add(OutboxMessage(dedup_key="metrics-test", kind="notice", chat_id=5101,
                            payload={"method": "sendMessage", "text": "x"}))
    response = await web.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    assert sample(text, "selfreport_updates_total", '{kind="command"}') == 1
    assert sample(text, "selfreport_updates_total", '{kind="text"}') == 1
    assert sample(text, "selfreport_update_seconds_count", '{kind="command"}') == 1
    assert sample(text, "selfreport_reports_today") == 0
    assert sample(text, "selfreport_sends_total", '{result="blocked"}') == 0
    assert sample(text, "selfreport_instances_live") == 1
    assert sample(text, "selfreport_send_rate") == 30
    # The row may already be sent by the time of the scrape; either way it was counted.
    depth = sample(text, "selfreport_outbox_pending")
    sent_total = sample(text, "selfreport_sends_total", '{result="sent"}')
    assert depth + sent_total >= 1
    assert sample(text, "selfreport_outbox_oldest_age_seconds") >= 0
    assert "hello there" not in text  # labels are kinds, never content


@pytest.mark.parametrize("listen", ["9090", "host:", "a:b", ":70000"])
def test_a_bad_metrics_listen_is_refused(listen: str) -> None:
    with pytest.raises(ConfigError, match="METRICS_LISTEN"):
        load_settings({"METRICS_LISTEN": listen})


def test_metrics_listen_can_be_turned_off_and_parsed() -> None:
    assert load_settings({"METRICS_LISTEN": ""}).metrics_listen == ""
    assert split_listen(":9100") == ("0.0.0.0", 9100)
    assert split_listen("[::1]:9100") == ("::1", 9100)


async def test_run_serves_metrics_and_survives_a_taken_metrics_port(
    settings: Any, sb: SandboxClient, caplog: pytest.LogCaptureFixture
) -> None:
    """`run` starts the server beside the bot; a port already in use is logged, not fatal."""
    import asyncio
    import socket

    from bot.runtime.runner import run

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        stop = asyncio.Event()
        task = asyncio.create_task(run(settings.model_copy(
            update={"metrics_listen": f"127.0.0.1:{port}"}), stop))
        await sb.create_user(5201, "Carol", language_code="en")
        sent = await sb.send_text(5201, "/help")
        [reply] = await sb.wait_for_bot_messages(5201, after=sent["message_id"], timeout=20)
        stop.set()
        await asyncio.wait_for(task, 30)
    assert "/start" in reply["text"]
    assert "health and metrics server not started" in caplog.text
