"""Direct replies wait out Telegram's flood answers instead of being lost.

When many members write at once (300 sharing their contact within seconds after a notice),
Telegram answers some replies with 429 and `retry_after`. PTB raises RetryAfter and the
member never hears back. This rate limiter (PTB's BaseRateLimiter hook) retries a request
after the wait Telegram asked for, within the update's handling, for up to MAX_WAIT in all.

The outbox's calls (bot.outbox.sending.PACED is set while it sends) pass straight through:
it keeps its own pace and pauses all its sending on a RetryAfter itself
(bot.outbox.dispatcher). PTB's AIORateLimiter does not fit here: its per-call argument
cannot turn retries off (0 falls back to the default) and its 30/s limiter would pace the
outbox a second time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.outbox.sending import PACED

logger = logging.getLogger(__name__)

# A reply later than this is not worth waiting for: the member has moved on (and an update
# is not held longer than a webhook request should be).
MAX_WAIT = 60.0
MAX_TRIES = 5
# The calls Telegram counts against its rate limits (bot/sandbox/limits.py does the same).
LIMITED = frozenset(
    {"sendmessage", "sendphoto", "senddocument", "copymessage", "forwardmessage",
     "editmessagetext", "editmessagecaption", "editmessagereplymarkup", "answercallbackquery",
     "sendchataction", "deletemessage"}
)


class WaitOutFloods(BaseRateLimiter[str]):
    """Retry a reply after Telegram's `retry_after`; the outbox's calls pass through. Once
    `share_pace` is given the dispatcher's turn-taker, replies take their turns in the same
    SEND_RATE as the outbox (a reply waits at most for the few sends ahead of it)."""

    def __init__(self) -> None:
        self._turn: Callable[[], Coroutine[Any, Any, None]] | None = None

    def share_pace(self, turn: Callable[[], Coroutine[Any, Any, None]] | None) -> None:
        self._turn = turn

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if PACED.get():
            return await callback(*args, **kwargs)
        waited = 0.0
        for attempt in range(1, MAX_TRIES + 1):
            if self._turn is not None and endpoint.lower() in LIMITED:
                await self._turn()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as flood:
                wait = _seconds(flood) + 0.1
                if attempt == MAX_TRIES or waited + wait > MAX_WAIT:
                    raise
                logger.info("%s: Telegram asked to wait %.1f s; retrying (%d)", endpoint, wait,
                            attempt)
                await asyncio.sleep(wait)
                waited += wait
        raise AssertionError("unreachable")


def _seconds(flood: RetryAfter) -> float:
    value = flood.retry_after
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)
