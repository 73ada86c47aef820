"""Two bot processes on one PostgreSQL against the sandbox: the prompt fan-out is split
between them at a shared SEND_RATE, one is killed -9 in the middle, and every member still
gets exactly one prompt. Their /readyz and /metrics are read over HTTP."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text

from bot.db import Database
from bot.db.models import Base, OutboxMessage, OutboxStatus
from bot.sandbox import SandboxClient, SandboxConfig, SandboxServer
from tests.machinery.helpers import seed_members, seed_unit, started, zone_where_it_is

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = range(7000, 7300)
SEND_RATE = 20


@pytest.fixture
async def pg(postgres_database: str) -> AsyncIterator[Database]:
    database = Database.from_url(postgres_database)
    try:
        yield database
    finally:
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        async with database.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        await database.dispose()


@pytest.fixture
async def tight_sandbox() -> AsyncIterator[SandboxServer]:
    """Telegram's overall limit a little above SEND_RATE: two instances each sending at the
    whole SEND_RATE would draw 429s within seconds; sharing it draws none."""
    server = SandboxServer(SandboxConfig(global_rate=SEND_RATE * 1.25))
    await server.start(host="127.0.0.1", port=0)
    try:
        yield server
    finally:
        await server.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Instance:
    def __init__(self, name: str, process: asyncio.subprocess.Process, web: int) -> None:
        self.name, self.process, self.web = name, process, web

    async def get(self, path: str) -> httpx.Response:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.web}") as client:
            return await client.get(path)


async def start_instance(sandbox: SandboxServer, db: Database, tmp_path: Path,
                         name: str) -> Instance:
    hook, web = free_port(), free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": sandbox.config.token,
        "TELEGRAM_API_BASE_URL": sandbox.url,
        "DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
        "WEBHOOK_URL": f"http://127.0.0.1:{hook}/telegram",
        "WEBHOOK_LISTEN": f"127.0.0.1:{hook}",
        "WEBHOOK_SECRET": "s3cret-token",
        "METRICS_LISTEN": f"127.0.0.1:{web}",
        "SEND_RATE": str(SEND_RATE),
        "LOG_LEVEL": "INFO",
    }
    with (tmp_path / f"{name}.log").open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env, stdout=log,
            stderr=asyncio.subprocess.STDOUT)
    return Instance(name, process, web)


async def wait_for(condition: Callable[[], Awaitable[bool]], what: str, timeout: float,
                   tmp_path: Path) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await condition():
        if loop.time() > deadline:
            raise TimeoutError(f"{what} within {timeout}s; bot logs:\n{bot_logs(tmp_path)}")
        await asyncio.sleep(0.05)


def bot_logs(tmp_path: Path) -> str:
    return "\n".join(p.read_text(errors="replace")[-4000:] for p in sorted(tmp_path.glob("*.log")))


async def delivered(sb: SandboxClient) -> dict[str, int]:
    stats = await sb.stats()
    return {chat: n for chat, n in stats["messages_per_chat"].items() if int(chat) in MEMBERS}


async def sent_chats(db: Database) -> set[int]:
    async with db.transaction() as s:
        return set((await s.scalars(select(OutboxMessage.chat_id).where(
            OutboxMessage.status == OutboxStatus.SENT))).all())


async def test_two_instances_share_the_rate_and_survive_a_kill_9(
    tight_sandbox: SandboxServer, pg: Database, tmp_path: Path
) -> None:
    sandbox = tight_sandbox
    async with pg.transaction() as s:
        # The real clock is inside this unit's prompt window: the bots' own minute job fires.
        unit = await seed_unit(s, timezone=zone_where_it_is(12), prompt_time="06:00",
                               deadline_time="23:00", reminder_times="")
        await seed_members(s, unit, MEMBERS)
    started(sandbox, MEMBERS)

    async with SandboxClient(sandbox.url) as sb:
        a, b = await asyncio.gather(start_instance(sandbox, pg, tmp_path, "a"),
                                    start_instance(sandbox, pg, tmp_path, "b"))
        try:
            await run_scenario(sb, pg, a, b, tmp_path)
        finally:
            for instance in (a, b):
                if instance.process.returncode is None:
                    instance.process.kill()
                    await instance.process.wait()


async def run_scenario(sb: SandboxClient, pg: Database, a: Instance, b: Instance,
                       tmp_path: Path) -> None:
    async def both_ready() -> bool:
        dead = [i.name for i in (a, b) if i.process.returncode is not None]
        assert not dead, f"{dead} exited at start:\n{bot_logs(tmp_path)}"
        try:
            codes = [(await i.get("/readyz")).status_code for i in (a, b)]
        except httpx.TransportError:
            return False
        return codes == [200, 200]

    await wait_for(both_ready, "both instances ready", 60, tmp_path)

    def some(n: int) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            return sum((await delivered(sb)).values()) >= n
        return check

    await wait_for(some(40), "the fan-out under way", 60, tmp_path)
    loop = asyncio.get_running_loop()
    t0, n0 = loop.time(), sum((await delivered(sb)).values())
    await wait_for(some(n0 + 80), "80 more prompts", 30, tmp_path)
    rate = (sum((await delivered(sb)).values()) - n0) / (loop.time() - t0)
    assert rate <= SEND_RATE * 1.1, f"combined rate {rate:.1f}/s"

    # Freeze every send (flood control), so that nothing is in flight; then kill b.
    await sb.set_faults(rate_429=1.0, retry_after=10, methods=["sendMessage"])

    async def quiet() -> bool:
        faults = (await sb.stats())["faults"]["429"]
        return faults > 0 and len(await sent_chats(pg)) == len(await delivered(sb))

    await wait_for(quiet, "both dispatchers paused", 15, tmp_path)
    b.process.send_signal(signal.SIGKILL)
    await b.process.wait()
    at_kill = await delivered(sb)
    assert 120 <= sum(at_kill.values()) < len(MEMBERS)
    await sb.clear_faults()

    async def all_sent() -> bool:
        assert a.process.returncode is None, f"a exited:\n{bot_logs(tmp_path)}"
        async with pg.transaction() as s:
            pending = await s.scalar(select(func.count()).select_from(OutboxMessage)
                                     .where(OutboxMessage.status != OutboxStatus.SENT))
            total = await s.scalar(select(func.count()).select_from(OutboxMessage))
        return total == len(MEMBERS) and pending == 0

    # b's claimed rows come back when their lease (30 s) runs out.
    await wait_for(all_sent, "every prompt sent", 120, tmp_path)
    metrics = (await a.get("/metrics")).text
    assert "selfreport_instances_live 1.0" in metrics  # b's heartbeat stopped
    assert f"selfreport_send_rate {float(SEND_RATE)}" in metrics
    a.process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(a.process.wait(), 30) == 0

    final = await delivered(sb)
    assert final == {str(m): 1 for m in MEMBERS}  # everyone, exactly once
    stats = await sb.stats()
    # No 429 but the injected ones: the two never sent faster than Telegram allows.
    assert stats["errors"]["429"] == stats["faults"]["429"]
    logs = (tmp_path / "a.log").read_text() + (tmp_path / "b.log").read_text()
    assert "2 live instance(s)" in logs
