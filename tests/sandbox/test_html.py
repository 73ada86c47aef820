"""The HTML parser against tdlib's own test vectors (Telegram's server uses tdlib)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.sandbox.html import EntityParseError, parse_html, trim, utf16_length

SURROGATE = (
    "Text contains invalid Unicode characters after decoding HTML entities, "
    "check for unmatched surrogate code units"
)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("&#57311;", SURROGATE),
        ("&#xDFDF", SURROGATE),
        ("🏟 🏟&lt;<abacaba", "Unclosed start tag at byte offset 13"),
        ("🏟 🏟&lt;<abac aba>", 'Unsupported start tag "abac" at byte offset 13'),
        ("Hello <foo>bar</foo>", 'Unsupported start tag "foo" at byte offset 6'),
        ("🏟 🏟&lt;<i   =aba>", 'Empty attribute name in the tag "i" at byte offset 13'),
        (
            "🏟 🏟&lt;<i    aba>",
            'Expected equal sign in declaration of an attribute of the tag "i" at byte offset 13',
        ),
        ("🏟 🏟&lt;<i    aba  =  ", 'Unclosed start tag "i" at byte offset 13'),
        ("🏟 🏟&lt;<i    aba  =  190azAz-.,", "Unexpected end of name token at byte offset 27"),
        ('🏟 🏟&lt;<i    aba  =  "&lt;&gt;&quot;>', "Unclosed start tag at byte offset 13"),
        ("🏟 🏟&lt;</", "Unexpected end tag at byte offset 13"),
        ("🏟 🏟&lt;<b></b></", "Unexpected end tag at byte offset 20"),
        ("🏟 🏟&lt;<i>a</i   ", "Unclosed end tag at byte offset 17"),
        (
            "🏟 🏟&lt;<i>a</em   >",
            'Unmatched end tag at byte offset 17, expected "</i>", found "</em>"',
        ),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
    ],
)
def test_errors_read_as_telegrams(text: str, error: str) -> None:
    with pytest.raises(EntityParseError) as caught:
        parse_html(text)
    assert str(caught.value) == error


@pytest.mark.parametrize(
    ("text", "plain", "entities"),
    [
        ("", "", []),
        ("&lt;&gt;&amp;&quot;&laquo;&#12345678;", '<>&"&laquo;&#12345678;', []),
        ("&#x41;&#66;", "AB", []),
        ("🏟 🏟<i>🏟 &lt🏟</i>", "🏟 🏟🏟 <🏟", [("italic", 5, 6)]),
        (
            "🏟 🏟<i>🏟 &gt;<b aba   =   caba>&lt🏟</b></i>",
            "🏟 🏟🏟 ><🏟",
            [("italic", 5, 7), ("bold", 9, 3)],
        ),
        (
            "<b>a</b><strong>b</strong><u>c</u><ins>d</ins>",
            "abcd",
            [
                ("bold", 0, 1),
                ("bold", 1, 1),
                ("underline", 2, 1),
                ("underline", 3, 1),
            ],
        ),  # fmt: skip
        (
            "<s>a</s><del>b</del><tg-spoiler>c</tg-spoiler>",
            "abc",
            [
                ("strikethrough", 0, 1),
                ("strikethrough", 1, 1),
                ("spoiler", 2, 1),
            ],
        ),  # fmt: skip
        ("<b></b>x", "x", []),
        ("<i>a</>", "a", [("italic", 0, 1)]),
        ("<blockquote expandable>q</blockquote>", "q", [("expandable_blockquote", 0, 1)]),
        ('<pre><code class="language-python">x</code></pre>', "x", [("pre", 0, 1)]),
        ("<pre><code>x</code></pre>", "x", [("code", 0, 1), ("pre", 0, 1)]),
    ],
)
def test_entities(text: str, plain: str, entities: list[tuple[str, int, int]]) -> None:
    result, found = parse_html(text)
    assert result == plain
    assert sorted((e["type"], e["offset"], e["length"]) for e in found) == sorted(entities)


def test_links_are_normalised_like_telegram() -> None:
    _, entities = parse_html("<a href=telegram.org>t</a> <a href='https://x.org/?a=1&amp;b'>x</a>")
    assert [e["url"] for e in entities] == ["http://telegram.org/", "https://x.org/?a=1&b"]
    assert parse_html("<a>telegram.org </a>")[1] == []  # not a URL: no entity, text kept


def test_pre_language_is_kept() -> None:
    _, entities = parse_html('<pre><code class="language-fift">x</code></pre>')
    assert entities == [{"type": "pre", "offset": 0, "length": 1, "language": "fift"}]


def test_trim_moves_and_clips_entities() -> None:
    text, entities = trim("  <b> ab</b> \n", [])
    assert text == "<b> ab</b>"
    plain, found = parse_html("\n <b> ab </b>c \n")
    text, entities = trim(plain, found)
    assert text == "ab c"
    assert entities == [{"offset": 0, "length": 3, "type": "bold"}]


def test_utf16_length_counts_surrogate_pairs() -> None:
    assert utf16_length("a😀中") == 4


@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=50))
def test_escaped_text_round_trips(text: str) -> None:
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert parse_html(escaped) == (text, [])
    assert parse_html(f"<b>{escaped}</b>")[0] == text
