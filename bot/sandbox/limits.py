"""Telegram's rate limits as token buckets, and the seeded fault injector."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.config import SandboxConfig

# The calls that count against the rate limits: those that create messages and, as on
# Telegram, edits, callback answers and chat actions (a bot that edits a message ten times a
# second is flood-limited like one that sends ten).
RATE_LIMITED_METHODS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "copyMessage", "forwardMessage",
     "editMessageText", "editMessageCaption", "editMessageReplyMarkup",
     "answerCallbackQuery", "sendChatAction"}
)

# Faults hit every method except the ones a bot needs to start and poll at all.
FAULT_EXEMPT_METHODS = frozenset(
    {"getUpdates", "getMe", "setWebhook", "deleteWebhook", "getWebhookInfo", "setMyCommands"}
)


class TokenBucket:
    """`rate` tokens a second, at most `capacity` saved up; starts full."""

    def __init__(self, rate: float, capacity: float, now: float):
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.updated = now

    def _refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def wait_time(self, now: float) -> float:
        """Seconds until one token is available (0 when one is available now)."""
        self._refill(now)
        if self.tokens >= 1:
            return 0.0
        return (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1


class RateLimiter:
    """A global bucket plus one per chat (a group's is 20 a minute); a call needs a token from
    both. Telegram's answer to a call over the limit is 429 with a whole `retry_after`."""

    def __init__(self, config: SandboxConfig, clock: Callable[[], float]):
        self.config = config
        self.clock = clock
        self._global: TokenBucket | None = None
        self._chats: dict[int, TokenBucket] = {}
        self.reset()

    def reset(self) -> None:
        config = self.config
        self._global = None
        if config.global_rate:
            capacity = config.global_burst or config.global_rate
            self._global = TokenBucket(config.global_rate, capacity, self.clock())
        self._chats = {}

    def _chat_bucket(self, chat_id: int, now: float) -> TokenBucket | None:
        if not self.config.per_chat_rate:
            return None
        bucket = self._chats.get(chat_id)
        if bucket is None:
            if chat_id < 0:  # a group or channel: 20 messages a minute
                rate, burst = self.config.group_per_minute / 60, self.config.group_per_minute
            else:
                rate, burst = self.config.per_chat_rate, self.config.per_chat_burst
            bucket = self._chats[chat_id] = TokenBucket(rate, max(burst, 1), now)
        return bucket

    def acquire(self, chat_id: int) -> int | None:
        """Take a token for one call in `chat_id`; else return Telegram's retry_after."""
        now = self.clock()
        buckets = [b for b in (self._global, self._chat_bucket(chat_id, now)) if b is not None]
        wait = max((bucket.wait_time(now) for bucket in buckets), default=0.0)
        if wait > 0:
            # Telegram always answers a whole number of seconds, at least one.
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.take()
        return None


@dataclass(frozen=True)
class Fault:
    status: int | None  # 429, 500 or 502 when the call is not carried out
    delay: float  # seconds before answering
    retry_after: int = 1


@dataclass
class FaultSettings:
    rate_429: float = 0.0
    rate_5xx: float = 0.0
    delay_ms: float = 0.0
    seed: int = 0
    retry_after: int = 1
    methods: frozenset[str] | None = None  # None: every method but FAULT_EXEMPT_METHODS
    random: random.Random = field(default_factory=random.Random)

    def applies_to(self, method: str) -> bool:
        if self.methods is not None:
            return method.lower() in self.methods
        return method not in FAULT_EXEMPT_METHODS

    def describe(self) -> dict[str, Any]:
        return {
            "rate_429": self.rate_429,
            "rate_5xx": self.rate_5xx,
            "delay_ms": self.delay_ms,
            "seed": self.seed,
            "retry_after": self.retry_after,
            "methods": sorted(self.methods) if self.methods is not None else None,
        }


class FaultInjector:
    """Answers some Bot API calls with 429/5xx, or late, from a seeded random sequence.

    One random draw per call in scope, in arrival order: the same seed and the same
    sequence of calls give the same sequence of outcomes.
    """

    def __init__(self) -> None:
        self.settings = FaultSettings()

    def configure(self, spec: dict[str, Any]) -> FaultSettings:
        """Replace the settings; raises ValueError on a bad spec. `{}` turns faults off."""
        rate_429 = _probability(spec, "rate_429")
        rate_5xx = _probability(spec, "rate_5xx")
        if rate_429 + rate_5xx > 1:
            raise ValueError("rate_429 + rate_5xx must not exceed 1")
        delay_ms = float(spec.get("delay_ms") or 0)
        retry_after = int(spec.get("retry_after") or 1)
        if delay_ms < 0 or retry_after < 1:
            raise ValueError("delay_ms must be >= 0 and retry_after >= 1")
        seed = int(spec.get("seed") or 0)
        methods = spec.get("methods")
        self.settings = FaultSettings(
            rate_429=rate_429,
            rate_5xx=rate_5xx,
            delay_ms=delay_ms,
            seed=seed,
            retry_after=retry_after,
            methods=_method_set(methods) if methods is not None else None,
            random=random.Random(seed),
        )
        return self.settings

    @property
    def active(self) -> bool:
        s = self.settings
        return bool(s.rate_429 or s.rate_5xx or s.delay_ms)

    def decide(self, method: str) -> Fault | None:
        s = self.settings
        if not self.active or not s.applies_to(method):
            return None
        draw = s.random.random()
        status: int | None = None
        if draw < s.rate_429:
            status = 429
        elif draw < s.rate_429 + s.rate_5xx:
            # The same draw picks 500 or 502, keeping one draw per call.
            status = 500 if (draw - s.rate_429) < s.rate_5xx / 2 else 502
        return Fault(status=status, delay=s.delay_ms / 1000, retry_after=s.retry_after)


def _probability(spec: dict[str, Any], key: str) -> float:
    value = float(spec.get(key) or 0)
    if not 0 <= value <= 1:
        raise ValueError(f"{key} must be between 0 and 1")
    return value


def _method_set(methods: object) -> frozenset[str]:
    if isinstance(methods, str) or not isinstance(methods, Iterable):
        raise ValueError("methods must be a list of Bot API method names")
    return frozenset(str(m).lower() for m in methods)
