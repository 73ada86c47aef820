"""Settings of one sandbox instance."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SandboxConfig:
    """How the sandbox's bot is named and which of Telegram's limits it enforces.

    A rate of ``None`` switches that limit off (benchmarks of our own code, not Telegram's).
    """

    token: str = "123456:SANDBOX-TOKEN-0123456789abcdef"
    bot_username: str = "selfreport_bot"
    bot_first_name: str = "selfreport"
    # Telegram's broadcast limit: about 30 messages/s overall.
    global_rate: float | None = 30.0
    global_burst: int | None = None  # None: the same as global_rate
    # About one message a second per chat, with short bursts tolerated.
    per_chat_rate: float | None = 1.0
    per_chat_burst: int = 3
    # About 20 messages a minute in a group (negative chat ids), the first 20 at once.
    group_per_minute: int = 20
    # How long `press` waits for answerCallbackQuery, and how long a query can still be answered.
    callback_answer_timeout: float = 10.0
    callback_query_ttl: float = 15.0
    # Telegram keeps unconfirmed updates for 24 hours; we keep a number instead.
    max_updates_kept: int = 10_000
    max_long_poll: float = 50.0
    # Webhook delivery: per-request timeout and the retry backoff after a failed delivery.
    webhook_timeout: float = 10.0
    webhook_retry_initial: float = 0.5
    webhook_retry_max: float = 30.0
    # Telegram accepts uploads up to 50 MB and lets bots download files up to 20 MB.
    max_upload_bytes: int = 50 * 1024 * 1024
    max_download_bytes: int = 20 * 1024 * 1024
    # Photos: 10 MB, width + height at most 10,000, a side at most 20 times the other.
    max_photo_bytes: int = 10 * 1024 * 1024
    # Telegram posts webhooks to https:// on ports 443, 80, 88 or 8443 only; this lets the
    # sandbox post plain http:// to 127.0.0.1/::1/localhost on any port (local receivers).
    webhook_loopback_http: bool = False

    @property
    def bot_id(self) -> int:
        return int(self.token.split(":", 1)[0])
