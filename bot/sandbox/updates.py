"""getUpdates long polling, webhooks, and the task that delivers updates to a webhook."""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import re
import time
from urllib.parse import urlsplit

import aiohttp

from bot.sandbox.models import JSON, PendingUpdate, WebhookSettings
from bot.sandbox.params import ApiError, Params, bad_request
from bot.sandbox.state import SandboxState

logger = logging.getLogger(__name__)

WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _allowed_updates(params: Params) -> list[str] | None:
    allowed = params.json("allowed_updates")
    if allowed is None:
        return None
    if not isinstance(allowed, list) or not all(isinstance(kind, str) for kind in allowed):
        raise bad_request("can't parse allowed updates JSON object")
    return allowed


async def get_updates(state: SandboxState, params: Params) -> list[JSON]:
    if state.webhook.url:
        raise ApiError(409, WEBHOOK_CONFLICT)
    offset = params.integer("offset")
    limit = min(max(params.integer("limit") or 100, 1), 100)
    try:
        timeout = float(params.string("timeout") or 0)
    except ValueError:
        raise bad_request("invalid timeout specified") from None
    timeout = min(max(timeout, 0.0), state.config.max_long_poll)
    allowed = _allowed_updates(params)
    if allowed is not None:
        state.allowed_updates = allowed or None  # [] means Telegram's default set
    if offset:
        state.confirm(offset)
    # Like Telegram, a new request ends the one still waiting: that one gets the 409.
    state.poll_generation += 1
    generation = state.poll_generation
    state.notify()

    def ready() -> bool:
        return (
            bool(state.updates) or state.poll_generation != generation or bool(state.webhook.url)
        )

    if timeout > 0:
        await state.wait_for(ready, timeout)
    if state.poll_generation != generation:
        raise ApiError(409, POLL_CONFLICT)
    if state.webhook.url:
        raise ApiError(409, WEBHOOK_CONFLICT)
    return [update.telegram() for update in itertools.islice(state.updates, limit)]


WEBHOOK_PORTS = (443, 80, 88, 8443)
_LOOPBACK = ("127.0.0.1", "::1", "localhost")


def check_webhook_url(url: str, *, loopback_http: bool = False) -> None:
    """Telegram's rule: https:// on port 443, 80, 88 or 8443. With `loopback_http` (the
    sandbox's own tests and local runs) http:// to a loopback address on any port too."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise bad_request(
            "bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
        ) from None
    if not parts.hostname:
        raise bad_request("bad webhook: Failed to resolve host: Name or service not known")
    if loopback_http and parts.scheme in ("http", "https") and parts.hostname in _LOOPBACK:
        return
    if parts.scheme != "https":
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if (port or 443) not in WEBHOOK_PORTS:
        raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")


async def set_webhook(state: SandboxState, params: Params) -> bool:
    url = (params.string("url") or "").strip()
    if not url:
        return await delete_webhook(state, params)
    check_webhook_url(url, loopback_http=state.config.webhook_loopback_http)
    secret = params.string("secret_token")
    if secret is not None and not _SECRET.fullmatch(secret):
        raise bad_request("secret token contains unallowed characters")
    max_connections = params.integer("max_connections") or 40
    if params.boolean("drop_pending_updates"):
        state.updates.clear()
    state.webhook = WebhookSettings(
        url=url,
        secret_token=secret or None,
        max_connections=min(max(max_connections, 1), 100),
        allowed_updates=_allowed_updates(params),
    )
    logger.info("webhook set to %s", url)
    state.notify()
    return True


async def delete_webhook(state: SandboxState, params: Params) -> bool:
    if params.boolean("drop_pending_updates"):
        state.updates.clear()
    state.webhook = WebhookSettings()
    state.notify()
    return True


async def get_webhook_info(state: SandboxState, params: Params) -> JSON:
    return state.webhook.info(len(state.updates))


class WebhookDeliverer:
    """POSTs queued updates to the webhook one at a time, in order, retrying with backoff."""

    def __init__(self, state: SandboxState):
        self.state = state

    async def run(self) -> None:
        state, config = self.state, self.state.config
        timeout = aiohttp.ClientTimeout(total=config.webhook_timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            backoff = config.webhook_retry_initial
            while not state.closing:
                await state.wait_for(lambda: bool(state.webhook.url and state.updates), 3600)
                if state.closing or not (state.webhook.url and state.updates):
                    continue
                webhook, update = state.webhook, state.updates[0]
                error = await self._post(session, webhook, update)
                if error is None:
                    if state.updates and state.updates[0] is update:
                        state.updates.popleft()
                        state.notify()
                    backoff = config.webhook_retry_initial
                    continue
                webhook.last_error_date = int(time.time())
                webhook.last_error_message = error
                logger.info("webhook delivery of update %s failed: %s", update.update_id, error)
                # Sleep, but start over at once when the bot changes or removes its webhook.
                await state.wait_for(functools.partial(_changed_from, state, webhook), backoff)
                backoff = min(backoff * 2, config.webhook_retry_max)

    async def _post(
        self, session: aiohttp.ClientSession, webhook: WebhookSettings, update: PendingUpdate
    ) -> str | None:
        """Deliver one update; None on success, else Telegram's wording of the failure."""
        headers = {}
        if webhook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = webhook.secret_token
        try:
            async with session.post(webhook.url, json=update.telegram(), headers=headers) as resp:
                await resp.read()
                if 200 <= resp.status < 300:
                    return None
                return f"Wrong response from the webhook: {resp.status} {resp.reason}"
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientConnectionError:
            return "Connection refused"
        except aiohttp.ClientError as exc:
            return f"Webhook delivery failed: {exc}"


def _changed_from(state: SandboxState, webhook: WebhookSettings) -> bool:
    return state.webhook is not webhook


async def run_deliverer(state: SandboxState) -> None:
    try:
        await WebhookDeliverer(state).run()
    except asyncio.CancelledError:
        raise
    except Exception:  # a bug here must not silently stop all deliveries
        logger.exception("webhook deliverer crashed")
        raise
