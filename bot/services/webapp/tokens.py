"""The dashboard page's session: a short-lived token the page sends with each API call.

Signed, not stored: any bot instance sharing the bot token checks it, and nothing is kept
per session. `<user id>.<expiry, Unix seconds>.<the language of their Telegram app>.<HMAC-
SHA-256 of those, urlsafe base64>`, the
key derived from the bot token with a label of its own (never the token itself, and not
initData's key: a token is no initData, nor the other way round).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from datetime import datetime, timedelta

_LABEL = b"selfreport webapp session v1"
_LANGUAGE = re.compile(r"[A-Za-z-]{0,16}")


def _key(bot_token: str) -> bytes:
    return hmac.new(_LABEL, bot_token.encode(), hashlib.sha256).digest()


def _mac(key: bytes, body: str) -> str:
    digest = hmac.new(key, body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def issue(telegram_user_id: int, bot_token: str, *, now: datetime, ttl: timedelta,
          language_code: str | None = None) -> str:
    language = language_code if language_code and _LANGUAGE.fullmatch(language_code) else ""
    body = f"{telegram_user_id}.{int((now + ttl).timestamp())}.{language}"
    return f"{body}.{_mac(_key(bot_token), body)}"


def check(token: str, bot_token: str, *, now: datetime) -> tuple[int, str | None] | None:
    """The user id and app language of a valid, unexpired token; None for anything else."""
    parts = token.split(".")
    if len(parts) != 4 or len(token) > 200:
        return None
    body = ".".join(parts[:3])
    if not hmac.compare_digest(parts[3].encode(), _mac(_key(bot_token), body).encode()):
        return None
    try:
        user_id, expiry = int(parts[0]), int(parts[1])
    except ValueError:
        return None
    return (user_id, parts[2] or None) if now.timestamp() < expiry else None
