"""Token buckets and the fault injector, on a fake clock."""

from __future__ import annotations

import pytest

from bot.sandbox.config import SandboxConfig
from bot.sandbox.limits import FaultInjector, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_per_chat_bucket_allows_a_burst_then_one_a_second() -> None:
    clock = Clock()
    limiter = RateLimiter(SandboxConfig(per_chat_rate=1.0, per_chat_burst=3), clock)
    assert [limiter.acquire(1) for _ in range(3)] == [None, None, None]
    assert limiter.acquire(1) == 1
    assert limiter.acquire(2) is None  # another chat has its own bucket
    clock.now += 1.0
    assert limiter.acquire(1) is None
    assert limiter.acquire(1) == 1


def test_retry_after_is_whole_seconds_from_the_bucket() -> None:
    clock = Clock()
    limiter = RateLimiter(SandboxConfig(per_chat_rate=0.2, per_chat_burst=1), clock)
    assert limiter.acquire(1) is None
    assert limiter.acquire(1) == 5
    clock.now += 2.5
    assert limiter.acquire(1) == 3


def test_global_bucket_spans_chats() -> None:
    clock = Clock()
    config = SandboxConfig(global_rate=2.0, global_burst=2, per_chat_rate=None)
    limiter = RateLimiter(config, clock)
    assert limiter.acquire(1) is None
    assert limiter.acquire(2) is None
    assert limiter.acquire(3) == 1
    clock.now += 0.5
    assert limiter.acquire(3) is None


def test_a_refused_message_takes_no_token() -> None:
    clock = Clock()
    config = SandboxConfig(global_rate=10.0, per_chat_rate=1.0, per_chat_burst=1)
    limiter = RateLimiter(config, clock)
    assert limiter.acquire(1) is None
    for _ in range(20):
        assert limiter.acquire(1) == 1  # refused by the chat bucket...
    assert all(limiter.acquire(chat) is None for chat in range(2, 11))  # ...global untouched


def test_limits_can_be_switched_off() -> None:
    limiter = RateLimiter(SandboxConfig(global_rate=None, per_chat_rate=None), Clock())
    assert all(limiter.acquire(1) is None for _ in range(1000))


def _outcomes(injector: FaultInjector, n: int) -> list[int | None]:
    return [
        (fault.status if fault else None) for fault in map(injector.decide, ["sendMessage"] * n)
    ]


def test_same_seed_same_faults() -> None:
    spec = {"rate_429": 0.2, "rate_5xx": 0.2, "seed": 42}
    first, second = FaultInjector(), FaultInjector()
    first.configure(spec)
    second.configure(spec)
    outcomes = _outcomes(first, 200)
    assert outcomes == _outcomes(second, 200)
    assert {None, 429, 500, 502} == set(outcomes)
    assert 20 < outcomes.count(429) < 60
    other = FaultInjector()
    other.configure({**spec, "seed": 43})
    assert _outcomes(other, 200) != outcomes


def test_default_scope_spares_polling_and_setup() -> None:
    injector = FaultInjector()
    injector.configure({"rate_5xx": 1.0})
    for method in ("getUpdates", "getMe", "setWebhook", "deleteWebhook", "getWebhookInfo"):
        assert injector.decide(method) is None
    fault = injector.decide("sendMessage")
    assert fault is not None and fault.status in (500, 502)


def test_methods_limit_the_scope() -> None:
    injector = FaultInjector()
    injector.configure({"rate_429": 1.0, "retry_after": 3, "methods": ["sendPhoto"]})
    assert injector.decide("sendMessage") is None
    fault = injector.decide("sendPhoto")
    assert fault is not None and (fault.status, fault.retry_after) == (429, 3)


def test_empty_spec_turns_faults_off() -> None:
    injector = FaultInjector()
    injector.configure({"rate_429": 1.0})
    injector.configure({})
    assert not injector.active and injector.decide("sendMessage") is None


@pytest.mark.parametrize(
    "spec",
    [{"rate_429": 1.5}, {"rate_429": 0.6, "rate_5xx": 0.6}, {"delay_ms": -1}, {"methods": "x"}],
)
def test_bad_specs_are_refused(spec: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        FaultInjector().configure(spec)


def test_a_group_gets_twenty_messages_a_minute() -> None:
    clock = Clock()
    limiter = RateLimiter(SandboxConfig(global_rate=None), clock)
    assert all(limiter.acquire(-100) is None for _ in range(20))
    assert limiter.acquire(-100) == 3  # one more every three seconds
    assert limiter.acquire(5) is None  # a private chat is not held up
    clock.now += 3
    assert limiter.acquire(-100) is None
