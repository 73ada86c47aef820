"""Telegram's HTML parse_mode, ported from tdlib's parser so errors read exactly as Telegram's.

It works on UTF-8 bytes because Telegram reports error positions as byte offsets, and
counts entity offsets in UTF-16 code units, as the Bot API does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_TAGS = frozenset(
    "a b strong i em s strike del u ins tg-spoiler tg-emoji span pre code blockquote".split()
)
_SIMPLE_TYPES = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "tg-spoiler": "spoiler", "span": "spoiler",
}  # fmt: skip
_NAMED_ENTITIES = {b"lt": ord("<"), b"gt": ord(">"), b"amp": ord("&"), b"quot": ord('"')}
_SPACES = frozenset(b" \t\r\n\f\v")
_ASCII_SPACE = " \t\r\n\f\v"
_SURROGATE_ERROR = (
    "Text contains invalid Unicode characters after decoding HTML entities, "
    "check for unmatched surrogate code units"
)


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; str() is Telegram's own wording."""


@dataclass
class _Open:
    tag: str
    argument: str
    utf16_offset: int
    result_pos: int


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _Parser:
    def __init__(self, text: str):
        self.data = text.encode("utf-8")
        self.i = 0
        self.out = bytearray()
        self.utf16 = 0
        self.entities: list[dict[str, Any]] = []
        self.stack: list[_Open] = []
        self.surrogate = False

    def at(self, i: int) -> int:
        return self.data[i] if i < len(self.data) else 0

    def parse(self) -> tuple[str, list[dict[str, Any]]]:
        while self.i < len(self.data):
            c = self.data[self.i]
            if c == ord("&") and self._entity_char():
                continue
            if c != ord("<"):
                self.out.append(c)
                if c & 0xC0 != 0x80:  # first byte of a character; 4-byte ones are surrogate pairs
                    self.utf16 += 2 if c >= 0xF0 else 1
                self.i += 1
                continue
            if self.at(self.i + 1) == ord("/"):
                self._end_tag()
            else:
                self._start_tag()
        if self.stack:
            tag = self.stack[-1].tag
            raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{tag}"')
        if self.surrogate:
            raise EntityParseError(_SURROGATE_ERROR)
        for entity in self.entities:
            entity.pop("_lang", None)
        entities = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return self.out.decode("utf-8"), entities

    def _decode_entity(self, pos: int) -> tuple[int, int] | None:
        """(code point, position after it) of an HTML entity at `pos`, or None if there is none."""
        end, value = pos + 1, 0
        if self.at(end) == ord("#"):
            end += 1
            hexadecimal = self.at(end) == ord("x")
            digits = b"0123456789abcdefABCDEF" if hexadecimal else b"0123456789"
            end += hexadecimal
            while self.at(end) and self.at(end) in digits:
                value = value * (16 if hexadecimal else 10) + int(chr(self.at(end)), 16)
                end += 1
                if value >= 0x10FFFF:
                    return None
            if value == 0 or end - pos >= 10:
                return None
        else:
            while chr(self.at(end)).isascii() and chr(self.at(end)).isalpha():
                end += 1
            named = _NAMED_ENTITIES.get(self.data[pos + 1 : end])
            if named is None:
                return None
            value = named
        return value, end + 1 if self.at(end) == ord(";") else end

    def _entity_char(self) -> bool:
        decoded = self._decode_entity(self.i)
        if decoded is None:
            return False
        value, self.i = decoded
        if 0xD800 <= value <= 0xDFFF:
            self.surrogate = True  # Telegram reports it once the whole text is parsed
            value = 0xFFFD
        self.out += chr(value).encode("utf-8")
        self.utf16 += 2 if value > 0xFFFF else 1
        return True

    def _start_tag(self) -> None:
        begin = self.i
        i = begin + 1
        while self.at(i) and self.at(i) not in _SPACES and self.at(i) != ord(">"):
            i += 1
        if self.at(i) == 0:
            raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
        tag = self.data[begin + 1 : i].decode("utf-8", "replace").lower()
        if tag not in _TAGS:
            raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')
        argument = ""
        while self.at(i) != ord(">"):
            while self.at(i) in _SPACES:
                i += 1
            if self.at(i) == ord(">"):
                break
            i, name, value = self._attribute(i, tag, begin)
            argument = _argument(tag, name, value) or argument
        if tag == "span" and argument != "spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {begin}'
            )
        self.stack.append(_Open(tag, argument, self.utf16, len(self.out)))
        self.i = i + 1

    def _attribute(self, i: int, tag: str, begin: int) -> tuple[int, str, str]:
        name_begin = i
        while self.at(i) and self.at(i) not in _SPACES and self.at(i) not in b"=>":
            i += 1
        name = self.data[name_begin:i].decode("utf-8", "replace")
        if not name:
            raise EntityParseError(
                f'Empty attribute name in the tag "{tag}" at byte offset {begin}'
            )
        while self.at(i) in _SPACES:
            i += 1
        if self.at(i) != ord("="):
            if tag == "blockquote" and name == "expandable":
                return i, name, ""
            raise EntityParseError(
                "Expected equal sign in declaration of an attribute of the tag "
                f'"{tag}" at byte offset {begin}'
            )
        i += 1
        while self.at(i) in _SPACES:
            i += 1
        if self.at(i) == 0:
            raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
        value = bytearray()
        quote = self.at(i)
        if quote not in b"'\"":
            token_begin = i
            while chr(self.at(i)).isascii() and (chr(self.at(i)).isalnum() or self.at(i) in b".-"):
                i += 1
            value += self.data[token_begin:i].lower()
            if self.at(i) not in _SPACES and self.at(i) != ord(">"):
                raise EntityParseError(
                    f"Unexpected end of name token at byte offset {token_begin}"
                )
        else:
            i += 1
            while self.at(i) and self.at(i) != quote:
                decoded = self._decode_entity(i) if self.at(i) == ord("&") else None
                if decoded is not None:
                    value += chr(decoded[0]).encode("utf-8", "replace")
                    i = decoded[1]
                else:
                    value.append(self.at(i))
                    i += 1
            if self.at(i) == quote:
                i += 1
        if self.at(i) == 0:
            raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
        return i, name, value.decode("utf-8", "replace")

    def _end_tag(self) -> None:
        begin = self.i
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {begin}")
        i = begin + 2
        while self.at(i) and self.at(i) not in _SPACES and self.at(i) != ord(">"):
            i += 1
        end_name = self.data[begin + 2 : i].decode("utf-8", "replace")
        while self.at(i) in _SPACES:
            i += 1
        if self.at(i) != ord(">"):
            raise EntityParseError(f"Unclosed end tag at byte offset {begin}")
        opened = self.stack.pop()
        if end_name and end_name != opened.tag:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {begin}, expected "</{opened.tag}>", '
                f'found "</{end_name}>"'
            )
        self.i = i + 1
        if self.utf16 > opened.utf16_offset:
            self._add_entity(opened)

    def _add_entity(self, opened: _Open) -> None:
        offset, length = opened.utf16_offset, self.utf16 - opened.utf16_offset
        entity: dict[str, Any] = {"offset": offset, "length": length}
        tag = opened.tag
        if tag in _SIMPLE_TYPES:
            entity["type"] = _SIMPLE_TYPES[tag]
        elif tag == "a":
            raw_url = opened.argument or self.out[opened.result_pos :].decode("utf-8", "replace")
            url = _normalise_url(raw_url)
            if url is None:
                return
            mention = _USER_MENTION.fullmatch(url)
            if mention:  # Telegram turns a link to a user into a mention of them
                entity.update(type="text_mention", user={"id": int(mention[1])})
            else:
                entity.update(type="text_link", url=url)
        elif tag in ("pre", "code"):
            self._add_code(entity, tag, opened.argument)
            return
        elif tag == "blockquote":
            entity["type"] = "expandable_blockquote" if opened.argument else "blockquote"
        elif tag == "tg-emoji":
            if not opened.argument:
                return
            entity.update(type="custom_emoji", custom_emoji_id=opened.argument)
        self.entities.append(entity)

    def _add_code(self, entity: dict[str, Any], tag: str, language: str) -> None:
        # <pre><code class="language-x"> nests into one pre entity with a language, as in tdlib.
        last = self.entities[-1] if self.entities else None
        same_span = last is not None and (last["offset"], last["length"]) == (
            entity["offset"],
            entity["length"],
        )
        if tag == "pre" and same_span and last and last["type"] == "code" and last.get("_lang"):
            last.update(type="pre", language=last.pop("_lang"))
            return
        if tag == "code" and same_span and last and last["type"] == "pre" and language:
            last["language"] = language
            return
        entity["type"] = tag
        if tag == "code" and language:
            entity["_lang"] = language  # only kept if a <pre> closes around it
        self.entities.append(entity)


