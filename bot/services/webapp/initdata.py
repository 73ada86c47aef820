"""Telegram's Mini App initData, validated as Telegram documents it
(core.telegram.org/bots/webapps, "Validating data received via the Mini App"):

- the data-check-string is every field except `hash`, as `key=value` with the values
  URL-decoded, sorted by key, joined by "\\n";
- the secret key is HMAC-SHA-256 of the bot's token keyed with the constant "WebAppData";
- `hash` must be the hex HMAC-SHA-256 of the data-check-string under that secret key;
- `auth_date` (Unix seconds) must be recent enough for the use (WEBAPP_INIT_MAX_AGE).

Nothing in the data is trusted before the hash matches; the comparison is constant-time.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

# Far larger than any initData Telegram sends (a user object, a few ids, two signatures).
MAX_LENGTH = 4096
# A clock that runs a little ahead of Telegram's must not refuse fresh data.
CLOCK_SKEW = timedelta(seconds=60)


class InitDataError(enum.StrEnum):
    MALFORMED = "malformed"  # not a query string with one hash, a user and an auth_date
    FORGED = "forged"  # the hash does not match: altered, or signed with another token
    EXPIRED = "expired"  # auth_date older than the allowed age (or in the future)


@dataclass(frozen=True)
class InitData:
    telegram_user_id: int
    language_code: str | None
    auth_date: datetime
    hash: str


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def _check_string(pairs: list[tuple[str, str]]) -> str:
    return "\n".join(f"{k}={v}" for k, v in sorted(pairs) if k != "hash")


def sign(fields: dict[str, str], bot_token: str) -> str:
    """initData as a Telegram client gets it for these fields (tests and tools)."""
    pairs = sorted(fields.items())
    digest = hmac.new(secret_key(bot_token), _check_string(pairs).encode(),
                      hashlib.sha256).hexdigest()
    return urlencode([*pairs, ("hash", digest)])


def validate(raw: str, bot_token: str, *, now: datetime,
             max_age: timedelta) -> InitData | InitDataError:
    """The signed-in user of `raw`, or why it is refused."""
    if not raw or len(raw) > MAX_LENGTH:
        return InitDataError.MALFORMED
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return InitDataError.MALFORMED
    keys = [k for k, _ in pairs]
    if keys.count("hash") != 1 or len(set(keys)) != len(keys):
        return InitDataError.MALFORMED
    given = dict(pairs)["hash"]
    expected = hmac.new(secret_key(bot_token), _check_string(pairs).encode(),
                        hashlib.sha256).hexdigest()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return InitDataError.FORGED
    fields = dict(pairs)
    try:
        auth_date = datetime.fromtimestamp(int(fields["auth_date"]), UTC)
        user = json.loads(fields["user"])
        user_id = int(user["id"])
        language = user.get("language_code")
    except (KeyError, ValueError, TypeError, OverflowError, OSError):
        return InitDataError.MALFORMED
    if not now - max_age <= auth_date <= now + CLOCK_SKEW:
        return InitDataError.EXPIRED
    return InitData(user_id, language if isinstance(language, str) else None, auth_date, given)
