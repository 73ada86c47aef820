"""Serving the dashboard: the page at /webapp/ (static files of this package, nothing from a
CDN) and its API (bot.webapp.api), on WEBAPP_LISTEN in polling and webhook mode. Given the
same address as WEBHOOK_LISTEN, the routes join the webhook's server (`add_routes`) instead
of opening a second one on the same port."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from bot.runtime.web import split_listen
from bot.webapp import api
from bot.webapp.auth import BOT_KEY

if TYPE_CHECKING:
    from bot.runtime.app import SelfreportApp

logger = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
# The page runs only its own files; the chart is inline SVG, the data comes from /webapp/api.
POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
          "connect-src 'self'; object-src 'none'; base-uri 'none'")


async def page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html", headers={
        "Content-Security-Policy": POLICY, "Cache-Control": "no-cache",
        "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"})


async def to_page(request: web.Request) -> web.Response:
    raise web.HTTPMovedPermanently("/webapp/")


def add_routes(app: web.Application, bot: SelfreportApp) -> None:
    """The page and its API on an aiohttp application (its own, or the webhook's)."""
    app[BOT_KEY] = bot
    app.router.add_get("/webapp", to_page)
    app.router.add_get("/webapp/", page)
    app.router.add_static("/webapp/static/", STATIC, append_version=False)
    api.add_routes(app)


class WebAppServer:
    """`await start()` once the bot runs, `await stop()` before it stops."""

    def __init__(self, bot: SelfreportApp, listen: str) -> None:
        self.host, self.port = split_listen(listen)
        app = web.Application(client_max_size=64 * 1024)
        add_routes(app, bot)
        self._runner = web.AppRunner(app, access_log=None)

    async def start(self) -> None:
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        if self._runner.addresses:
            self.port = self._runner.addresses[0][1]  # port 0: the one the system chose
        logger.info("dashboard (Mini App) at http://%s:%d/webapp/", self.host, self.port)

    async def stop(self) -> None:
        await self._runner.cleanup()