def _argument(tag: str, name: str, value: str) -> str:
    if tag == "a" and name == "href":
        return value
    if tag == "code" and name == "class" and value.startswith("language-"):
        return value[len("language-") :]
    if tag == "span" and name == "class" and value.startswith("tg-"):
        return value[len("tg-") :]
    if tag == "tg-emoji" and name == "emoji-id":
        return value
    if tag == "blockquote" and name == "expandable":
        return "1"
    return ""


_USER_MENTION = re.compile(r"tg://user\?id=(\d{1,15})", re.IGNORECASE)


def _normalise_url(url: str) -> str | None:
    if not url or any(c.isspace() for c in url):
        return None
    if url.startswith("tg://") or "://" in url:
        return url
    if "." not in url.split("/", 1)[0]:
        return None
    host, _, rest = url.partition("/")
    return f"http://{host}/{rest}"


def trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strip surrounding whitespace as Telegram does, moving and clipping the entities."""
    # ASCII whitespace only: a leading ideographic space (U+3000) in Chinese text stays.
    stripped = text.strip(_ASCII_SPACE)
    lead = utf16_length(text) - utf16_length(text.lstrip(_ASCII_SPACE))
    total = utf16_length(stripped)
    kept = []
    for entity in entities:
        start = max(0, entity["offset"] - lead)
        end = min(total, entity["offset"] + entity["length"] - lead)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and Bot API `MessageEntity` dicts; raises EntityParseError like Telegram."""
    return _Parser(text).parse()
