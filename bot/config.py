"""Settings from the environment or `.env`, validated once at start-up."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TELEGRAM_API = "https://api.telegram.org"
SUPPORTED_LOCALES = ("zh_CN", "en")


class ConfigError(Exception):
    """A setting is missing or invalid; the message is one line for the operator."""


# Telegram's rule for a webhook's secret_token: 1-256 of these characters. We want 32 or
# more, and none of the placeholders that example files ship with.
WEBHOOK_SECRET_CHARS = re.compile(r"[A-Za-z0-9_-]{1,256}")
MIN_SECRET = 32
WEBHOOK_PORTS = (443, 80, 88, 8443)
PLACEHOLDER = re.compile(r"change.?me|example|placeholder|your.?secret|secret.?here|xxxx",
                         re.IGNORECASE)
SECRET_HINT = ("32 to 256 random letters, digits, _ or - (e.g. the output of "
               "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`)")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    telegram_bot_token: str | None = None
    telegram_api_base_url: str = TELEGRAM_API
    database_url: str = "sqlite+aiosqlite:///selfreport.sqlite3"
    default_timezone: str = "Asia/Shanghai"
    default_locale: str = "zh_CN"
    admin_telegram_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    webhook_url: str | None = None
    # Required with WEBHOOK_URL: whoever knows the webhook's address could otherwise post
    # forged updates (as any user, the admins included).
    webhook_secret: str | None = Field(default=None, validate_default=True)
    webhook_listen: str = "0.0.0.0:8443"
    # /healthz, /readyz and /metrics (bot.runtime.web), in polling and webhook mode;
    # "" turns it off.
    metrics_listen: str = "0.0.0.0:9090"
    # The leaders' dashboard (Telegram Mini App, bot.webapp): served at /webapp/ on
    # WEBAPP_LISTEN (the same address as WEBHOOK_LISTEN shares the webhook's server) behind
    # the public WEBAPP_URL (https, the reverse proxy's job); no buttons without WEBAPP_URL.
    webapp_url: str | None = None
    webapp_listen: str = "0.0.0.0:8088"
    # How old Telegram's initData may be when the page signs in with it, and how long the
    # page's session then lasts.
    webapp_init_max_age: int = Field(default=3600, ge=10, le=86400)
    webapp_session_minutes: int = Field(default=30, ge=1, le=720)
    send_rate: float = Field(default=30.0, gt=0, le=1000)
    # Updates handled at once (different chats only; one chat's stay in order):
    # bot.runtime.metrics.
    update_concurrency: int = Field(default=1, ge=1, le=256)
    send_rate_per_chat: float = Field(default=1.0, gt=0, le=30)
    # Bot API calls a process has started and not yet recorded, at most: what a kill -9 can
    # make it send twice; sending is at most SEND_IN_FLIGHT / Telegram's answer time per second.
    send_in_flight: int = Field(default=8, ge=1, le=256)
    retention_days: int = Field(default=90, ge=1, le=3650)
    # An alert nobody in the chain marked handled goes up to the parent unit's chain after this.
    alert_escalate_minutes: int = Field(default=60, ge=1, le=10080)
    log_level: str = "INFO"
    log_format: str = "text"

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [p for p in value.replace(";", ",").replace(" ", ",").split(",") if p]
            try:
                return frozenset(int(p) for p in parts)
            except ValueError as exc:
                raise ValueError("a comma-separated list of numeric Telegram user ids") from exc
        return value

    @field_validator("default_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("default_locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise ValueError(f"one of {', '.join(SUPPORTED_LOCALES)}")
        return value

    @field_validator("webapp_url")
    @classmethod
    def _webapp_address(cls, value: str | None, info: ValidationInfo) -> str | None:
        """Telegram opens Mini Apps over HTTPS only; a Bot API of our own (the sandbox) may
        use plain HTTP."""
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("an http(s):// address, e.g. https://bot.example.org/webapp/")
        if (parts.scheme != "https"
                and info.data.get("telegram_api_base_url", TELEGRAM_API) == TELEGRAM_API):
            raise ValueError("Telegram opens Mini Apps only over https://")
        return value.rstrip("/") + "/"

    @field_validator("telegram_api_base_url", "webhook_url")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @field_validator("webhook_url")
    @classmethod
    def _telegram_reaches_it(cls, value: str | None, info: ValidationInfo) -> str | None:
        """Telegram posts only to HTTPS on ports 443, 80, 88 or 8443; a Bot API server of
        our own (the sandbox, a local telegram-bot-api) may use plain HTTP anywhere."""
        if not value:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("an http(s):// address")
        if info.data.get("telegram_api_base_url", TELEGRAM_API) != TELEGRAM_API:
            return value
        if parts.scheme != "https" or (parts.port or 443) not in WEBHOOK_PORTS:
            raise ValueError("Telegram posts webhooks only to https:// on port 443, 80, 88 "
                             "or 8443")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _strong_secret(cls, value: str | None, info: ValidationInfo) -> str | None:
        value = value or None  # WEBHOOK_SECRET= (empty) is no secret
        if not info.data.get("webhook_url"):
            return value
        if value is None:
            raise ValueError(f"required with WEBHOOK_URL: {SECRET_HINT}")
        if not WEBHOOK_SECRET_CHARS.fullmatch(value):
            raise ValueError(f"only letters, digits, _ and - are allowed: {SECRET_HINT}")
        if len(value) < MIN_SECRET or PLACEHOLDER.search(value) or len(set(value)) < 10:
            raise ValueError(f"too short or a placeholder: {SECRET_HINT}")
        return value

    @field_validator("metrics_listen", "webapp_listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if value and (not sep or not port.isdigit() or int(port) > 65535):
            raise ValueError("HOST:PORT (e.g. 0.0.0.0:9090), or empty to turn it off")
        return value

    @field_validator("log_format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value not in ("text", "json"):
            raise ValueError("'text' or 'json'")
        return value

    def require_token(self) -> str:
        if not self.telegram_bot_token or ":" not in self.telegram_bot_token:
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is not set: get one from @BotFather "
                "(or run `selfreport demo`, which needs none)"
            )
        return self.telegram_bot_token

    @property
    def bot_api_url(self) -> str:
        return f"{self.telegram_api_base_url}/bot"

    @property
    def bot_file_url(self) -> str:
        return f"{self.telegram_api_base_url}/file/bot"


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings from `environ` (os.environ and .env when None) plus explicit overrides.

    Raises ConfigError naming the first bad variable, never a pydantic traceback.
    """
    try:
        if environ is None:
            return Settings(**overrides)
        values: dict[str, Any] = {
            name: environ[name.upper()]
            for name in Settings.model_fields
            if name.upper() in environ
        }
        values.update(overrides)
        return Settings.model_validate(values)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]).upper() if err["loc"] else "settings"
        raise ConfigError(f"{field}: {err['msg']}") from None
