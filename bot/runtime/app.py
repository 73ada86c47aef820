"""Builds the python-telegram-bot Application: settings, database, handlers, commands."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from telegram import BotCommand, BotCommandScopeDefault
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults

from bot.config import SUPPORTED_LOCALES, Settings
from bot.context import BotData, Context
from bot.db import Database
from bot.i18n import LOCALES_DIR, set_clock, use_locale
from bot.render.webapp import set_dashboard_url
from bot.runtime.http import AiohttpRequest
from bot.runtime.replies import WaitOutFloods

if TYPE_CHECKING:
    from bot.services.faq.service import Faq

logger = logging.getLogger(__name__)

# Durations (RetryAfter.retry_after) as timedelta, PTB's future default; without this, reading
# them emits a deprecation warning on every flood-control answer.
os.environ.setdefault("PTB_TIMEDELTA", "true")

SelfreportApp = Application[Any, Context, Any, Any, BotData, Any]


def build_application(settings: Settings, db: Database) -> SelfreportApp:
    """The Application, ready for `initialize()`; the caller owns (and disposes) `db`."""
    import handlers  # handlers depend on bot/, never the other way round at import time
    from bot.runtime.metrics import Metrics

    context_types = ContextTypes(context=Context, bot_data=BotData)
    metrics = Metrics()
    application: SelfreportApp = (
        ApplicationBuilder()
        .concurrent_updates(metrics.update_processor(settings.update_concurrency))
        .token(settings.require_token())
        .base_url(settings.bot_api_url)
        .base_file_url(settings.bot_file_url)
        .context_types(context_types)
        # Every message the handlers send is HTML (render escapes what people wrote).
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        # Replies wait out a flood answer instead of being lost (the outbox paces itself).
        .rate_limiter(WaitOutFloods())
        # The Bot API's calls on aiohttp, not httpx: a quarter less CPU (bot.runtime.http).
        .request(AiohttpRequest())
        .get_updates_request(AiohttpRequest(pool_size=1))
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application.bot_data.settings = settings
    application.bot_data.db = db
    application.bot_data.metrics = metrics
    application.bot_data.faq = load_faq(LOCALES_DIR, settings.default_locale)
    set_dashboard_url(settings.webapp_url)
    set_clock(lambda: application.bot_data.clock())  # looked up each time: tests replace it
    handlers.register(application)
    return application


def load_faq(locales_dir: Path, default_locale: str) -> Faq | None:
    """The rules knowledge base; None (Q&A off, everything else on) when the files are bad."""
    from bot.services.faq.kb import KbError
    from bot.services.faq.service import Faq

    try:
        return Faq.load(locales_dir, default_locale)
    except KbError as error:
        logger.error("rules knowledge base not loaded, Q&A is off until /faq_reload: %s",
                     "; ".join(error.problems[:5]))
        return None


async def _post_init(application: SelfreportApp) -> None:
    from bot.runtime.jobs import start_machinery

    await publish_commands(application)
    await load_faq_additions(application)
    await start_machinery(application)


async def load_faq_additions(application: SelfreportApp) -> None:
    """Lay the entries admins promoted (/faq_add, kept in the database) on the files' ones."""
    from bot.services.faq.promote import additions

    faq, db = application.bot_data.faq, application.bot_data.db
    if faq is None or db is None:
        return
    async with db.transaction() as session:
        found = await additions(session)
    if found:
        faq.set_additions(found)  # an addition the files no longer take is logged, left out


async def _post_stop(application: SelfreportApp) -> None:
    from bot.runtime.jobs import stop_machinery

    # Here rather than only in post_shutdown: the bot can still finish what it is sending.
    await stop_machinery(application)


async def _post_shutdown(application: SelfreportApp) -> None:
    from bot.runtime.jobs import stop_machinery

    await stop_machinery(application)  # a no-op when post_stop already stopped it
    set_dashboard_url(None)  # the process may build another Application (tests, the demo)


async def publish_commands(application: SelfreportApp) -> None:
    """The command menu members see, in each language (Telegram picks by the app's language)."""
    from bot.render.commands import menu_commands

    default_locale = application.bot_data.settings.default_locale  # type: ignore[union-attr]
    for locale in SUPPORTED_LOCALES:
        with use_locale(locale):
            commands = [BotCommand(name, description) for name, description in menu_commands()]
        language = None if locale == default_locale else locale.split("_")[0]
        await application.bot.set_my_commands(
            commands, scope=BotCommandScopeDefault(), language_code=language
        )
