"""Logging set-up: plain text or JSON lines; ids in messages, never health details.

Our own modules log ids, never names, phones or health (STYLE.md). What other libraries
would log at DEBUG is worse: python-telegram-bot every update and every Bot API call with
its text, httpx and httpcore every URL (which carries the bot token), SQLAlchemy every
statement with its parameters. Those loggers are held at WARNING whatever LOG_LEVEL says,
and every line passes through `Redactor`, which masks the token and anything shaped like a
phone number, in the message and in a traceback's text.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from bot.config import Settings


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is when a record comes: tests and embedding tools swap
    it, and a handler holding on to a swapped-out (closed) stream fails on every record."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


# Libraries whose DEBUG and INFO lines carry message texts, request URLs with the token, or
# statement parameters; or just every run of every job (apscheduler, the notices job: 3 s).
QUIET_LIBRARIES = ("telegram", "httpx", "httpcore", "hpack", "sqlalchemy", "aiosqlite",
                   "asyncpg", "apscheduler", "aiohttp", "tornado", "alembic", "asyncio",
                   "PIL", "jieba", "urllib3")
# A bot token (123456:AA…) wherever it appears; anything shaped like a phone number.
_TOKEN = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{20,}\b")
_PHONE = re.compile(r"\+\d[\d \-]{6,}\d"  # international: +86 138-0013-8000
                    r"|(?<!\d)(?:00|86)?1[3-9]\d{9}(?!\d)"  # a Chinese mobile: 13800138000
                    r"|(?<!\d)00\d{8,15}(?!\d)")  # 008613800138000


class Redactor(logging.Filter):
    """Masks the bot's token and phone-number-shaped runs of digits in every record."""

    def __init__(self, token: str | None) -> None:
        super().__init__()
        self._token = token

    def redact(self, text: str) -> str:
        if self._token:
            text = text.replace(self._token, "<token>")
        return _PHONE.sub("<phone>", _TOKEN.sub("<token>", text))

    def filter(self, record: logging.LogRecord) -> bool:
        message = self.redact(record.getMessage())
        record.msg, record.args = message, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


def setup_logging(settings: Settings, *, verbose: bool = False) -> None:
    handler = StderrHandler()
    handler.addFilter(Redactor(settings.telegram_bot_token))
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else settings.log_level.upper())
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
