"""Property-based tests of the matching text's parsers: normalisation, tokens, the typo
check, the stance check, sentence fragments, synonyms files and queries files."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.services.faq.evaluate import NONE, QueriesError, read_queries
from bot.services.faq.rumours import MAX_PARTS, fragments
from bot.services.faq.stance import (
    calls_false,
    negations,
    off_topic,
    opposed,
    speaks_of_illness,
)
from bot.services.faq.synonyms import load_synonyms
from bot.services.faq.text import MAX_TEXT_CHARS, normalise, tokens, words
from bot.services.faq.typos import Corrector, slips

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.text(max_size=1200))
def test_normalise_is_idempotent_capped_and_never_raises(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once
    assert len(once) <= MAX_TEXT_CHARS
    assert once == once.strip() and "  " not in once


@FAST
@given(st.text(max_size=300))
def test_tokens_and_words_never_raise_and_carry_a_prefix(text: str) -> None:
    for token in tokens(text, {"聚餐": "聚餐", "dinner": "dinner"}):
        assert token[:2] in ("w:", "b:", "u:", "e:", "s:") and len(token) > 2
    assert isinstance(words(text), str)


@FAST
@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
               min_size=1, max_size=40))
def test_traditional_and_simplified_give_the_same_tokens(text: str) -> None:
    import opencc

    traditional = opencc.OpenCC("s2t").convert(text)
    # t2s(s2t(x)) is x for almost all text; the tokens follow the conversion either way.
    assert tokens(traditional) == tokens(normalise(traditional))


def test_normalise_is_a_fixed_point_for_every_han_character() -> None:
    # Random text seldom hits OpenCC's chained entries (薴 → 苧 → 苎); every character is read.
    blocks = [(0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00), (0x20000, 0x2A6E0)]
    text = "".join(chr(cp) for start, end in blocks for cp in range(start, end))
    for i in range(0, len(text), 2000):
        chunk = text[i : i + 2000]
        once = normalise(chunk)
        assert normalise(once) == once, chunk
    assert normalise("薴") == normalise("苧") == "苎"


@FAST
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12),
       st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12),
                max_size=20))
def test_a_correction_is_a_known_word_within_two_slips(word: str, vocabulary: list[str]) -> None:
    fixed = Corrector(vocabulary).correct(word)
    if fixed is not None:
        assert fixed in vocabulary and fixed != word and fixed[0] == word[0]
        assert len(word) >= 5
        n = slips(word, fixed)
        assert n is not None and n <= 2
    assert Corrector(vocabulary + [word]).correct(word) is None  # a known word stays


@FAST
@given(st.text(max_size=400))
def test_stance_never_raises(text: str) -> None:
    assert negations(text) >= 0
    assert isinstance(calls_false(text), bool)
    assert isinstance(opposed(text, text, text), bool)
    # A message never contradicts itself unless it calls itself false, and always speaks
    # of what it speaks of.
    assert opposed(text, text, text) == calls_false(text)
    assert not off_topic(text, text, text)
    assert isinstance(speaks_of_illness(text), bool)


@FAST
@given(st.text(max_size=3000))
def test_fragments_start_with_the_whole_message(text: str) -> None:
    parts = fragments(text)
    assert len(parts) <= MAX_PARTS and len(set(parts)) == len(parts)
    if text.strip():
        assert parts[0] == text[:2000].strip()
    else:
        assert parts == []


@FAST
@given(st.lists(st.lists(st.text(max_size=10), max_size=4), max_size=6))
def test_synonyms_files_load_or_report_never_raise(tmp_path_factory: object,
                                                   groups: list[list[str]]) -> None:
    import yaml

    path = Path(str(tmp_path_factory.mktemp("syn"))) / "synonyms.yaml"  # type: ignore[attr-defined]
    path.write_text(yaml.safe_dump({"locale": "en", "groups": groups}, allow_unicode=True),
                    encoding="utf-8")
    problems: list[str] = []
    table = load_synonyms(path, "en", problems)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in table.items())
    assert all(p.startswith(str(path)) for p in problems)


@FAST
@given(st.lists(st.tuples(st.text(max_size=30), st.sampled_from(["a", "b", "a|b", NONE,
                                                                   "zz", ""])), max_size=8))
def test_queries_files_parse_or_name_the_line(tmp_path_factory: object,
                                              rows: list[tuple[str, str]]) -> None:
    path = Path(str(tmp_path_factory.mktemp("q"))) / "q.tsv"  # type: ignore[attr-defined]
    path.write_text("query\tid\n" + "".join(f"{q}\t{i}\n" for q, i in rows), encoding="utf-8")
    try:
        queries = read_queries(path, {"a", "b"})
    except QueriesError as exc:
        assert str(path) in str(exc)
        return
    for q in queries:
        assert q.text and (q.expected <= {"a", "b"})
        assert q.in_scope == bool(q.expected)
