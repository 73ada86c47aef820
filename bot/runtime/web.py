"""The operators' HTTP endpoints of one bot process, on METRICS_LISTEN, in both modes.

- ``/healthz``: the process is up and its event loop answers (liveness);
- ``/readyz``: the database answers and its schema is at this code's migration head, and the
  bot is running (readiness: a load balancer sends webhook traffic only to ready instances);
- ``/metrics``: Prometheus text format (bot.runtime.metrics).

A small aiohttp server of its own rather than routes on PTB's webhook server: PTB builds its
tornado application internally with no way to add routes, and polling mode has no server.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.db import migrate

if TYPE_CHECKING:
    from bot.runtime.app import SelfreportApp

logger = logging.getLogger(__name__)

READY_TIMEOUT = 5.0
_APP_KEY: web.AppKey[Any] = web.AppKey("bot", object)


def split_listen(listen: str, default_host: str = "0.0.0.0") -> tuple[str, int]:
    """"host:port" (or ":port") → (host, port); ValueError on anything else."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"expected HOST:PORT, got {listen!r}")
    return host.strip("[]") or default_host, int(port)


def _bot(request: web.Request) -> SelfreportApp:
    bot: SelfreportApp = request.app[_APP_KEY]
    return bot


async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok\n")


async def readyz(request: web.Request) -> web.Response:
    bot = _bot(request)
    problems = []
    if not bot.running:
        problems.append("bot not running")
    try:
        assert bot.bot_data.db is not None
        if not await asyncio.wait_for(migrate.at_head(bot.bot_data.db), READY_TIMEOUT):
            problems.append("database schema not at head")
    except Exception as exc:  # unreachable, timed out, wrong credentials...
        problems.append(f"database unreachable ({type(exc).__name__})")
    if problems:
        return web.Response(status=503, text="; ".join(problems) + "\n")
    return web.Response(text="ready\n")


async def metrics(request: web.Request) -> web.Response:
    bot = _bot(request)
    data = bot.bot_data
    if data.metrics is None or data.db is None or data.settings is None:
        return web.Response(status=503, text="metrics not set up\n")
    await data.metrics.refresh(data.db, now=data.clock(), zone=data.settings.default_timezone)
    return web.Response(body=data.metrics.render(),
                        headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})


def create_web_app(bot: SelfreportApp) -> web.Application:
    app = web.Application()
    app[_APP_KEY] = bot
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    return app


class WebServer:
    """`await start()` after the bot has started, `await stop()` before it stops."""

    def __init__(self, bot: SelfreportApp, listen: str) -> None:
        self.host, self.port = split_listen(listen)
        self._runner = web.AppRunner(create_web_app(bot), access_log=None)
        self._site: web.TCPSite | None = None

    async def start(self) -> None:
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, self.host, self.port)
        await self._site.start()
        sockets = self._runner.addresses
        if sockets:
            self.port = sockets[0][1]  # port 0: the one the system chose
        logger.info("health and metrics at http://%s:%d/ (healthz, readyz, metrics)",
                    self.host, self.port)

    async def stop(self) -> None:
        await self._runner.cleanup()
