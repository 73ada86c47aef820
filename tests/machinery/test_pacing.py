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


async def test_a_call_not_carried_out_gives_its_turn_back_while_failures_are_sporadic() -> None:
    rate = 10.0
    limiter = pace(rate)
    await turns_within(limiter, 0.35)  # in its stride: the next turn is ~100 ms away
    limiter.outcome(carried_out=False)  # a 5xx: Telegram did not count that call
    start = time.monotonic()
    await limiter.acquire()  # the turn given back: no waiting
    assert time.monotonic() - start < 0.05
    start = time.monotonic()
    await limiter.acquire()  # then the pace again
    assert time.monotonic() - start >= 0.08


async def test_when_most_calls_fail_the_pace_never_speeds_up() -> None:
    """Telegram in trouble (every call 5xx): no turn comes back, the rate stays the rate."""
    rate = 50.0
    limiter = pace(rate)
    start, taken = time.monotonic(), 0
    while time.monotonic() - start < 1.0:
        await limiter.acquire()
        limiter.outcome(carried_out=False)
        taken += 1
    # A few given back while the failures still looked sporadic (the first ~5 of WINDOW).
    assert taken <= rate * 1.0 + CATCH_UP + 8


async def test_a_carried_out_call_keeps_its_turn() -> None:
    rate = 10.0
    limiter = pace(rate)
    await turns_within(limiter, 0.35)
    limiter.outcome(carried_out=True)
    start = time.monotonic()
    await limiter.acquire()
    assert time.monotonic() - start >= 0.05
