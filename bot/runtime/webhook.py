"""Receiving updates by webhook: a small aiohttp server that trusts only Telegram.

Each request must carry the secret Telegram was given (`X-Telegram-Bot-Api-Secret-Token`,
compared in constant time) before anything of its body is read, and a body of at most
MAX_BODY bytes: a forged post is refused with 403 and an oversized one with 413 without
costing memory. A good update goes into the Application's queue, as PTB's own webhook does
(python-telegram-bot's customwebhookbot example); PTB's tornado server reads the whole body
(up to 100 MB) before it looks at the secret.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update

from bot.runtime.web import split_listen

if TYPE_CHECKING:
    from collections.abc import Callable

    from bot.config import Settings
    from bot.runtime.app import SelfreportApp

logger = logging.getLogger(__name__)

# Telegram's largest update (a message of 4,096 characters with entities, a reply, a
# keyboard) is a few tens of kilobytes; 1 MB leaves room and refuses everything else.
MAX_BODY = 1024 * 1024
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_APP_KEY: web.AppKey[Any] = web.AppKey("bot", object)
_SECRET_KEY: web.AppKey[bytes] = web.AppKey("secret", bytes)


async def receive_update(request: web.Request) -> web.Response:
    """One update from Telegram: checked, queued, answered 200 at once."""
    given = request.headers.get(SECRET_HEADER, "").encode()
    if not hmac.compare_digest(given, request.app[_SECRET_KEY]):
        return web.Response(status=403)
    if request.content_length is not None and request.content_length > MAX_BODY:
        return web.Response(status=413)
    try:
        data = json.loads(await request.read())  # read() stops at client_max_size: 413
    except (ValueError, UnicodeDecodeError):
        return web.Response(status=400)
    bot: SelfreportApp = request.app[_APP_KEY]
    if not isinstance(data, dict):
        return web.Response(status=400)
    try:
        update = Update.de_json(data, bot.bot)
    except (KeyError, TypeError, ValueError):
        return web.Response(status=400)
    await bot.update_queue.put(update)
    return web.Response()


class WebhookServer:
    """Serves WEBHOOK_URL's path on WEBHOOK_LISTEN and registers the webhook with Telegram."""

    def __init__(self, bot: SelfreportApp, settings: Settings,
                 more_routes: Callable[[web.Application], None] | None = None) -> None:
        assert settings.webhook_url and settings.webhook_secret
        self._bot = bot
        self._url = settings.webhook_url
        self._secret = settings.webhook_secret
        self.host, self.port = split_listen(settings.webhook_listen)
        app = web.Application(client_max_size=MAX_BODY)
        app[_APP_KEY] = bot
        app[_SECRET_KEY] = self._secret.encode()
        app.router.add_post("/" + urlsplit(self._url).path.lstrip("/"), receive_update)
        if more_routes is not None:  # the dashboard, when it shares this address
            more_routes(app)
        self._runner = web.AppRunner(app, access_log=None)

    async def start(self) -> None:
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        await self._bot.bot.set_webhook(self._url, secret_token=self._secret,
                                        allowed_updates=Update.ALL_TYPES)
        logger.info("receiving updates by webhook at %s", self._url)

    async def stop(self) -> None:
        await self._runner.cleanup()
