"""bot.runtime.logs.Redactor: the token and phone numbers never pass; ids and dates do."""

from __future__ import annotations

import logging
import sys

import pytest

from bot.runtime.logs import Redactor

TOKEN = "7712345678:AAHk3J9xQm2Lp7Rt5Vw8Yz1Ab4Cd6Ef0Gh"


@pytest.mark.parametrize("text, kept", [
    (f"POST https://api.telegram.org/bot{TOKEN}/sendMessage", "https://api.telegram.org/bot"),
    ("some other bot 123456789:ABCDEFGHIJKLMNOPQRSTUVWXYZ_-abc", "some other bot"),
    ("linked +86 138-0013-8000", "linked"),
    ("linked 13800138000.", "linked"),
    ("linked 008613800138000", "linked"),
    ("linked +44 20 7946 0958", "linked"),
])
def test_secrets_and_phones_are_masked(text: str, kept: str) -> None:
    masked = Redactor(TOKEN).redact(text)
    assert kept in masked and not any(ch.isdigit() for ch in masked.replace(kept, ""))


@pytest.mark.parametrize("text", [
    "update 123456789 taken for user 7654321098 on 2026-12-04 at 07:30",
    "outbox 42 sent in 0.37 s; 1500 rows",
])
def test_ids_dates_and_figures_stay(text: str) -> None:
    assert Redactor(TOKEN).redact(text) == text


def test_a_record_and_its_traceback_are_redacted() -> None:
    try:
        raise ValueError(f"bad call to /bot{TOKEN}/getMe for +8613800138000")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "user %s", ("13800138000",),
                                   exc_info=sys.exc_info())
    assert Redactor(TOKEN).filter(record)
    assert record.getMessage() == "user <phone>"
    assert record.exc_text and TOKEN not in record.exc_text and "13800138000" not in \
        record.exc_text
