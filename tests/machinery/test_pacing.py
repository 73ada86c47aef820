"""The dispatcher's pace (bot.outbox.pacing): a late turn is made up, a few at once, and no
stretch ever gets more than the rate's turns plus those few."""

from __future__ import annotations

import asyncio
import time

from bot.outbox.pacing import CATCH_UP, pace


async def turns_within(limiter: object, seconds: float) -> list[float]:
    """Take turns as fast as they come for `seconds`; when each came."""
    start, taken = time.monotonic(), []
    while (now := time.monotonic()) - start < seconds:
        await limiter.acquire()  # type: ignore[attr-defined]
        taken.append(now - start)
    return taken


async def test_turns_late_by_a_stall_are_made_up_at_once_then_spaced() -> None:
    rate = 10.0  # a turn every 100 ms: long beside any scheduling delay
    limiter = pace(rate)
    await turns_within(limiter, 0.35)  # in its stride
    await asyncio.sleep(0.5)  # a stall: five turns' time went by unused
    start = time.monotonic()
    for _ in range(CATCH_UP):
        await limiter.acquire()  # made up: no waiting
    assert time.monotonic() - start < 0.05
    start = time.monotonic()
    await limiter.acquire()  # the one after them waits its turn again
    assert time.monotonic() - start >= 0.08


async def test_no_stretch_gets_more_than_the_rate_plus_the_catch_up() -> None:
    rate = 50.0
    taken = await turns_within(pace(rate), 1.0)
    # However the loop ran, at most `rate` turns a second plus the few made up at the start.
    assert len(taken) <= rate * 1.0 + CATCH_UP + 1
    for i in range(len(taken)):
        window = [t for t in taken[i:] if t - taken[i] < 0.5]
        assert len(window) <= rate * 0.5 + CATCH_UP + 1
