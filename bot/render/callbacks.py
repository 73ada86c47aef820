"""Callback data: each family of buttons has one codec, the only place its format is written.

A codec encodes a button's data (render does, when it draws the button), gives the pattern
its one CallbackQueryHandler is registered with (handlers/__init__.py), and decodes the data
back (the handler does). Every codec is listed in `CODECS`; a test checks that the longest
data each can produce fits Telegram's 64 bytes.

    ALERT_HANDLED = Codec("ah", Int("alert"))
    ALERT_HANDLED.encode(42)            → "ah:42"
    ALERT_HANDLED.pattern               → r"^ah:(\\d{1,19})$"
    ALERT_HANDLED.decode("ah:42")       → (42,)
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Any

from bot.render.payloads import MAX_CALLBACK_DATA

SEPARATOR = ":"


@dataclass(frozen=True)
class Int:
    """A whole number (an id, a page): up to `digits` digits, optionally negative."""

    name: str
    digits: int = 19
    signed: bool = False

    def regex(self) -> str:
        return f"{'-?' if self.signed else ''}[0-9]{{1,{self.digits}}}"

    def encode(self, value: Any) -> str:
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{self.name}: {value!r} is not an int")
        return str(value)

    def decode(self, text: str) -> int:
        return int(text)

    def longest(self) -> int:
        return self.digits + (1 if self.signed else 0)


@dataclass(frozen=True)
class Word:
    """One of a fixed set of words (an action, a choice), or an enum's values."""

    name: str
    words: tuple[str, ...]

    @classmethod
    def of(cls, name: str, choices: type[enum.Enum]) -> Word:
        return cls(name, tuple(str(m.value) for m in choices))

    def regex(self) -> str:
        return "(?:" + "|".join(re.escape(w) for w in sorted(self.words, key=len,
                                                              reverse=True)) + ")"

    def encode(self, value: Any) -> str:
        text = str(value.value if isinstance(value, enum.Enum) else value)
        if text not in self.words:
            raise ValueError(f"{self.name}: {text!r} is not one of {self.words}")
        return text

    def decode(self, text: str) -> str:
        return text

    def longest(self) -> int:
        return max(len(w.encode()) for w in self.words)


@dataclass(frozen=True)
class Token:
    """A short opaque token (a date, a code) of characters other than the separator."""

    name: str
    max_length: int
    charset: str = r"[A-Za-z0-9_\-]"

    def regex(self) -> str:
        return f"{self.charset}{{1,{self.max_length}}}"

    def encode(self, value: Any) -> str:
        text = str(value)
        if not re.fullmatch(self.regex(), text):
            raise ValueError(f"{self.name}: {text!r} is not a valid token")
        return text

    def decode(self, text: str) -> str:
        return text

    def longest(self) -> int:
        return self.max_length


Field = Int | Word | Token
CODECS: list[Codec] = []


class Codec:
    """The callback data of one family of buttons: `prefix:field:field…`."""

    prefix: str
    fields: tuple[Field, ...]
    pattern: str

    def __init__(self, prefix: str, *fields: Field) -> None:
        if any(c.prefix == prefix for c in CODECS):
            raise ValueError(f"callback prefix {prefix!r} is used twice")
        self.prefix = prefix
        self.fields = fields
        parts = [re.escape(prefix)] + [f"({f.regex()})" for f in fields]
        self.pattern = "^" + SEPARATOR.join(parts) + "$"
        self._regex = re.compile(self.pattern)
        CODECS.append(self)

    def encode(self, *values: Any) -> str:
        if len(values) != len(self.fields):
            raise TypeError(f"{self.prefix}: {len(self.fields)} values, got {len(values)}")
        data = SEPARATOR.join([self.prefix] + [f.encode(v) for f, v in zip(self.fields, values,
                                                                           strict=True)])
        if len(data.encode()) > MAX_CALLBACK_DATA:
            raise ValueError(f"{self.prefix}: callback data over {MAX_CALLBACK_DATA} bytes")
        return data

    def decode(self, data: str | None) -> tuple[Any, ...] | None:
        """The values, or None when `data` is not this family's."""
        match = self._regex.fullmatch(data or "")
        if match is None:
            return None
        return tuple(f.decode(text) for f, text in zip(self.fields, match.groups(), strict=True))

    def matches(self, data: str | None) -> bool:
        return self._regex.fullmatch(data or "") is not None

    def longest(self) -> int:
        """The most bytes this codec's data can take."""
        return len(self.prefix.encode()) + sum(len(SEPARATOR) + f.longest() for f in self.fields)
