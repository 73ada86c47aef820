"""Who calls the dashboard's API: Telegram's initData once (POST /webapp/api/session, or the
X-Telegram-Init-Data header), then the session token it was exchanged for.

Refusals carry no detail beyond their reason: 401 for initData that is malformed, forged,
expired or already used, and for a missing, forged or expired session; 403 for a valid user
who manages no subtree. Which units they may see is the service's (permissions.Actor).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from aiohttp import web

from bot.services.webapp import initdata, logins, tokens
from bot.services.webapp.dashboard import Viewer, viewer

if TYPE_CHECKING:
    from bot.runtime.app import SelfreportApp

logger = logging.getLogger(__name__)

INIT_HEADER = "X-Telegram-Init-Data"
BOT_KEY: web.AppKey[SelfreportApp] = web.AppKey("bot")


@dataclass(frozen=True)
class Caller:
    viewer: Viewer
    token: str  # the session token (a fresh one when the call came with initData)


def _refuse(status: int, reason: str) -> web.HTTPException:
    cls = web.HTTPUnauthorized if status == 401 else web.HTTPForbidden
    return cls(text=f'{{"error": "{reason}"}}', content_type="application/json")


async def sign_in(request: web.Request, raw: str) -> Caller:
    """A session from initData: valid, fresh, not used before, of someone who manages."""
    bot = request.app[BOT_KEY]
    data = bot.bot_data
    assert data.settings is not None and data.db is not None
    settings, now = data.settings, data.clock()
    max_age = timedelta(seconds=settings.webapp_init_max_age)
    checked = initdata.validate(raw, settings.require_token(), now=now, max_age=max_age)
    if isinstance(checked, initdata.InitDataError):
        logger.info("dashboard sign-in refused: %s", checked.value)
        raise _refuse(401, checked.value)
    async with data.db.transaction() as session:
        if not await logins.take(session, checked.hash, checked.telegram_user_id, now=now,
                                 max_age=max_age):
            logger.info("dashboard sign-in refused: replayed initData")
            raise _refuse(401, "replayed")
        who = await viewer(session, checked.telegram_user_id,
                           admin_ids=settings.admin_telegram_ids,
                           language_code=checked.language_code,
                           default_locale=settings.default_locale)
    if not who.actor.manages:
        raise _refuse(403, "not_allowed")
    token = tokens.issue(checked.telegram_user_id, settings.require_token(), now=now,
                         ttl=timedelta(minutes=settings.webapp_session_minutes),
                         language_code=checked.language_code)
    return Caller(who, token)


async def caller(request: web.Request) -> Caller:
    """The caller of an API request: its session token, else its raw initData."""
    raw = request.headers.get(INIT_HEADER)
    if raw:
        return await sign_in(request, raw)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    bot = request.app[BOT_KEY]
    data = bot.bot_data
    assert data.settings is not None and data.db is not None
    checked = (tokens.check(token, data.settings.require_token(), now=data.clock())
               if scheme.lower() == "bearer" else None)
    if checked is None:
        raise _refuse(401, "session")
    user_id, language_code = checked
    async with data.db.transaction() as session:
        who = await viewer(session, user_id, admin_ids=data.settings.admin_telegram_ids,
                           language_code=language_code,
                           default_locale=data.settings.default_locale)
    if not who.actor.manages:  # no longer a leader since the session began
        raise _refuse(403, "not_allowed")
    return Caller(who, token)
