"""Telegram's initData, validated as Telegram documents it; session tokens. No database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

from hypothesis import given
from hypothesis import strategies as st

from bot.services.webapp import tokens
from bot.services.webapp.initdata import InitData, InitDataError, sign, validate

TOKEN = "123456:ABC-secret-token"
NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
USER = json.dumps({"id": 42, "first_name": "Li", "language_code": "zh-hans"})


def fields(at: datetime = NOW) -> dict[str, str]:
    return {"query_id": "AAq1", "user": USER, "auth_date": str(int(at.timestamp()))}


def test_known_answer_from_the_documented_algorithm() -> None:
    """The hash computed here by hand, step by step as the documentation says."""
    import hashlib
    import hmac

    data = fields()
    check = "\n".join(f"{k}={data[k]}" for k in sorted(data))
    key = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    digest = hmac.new(key, check.encode(), hashlib.sha256).hexdigest()
    raw = urlencode({**data, "hash": digest})
    result = validate(raw, TOKEN, now=NOW, max_age=HOUR)
    assert result == InitData(42, "zh-hans", NOW, digest)


def test_a_valid_signature_in_any_field_order() -> None:
    pairs = parse_qsl(sign(fields(), TOKEN))
    raw = urlencode(list(reversed(pairs)))
    assert isinstance(validate(raw, TOKEN, now=NOW, max_age=HOUR), InitData)


def test_altered_forged_expired_and_malformed_are_refused() -> None:
    raw = sign(fields(), TOKEN)
    assert validate(raw.replace("42", "43"), TOKEN, now=NOW, max_age=HOUR) is InitDataError.FORGED
    assert validate(sign(fields(), "999:other"), TOKEN, now=NOW,
                    max_age=HOUR) is InitDataError.FORGED
    old = sign(fields(NOW - HOUR - timedelta(seconds=1)), TOKEN)
    assert validate(old, TOKEN, now=NOW, max_age=HOUR) is InitDataError.EXPIRED
    future = sign(fields(NOW + timedelta(minutes=5)), TOKEN)
    assert validate(future, TOKEN, now=NOW, max_age=HOUR) is InitDataError.EXPIRED
    assert validate(raw + "&hash=00", TOKEN, now=NOW, max_age=HOUR) is InitDataError.MALFORMED
    assert validate(raw.split("&hash=")[0], TOKEN, now=NOW,
                    max_age=HOUR) is InitDataError.MALFORMED
    no_user = sign({"auth_date": fields()["auth_date"]}, TOKEN)
    assert validate(no_user, TOKEN, now=NOW, max_age=HOUR) is InitDataError.MALFORMED
    assert validate("", TOKEN, now=NOW, max_age=HOUR) is InitDataError.MALFORMED
    assert validate("x" * 5000, TOKEN, now=NOW, max_age=HOUR) is InitDataError.MALFORMED


@given(st.text(max_size=300))
def test_any_text_is_refused_without_an_exception(text: str) -> None:
    assert isinstance(validate(text, TOKEN, now=NOW, max_age=HOUR), InitDataError)


@given(st.integers(min_value=0), st.characters(codec="ascii"))
def test_changing_any_character_breaks_the_signature(position: int, char: str) -> None:
    raw = sign(fields(), TOKEN)
    i = position % len(raw)
    changed = raw[:i] + char + raw[i + 1:]
    result = validate(changed, TOKEN, now=NOW, max_age=HOUR)
    if changed != raw and parse_qsl(changed, keep_blank_values=True) != parse_qsl(raw):
        assert isinstance(result, InitDataError)


def test_session_tokens() -> None:
    token = tokens.issue(42, TOKEN, now=NOW, ttl=timedelta(minutes=30), language_code="en")
    assert tokens.check(token, TOKEN, now=NOW + timedelta(minutes=29)) == (42, "en")
    assert tokens.check(token, TOKEN, now=NOW + timedelta(minutes=30)) is None
    assert tokens.check(token, "999:other", now=NOW) is None
    user, expiry, language, mac = token.split(".")
    assert tokens.check(f"43.{expiry}.{language}.{mac}", TOKEN, now=NOW) is None
    assert tokens.check(f"{user}.{int(expiry) + 9999}.{language}.{mac}", TOKEN, now=NOW) is None
    assert tokens.check(f"{user}.{expiry}.zh.{mac}", TOKEN, now=NOW) is None
    assert tokens.check("garbage", TOKEN, now=NOW) is None
    odd = tokens.issue(42, TOKEN, now=NOW, ttl=timedelta(minutes=1), language_code="x.y")
    assert tokens.check(odd, TOKEN, now=NOW) == (42, None)


@given(st.text(max_size=250))
def test_any_text_is_no_session(text: str) -> None:
    assert tokens.check(text, TOKEN, now=NOW) is None
