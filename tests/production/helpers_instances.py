"""Bot instances as subprocesses (`python -m bot run`, webhook mode, /readyz and /metrics),
and a round-robin reverse proxy that stands in front of several instances as the production
one does."""

from __future__ import annotations

import asyncio
import itertools
import sys
from collections import Counter
from pathlib import Path

import aiohttp
import httpx
from aiohttp import web

from bot.db import Database
from bot.sandbox import SandboxServer
from tests.support.processes import bot_env, bot_logs, free_port, wait_for

__all__ = ["bot_logs", "wait_for"]

SECRET = "k3J9_x-Qm2Lp7Rt5Vw8Yz1Ab4Cd6Ef0Gh"


class Instance:
    def __init__(self, name: str, process: asyncio.subprocess.Process, web: int,
                 hook: int) -> None:
        self.name, self.process, self.web, self.hook = name, process, web, hook

    async def get(self, path: str) -> httpx.Response:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.web}") as client:
            return await client.get(path)

    async def ready(self) -> bool:
        assert self.process.returncode is None, f"{self.name} exited"
        try:
            return (await self.get("/readyz")).status_code == 200
        except httpx.TransportError:
            return False

    async def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


async def start_instance(sandbox: SandboxServer, db: Database, tmp_path: Path, name: str, *,
                         send_rate: float, webhook_url: str | None = None) -> Instance:
    """A bot in webhook mode on its own port; the webhook it sets is its own address unless
    `webhook_url` (a proxy in front of several instances) is given."""
    hook, web_port = free_port(), free_port()
    env = bot_env(sandbox, db, tmp_path,
                  WEBHOOK_URL=webhook_url or f"http://127.0.0.1:{hook}/telegram",
                  WEBHOOK_LISTEN=f"127.0.0.1:{hook}", WEBHOOK_SECRET=SECRET,
                  METRICS_LISTEN=f"127.0.0.1:{web_port}", SEND_RATE=str(send_rate),
                  LOG_LEVEL="INFO")
    with (tmp_path / f"{name}.log").open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env, stdout=log,
            stderr=asyncio.subprocess.STDOUT)
    return Instance(name, process, web_port, hook)


class RoundRobinProxy:
    """Hands each webhook update to the next instance in turn, and to the one after it when
    that one refuses the connection (it died): the reverse proxy of the README."""

    def __init__(self) -> None:
        self.instances: list[Instance] = []  # filled in once they are started
        self._turns = itertools.count()
        self.handled: Counter[str] = Counter()  # updates each instance accepted
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/telegram", self._forward)
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() in ("content-type", "x-telegram-bot-api-secret-token")}
        for _ in range(len(self.instances)):
            instance = self.instances[next(self._turns) % len(self.instances)]
            try:
                async with self._session.post(f"http://127.0.0.1:{instance.hook}/telegram",
                                              data=body, headers=headers) as resp:
                    answer = await resp.read()
            except aiohttp.ClientConnectionError:
                continue  # that instance is gone: the next one takes the update
            if 200 <= resp.status < 300:
                self.handled[instance.name] += 1
            return web.Response(status=resp.status, body=answer)
        return web.Response(status=502, text="no instance up")
