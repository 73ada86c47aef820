"""The pace of this process's calls to Telegram: SEND_RATE turns a second (bot.outbox.dispatcher
takes one for every send, bot.runtime.replies for every reply, edit and callback answer)."""

from __future__ import annotations

from aiolimiter import AsyncLimiter

# Turns a late sender may take back to back to catch up (see `pace`).
CATCH_UP = 3


def pace(rate: float) -> AsyncLimiter:
    """Turns at `rate` a second, evenly spaced, rather than bursts of `rate`: sending at
    Telegram's rate after a burst leaves its bucket empty, and any jitter in arrival then
    draws a 429. A turn taken late (the event loop busy, a slow answer) is made up: up to
    CATCH_UP turns may follow at once, never more than `rate` a second plus CATCH_UP over
    any stretch. Spaced strictly, every late turn was lost: a 5,000-copy notice ran at 91 %
    of the rate (benchmarks/README.md, "Notice fan-out")."""
    return AsyncLimiter(CATCH_UP, CATCH_UP / rate)
