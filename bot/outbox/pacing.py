"""The pace of this process's calls to Telegram: SEND_RATE turns a second (bot.outbox.dispatcher
takes one for every send, bot.runtime.replies for every reply, edit and callback answer)."""

from __future__ import annotations

from aiolimiter import AsyncLimiter

# Turns a late sender may take back to back to catch up (see `Pace`).
CATCH_UP = 3
# A call Telegram answered 5xx gives its turn back while such answers stay this rare among
# the recent calls (an average over about WINDOW of them); when they are not, Telegram is
# in trouble and every failed call keeps its turn, so the pace never speeds up against it.
SPORADIC = 0.1
WINDOW = 50


class Pace(AsyncLimiter):
    """Turns at `rate` a second, evenly spaced, rather than bursts of `rate`: sending at
    Telegram's rate after a burst leaves its bucket empty, and any jitter in arrival then
    draws a 429. A turn taken late (the event loop busy, a slow answer) is made up: up to
    CATCH_UP turns may follow at once, never more than `rate` a second plus CATCH_UP over
    any stretch. Spaced strictly, every late turn was lost: a 5,000-copy notice ran at 91 %
    of the rate (benchmarks/README.md, "Notice fan-out").

    A call that Telegram did not carry out (a 5xx answer, a refused connection) does not
    count against its limits: `outcome` gives such a turn back while failures are sporadic.
    With 2 % of sends answered 5xx, a notice's copies otherwise ran at 94.7 % of the rate."""

    __slots__ = ("_failing",)

    def __init__(self, rate: float) -> None:
        super().__init__(CATCH_UP, CATCH_UP / rate)
        self._failing = 0.0  # the recent share of calls not carried out

    def outcome(self, carried_out: bool) -> None:
        """Record how a call that took a turn ended; a sporadic failure's turn comes back."""
        self._failing += ((0.0 if carried_out else 1.0) - self._failing) / WINDOW
        if not carried_out and self._failing < SPORADIC:
            # aiolimiter's leaky bucket (pinned below 1.3 by python-telegram-bot): drain what
            # has leaked, take the turn out again, wake a waiter that now fits.
            self._leak()
            self._level = max(0.0, self._level - 1)
            self._wake_next()


def pace(rate: float) -> Pace:
    return Pace(rate)
