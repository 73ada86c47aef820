"""Running the bot: polling or webhook, until SIGINT/SIGTERM; and the offline demo."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import gc
import logging
import signal
from contextlib import suppress

from telegram import Update

from bot.config import Settings
from bot.db import Database, migrate
from bot.runtime.app import SelfreportApp, build_application
from bot.runtime.web import WebServer, split_listen
from bot.runtime.webhook import WebhookServer
from bot.webapp.server import WebAppServer
from bot.webapp.server import add_routes as add_webapp_routes

logger = logging.getLogger(__name__)


def settle_heap() -> None:
    """Once the bot has started: what start-up loaded (modules, the knowledge base's index,
    catalogues, fonts) lives as long as the process, so it is moved out of the garbage
    collector's sight (gc.freeze). A full collection — which a large roster import triggers —
    then walks only what came after: 70 ms instead of 300 on this machine, during which
    every chat waits. Then the C allocator gives back the pages that start-up's temporaries
    (the migration run, the index being built) left free (glibc's malloc_trim; elsewhere
    nothing): about 10 MB of the idle process (benchmarks/README.md "Memory")."""
    gc.collect()
    gc.freeze()
    trim_heap()


def trim_heap() -> None:
    """Return free heap pages to the system (glibc only; a no-op elsewhere)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)


async def start_bot(settings: Settings, db: Database, *, poll_timeout: int = 30) -> SelfreportApp:
    """Initialise and start the Application and its update source; returns it running."""
    app = build_application(settings, db)
    await app.initialize()
    # As Application.run_polling does; initialize()/shutdown() alone skip the post_* hooks.
    if app.post_init:
        await app.post_init(app)
    await app.start()
    assert app.updater is not None
    shared = bool(settings.webapp_url and settings.webhook_url and split_listen(
        settings.webapp_listen) == split_listen(settings.webhook_listen))
    if settings.webhook_url:
        webhook = app.bot_data.webhook = WebhookServer(
            app, settings, (lambda web_app: add_webapp_routes(web_app, app)) if shared else None)
        await webhook.start()
    else:
        await app.updater.start_polling(allowed_updates=Update.ALL_TYPES, timeout=poll_timeout)
        logger.info("receiving updates by long polling from %s", settings.telegram_api_base_url)
    if settings.webapp_url and not shared:
        webapp = app.bot_data.webapp = WebAppServer(app, settings.webapp_listen)
        await webapp.start()
    return app


async def stop_bot(app: SelfreportApp) -> None:
    if app.bot_data.webapp is not None:
        await app.bot_data.webapp.stop()
        app.bot_data.webapp = None
    if app.bot_data.webhook is not None:
        await app.bot_data.webhook.stop()
        app.bot_data.webhook = None
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
        if app.post_stop:
            await app.post_stop(app)
    await app.shutdown()
    if app.post_shutdown:
        await app.post_shutdown(app)


async def run(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Migrate, then serve until `stop` is set (or a signal arrives)."""
    settings.require_token()
    await migrate.upgrade_in_child(settings.database_url)
    stop = stop or asyncio.Event()
    stop_on_signals(stop)
    db = Database.from_url(settings.database_url)
    try:
        app = await start_bot(settings, db)
        settle_heap()
        web = WebServer(app, settings.metrics_listen) if settings.metrics_listen else None
        try:
            if web is not None:
                try:
                    await web.start()
                except OSError as exc:  # the port is taken: the bot itself still serves
                    logger.error("health and metrics server not started on %s: %s",
                                 settings.metrics_listen, exc)
                    await web.stop()
                    web = None
            await stop.wait()
        finally:
            if web is not None:
                await web.stop()
            await stop_bot(app)
    finally:
        await db.dispose()
