"""Check that a knowledge-base text is HTML that Telegram's parse_mode=HTML accepts.

Stricter than Telegram on purpose: every `&` and `<` that is not markup must be written as an
entity (Telegram lets some bare `&` through, a bare `<` fails the whole message), and only the
tags of the knowledge-base format are allowed.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

# Tag → attributes it may carry. Telegram also knows strong/em/ins/strike/del as synonyms.
ALLOWED_TAGS: dict[str, frozenset[str]] = {
    "b": frozenset(), "strong": frozenset(), "i": frozenset(), "em": frozenset(),
    "u": frozenset(), "ins": frozenset(), "s": frozenset(), "strike": frozenset(),
    "del": frozenset(), "a": frozenset({"href"}), "code": frozenset({"class"}),
    "pre": frozenset(), "blockquote": frozenset({"expandable"}),
}  # fmt: skip
ENTITIES = frozenset({"lt", "gt", "amp", "quot"})
_TAG = re.compile(r"<[^>]*>")
_URL = re.compile(r"(https?|tg|mailto):\S+", re.IGNORECASE)


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.problems: list[tuple[int, str]] = []
        self.stack: list[tuple[str, int]] = []

    def _problem(self, message: str) -> None:
        self.problems.append((self.getpos()[0], message))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self._problem(f"tag <{tag}> is not allowed (allowed: b, i, u, s, a href, code, "
                          "pre, blockquote)")
            return
        for name, value in attrs:
            if name not in ALLOWED_TAGS[tag]:
                self._problem(f"attribute {name!r} is not allowed on <{tag}>")
            elif tag == "a" and not _URL.fullmatch(value or ""):
                self._problem(f"<a href> needs an http(s), tg: or mailto: address, not {value!r}")
        if tag == "a" and not any(name == "href" for name, _ in attrs):
            self._problem("<a> needs an href")
        self.stack.append((tag, self.getpos()[0]))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._problem(f"self-closing tag <{tag}/> is not allowed (use a line break)")

    def handle_endtag(self, tag: str) -> None:
        if tag not in ALLOWED_TAGS:
            self._problem(f"closing tag </{tag}> is not allowed")
        elif not self.stack or self.stack[-1][0] != tag:
            expected = f"</{self.stack[-1][0]}>" if self.stack else "no closing tag"
            self._problem(f"</{tag}> does not match: expected {expected}")
            if any(open_tag == tag for open_tag, _ in self.stack):
                while self.stack and self.stack.pop()[0] != tag:
                    pass
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if "<" in data:
            self._problem("a bare '<' must be written &lt;")
        if "&" in data:
            self._problem("a bare '&' must be written &amp;")

    def handle_entityref(self, name: str) -> None:
        if name not in ENTITIES:
            self._problem(f"entity &{name}; is not supported by Telegram "
                          "(only &lt; &gt; &amp; &quot; and numeric ones)")

    def handle_comment(self, data: str) -> None:
        self._problem("HTML comments are not allowed")

    def handle_decl(self, decl: str) -> None:
        self._problem("declarations are not allowed")

    def handle_pi(self, data: str) -> None:
        self._problem("processing instructions are not allowed")

    def unknown_decl(self, data: str) -> None:
        self._problem("declarations are not allowed")


def check_html(text: str) -> list[tuple[int, str]]:
    """Problems in `text` as (line within the text, starting at 1; message)."""
    checker = _Checker()
    checker.feed(text)
    checker.close()
    if checker.rawdata:  # an unterminated tag such as "<b" is left unparsed
        checker.problems.append((checker.getpos()[0], "unterminated tag"))
    for tag, line in checker.stack:
        checker.problems.append((line, f"<{tag}> is never closed"))
    return checker.problems


def visible_text(text: str) -> str:
    """What the reader sees: tags removed, entities decoded."""
    return html.unescape(_TAG.sub("", text))


def utf16_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2
