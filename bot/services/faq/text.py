"""Text normalisation and tokens for matching questions, in Chinese, English or both mixed.

Chinese has no spaces: a run of Han characters becomes jieba's search-mode words of two
characters or more (which include the sub-words of long words) plus every character bigram, so
an unknown word, a missing particle or a one-character typo still leaves most tokens in
common. Latin runs become lower-case Snowball stems without stop words. Tokens carry a
one-letter prefix (w: word, b: bigram, e: English stem) so the same characters from two
tokenisers stay separate terms.

jieba's segmentation comes from rjieba (jieba-rs, the same dictionary and algorithm, a third
of the memory), loaded once, lazily.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from typing import Any

# Longest part of a message we tokenise: questions are short; the rest of a 10,000-character
# message would only cost time.
MAX_TEXT_CHARS = 400

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUNS = re.compile(rf"[{_HAN}]+|[a-z0-9]+(?:['’][a-z]+)?")
_IS_HAN = re.compile(rf"[{_HAN}]")

# Words that carry no meaning in a question about the rules. Small on purpose: BM25's idf
# already discounts frequent words; these are the ones that make short questions look alike.
EN_STOP_WORDS = frozenset("""
a an the and or but if of to in on at by for with from into about as than then so
is are was were be been being am do does did doing have has had having
i me my we our us you your he him his she her it its they them their this that these those
there here what which who whom whose when where why how
can could may might must shall should will would
not no nor any some all each every other such own same just also too very
please tell know want get got let s t ok okay hi hello hey thanks thank
isn aren wasn weren don doesn didn won wouldn shouldn couldn haven hasn
isnt arent dont doesnt didnt cant wont ive im youre
""".split())

@cache
def _segmenter() -> Any:
    """jieba's segmenter, loaded on first use (its dictionary, once per process).

    rjieba (jieba-rs) cuts exactly as jieba 0.42 does with the same dictionary and HMM (checked
    on every Han run of our knowledge bases, query sets and the public Tianchi set:
    benchmarks/README.md "Memory"), in about 33 MB where jieba's Python dictionary took 80."""
    import rjieba

    return rjieba


def warm_up() -> None:
    """Load jieba's dictionary now rather than on the first question."""
    _segmenter().cut("预热", True)


@cache
def _stemmer() -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer("english")


def normalise(text: str) -> str:
    """NFKC (full-width letters and digits become ASCII), lower case, single spaces, capped."""
    text = unicodedata.normalize("NFKC", text[: MAX_TEXT_CHARS * 2])[:MAX_TEXT_CHARS]
    return " ".join(text.casefold().split())


def has_han(text: str) -> bool:
    return _IS_HAN.search(text) is not None


def _han_tokens(run: str) -> list[str]:
    if len(run) == 1:
        return ["b:" + run]
    # One-character words are mostly particles (吗, 的, 和); the bigrams keep the rest.
    words = [w for w in _segmenter().cut_for_search(run, True) if len(w.strip()) > 1]
    bigrams = [run[i : i + 2] for i in range(len(run) - 1)]
    return ["w:" + w for w in words] + ["b:" + b for b in bigrams]


def _latin_tokens(run: str) -> list[str]:
    word = run.replace("’", "'").split("'", 1)[0]
    if word in EN_STOP_WORDS or not word:
        return []
    return ["e:" + _stemmer().stemWord(word)]


def tokens(text: str) -> list[str]:
    """Search tokens of `text` (any length, any characters; never raises)."""
    out: list[str] = []
    for run in _RUNS.findall(normalise(text)):
        out.extend(_han_tokens(run) if has_han(run[0]) else _latin_tokens(run))
    return out


def words(text: str) -> str:
    """Meaningful words separated by spaces, for fuzzy whole-string comparison."""
    out: list[str] = []
    for run in _RUNS.findall(normalise(text)):
        if has_han(run[0]):
            out.extend(w for w in _segmenter().cut(run, True) if w.strip())
        else:
            out.extend(t[2:] for t in _latin_tokens(run))
    return " ".join(out)
