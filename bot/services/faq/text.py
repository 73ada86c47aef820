"""Text normalisation and tokens for matching questions, in Chinese, English or both mixed.

`normalise` is for matching only: NFKC (full-width letters and digits become ASCII),
traditional characters to simplified (OpenCC's t2s), lower case, single spaces. What a member
or a leader wrote is stored and forwarded as written, never normalised.

Chinese has no spaces: a run of Han characters is cut into jieba's words; function words
(ZH_STOP_WORDS: 什么, 时候, 要不要, 可以 …) are dropped so that they cannot decide a match
when a typo makes the content word unknown. What is left becomes its search-mode words of two
characters or more, every character bigram inside the content, and every content character
(a wrong-character typo still leaves the other character of the word). Latin runs become
lower-case Snowball stems without stop words. Tokens carry a one-letter prefix (w: word,
b: bigram, u: character, e: English stem, s: synonym group) so the same characters from two
tokenisers stay separate terms.

jieba's cuts come from rjieba (jieba-rs: jieba's algorithm) on jieba's 100,000 most frequent
words (a quarter of rjieba's memory with the whole dictionary); it and OpenCC are loaded
once, lazily.
"""

from __future__ import annotations

import gzip
import importlib.machinery
import importlib.util
import re
import sys
import threading
import unicodedata
from collections.abc import Mapping
from functools import cache
from pathlib import Path
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
u ur pls plz w r still
""".split())

# The Chinese counterpart: question words, particles, pronouns, modal verbs and politeness
# that any question may contain. Matched as whole jieba words (after t2s).
ZH_STOP_WORDS = frozenset("""
什么 什么样 啥 怎么 怎么样 怎样 如何 怎么办 咋 咋办 咋样 为什么 为啥 哪 哪里 哪儿 哪些 哪个 几 多少
吗 嘛 呢 吧 啊 呀 哦 哈 啦 么 嘞 喔 噢 诶 呗
的 地 得 了 着 过 和 与 跟 及 或 或者 还是 而且 并且 但是 可是 就 都 也 还 又 才 再 很 挺 太 更 最
我 我们 你 你们 您 他 她 他们 她们 咱 咱们 自己 大家 人家
这 那 这个 那个 这些 那些 这样 那样 这种 那种 这里 那里 这边 那边 此
是 是不是 是否 有没有 有 没有 在 要 要不要 需要 需不需要 用不用 用
能 能不能 能否 可以 可不可以 可否 会 会不会 行 行不行
应该 应不应该 必须 得 想 想要 打算 准备
请问 请 问 问一下 一下 麻烦 您好 你好 谢谢 感谢 不好意思 打扰 打扰了 好的 嗯 哎 呃
时候 的时候 时 现在 目前 一般 一些 一点 有点 有些 一个 个 些
吗 了吗 呢 对 对吗 对不对 好吗 可以吗 行吗 没事 没事吧 应该 还能 还要
""".split())

# A message from this long (Han characters, or Latin words of two letters or more) is long:
# it is also read clause by clause, and words unknown to the knowledge base are expected in it
# (greetings, background) rather than a sign that it asks about something else.
LONG_HAN, LONG_WORDS = 30, 18
_HAN_CHAR = re.compile(rf"[{_HAN}]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")

_lock = threading.Lock()


def is_long(text: str) -> bool:
    text = text[:1000]
    return (len(_HAN_CHAR.findall(text)) >= LONG_HAN
            or len(_LATIN_WORD.findall(text)) >= LONG_WORDS)


# jieba's dictionary as the bot loads it: its 100,000 most frequent words and every single
# character, with the whole dictionary's total (scripts/jieba_words.py writes it).
JIEBA_WORDS = Path(__file__).resolve().parents[2] / "assets" / "jieba_words.txt.gz"


def _rjieba_extension() -> Any:
    """rjieba's compiled module, without the package: `import rjieba` builds a Jieba with the
    whole dictionary at import (~33 MB resident, of which `clear()` gives back half). The
    module is registered under its own name, so a later `import rjieba` (the benchmarks')
    uses it."""
    name = "rjieba.rjieba"
    if name in sys.modules:
        return sys.modules[name]
    package = importlib.util.find_spec("rjieba")
    if package is None or not package.submodule_search_locations:
        raise ImportError("rjieba is not installed")
    directory = Path(next(iter(package.submodule_search_locations)))
    binary = next(p for p in directory.iterdir()
                  if p.name.startswith("rjieba.") and p.suffix in (".so", ".pyd"))
    loader = importlib.machinery.ExtensionFileLoader(name, str(binary))
    spec = importlib.util.spec_from_file_location(name, binary, loader=loader)
    if spec is None:
        raise ImportError(f"cannot load {binary}")
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    sys.modules[name] = module
    return module


class _Segmenter:
    """jieba's cuts from rjieba (jieba-rs: jieba 0.42's algorithm and HMM) on JIEBA_WORDS:
    ~8 MB resident where jieba's whole dictionary took 33 in rjieba and 80 in jieba itself
    (benchmarks/README.md, "Memory"). Cuts made of kept words are the whole dictionary's; a
    rarer word is cut as unknown text, alike in the knowledge base and in questions."""

    def __init__(self) -> None:
        cutter = _rjieba_extension().Jieba.empty()
        with gzip.open(JIEBA_WORDS, "rt", encoding="utf-8") as lines:
            total = int(next(lines).split()[-1])
            kept = 0
            for line in lines:
                word, freq, tag = line.split()
                cutter.add_word(word, int(freq), tag)
                kept += int(freq)
        # The dropped words' frequency, on a word no text contains: every kept word keeps
        # its probability, so cuts of kept words are the whole dictionary's.
        if total > kept:
            cutter.add_word("\ue000\ue000", total - kept, "x")
        self._cutter = cutter

    def lcut(self, text: str) -> list[str]:
        return list(self._cutter.cut(text, True))

    def lcut_for_search(self, text: str) -> list[str]:
        return list(self._cutter.cut_for_search(text, True))

    def add_word(self, word: str) -> None:
        self._cutter.add_word(word, None, None)


@cache
def _jieba() -> _Segmenter:
    """The segmenter, loaded on first use (its dictionary, once per process)."""
    return _Segmenter()


@cache
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def warm_up() -> None:
    """Load jieba's dictionary and OpenCC's tables now rather than on the first question."""
    _jieba()
    _t2s()


def add_words(new_words: list[str]) -> None:
    """Teach jieba words it should keep whole (the synonym lists' Chinese words)."""
    jieba = _jieba()
    with _lock:
        for word in new_words:
            if has_han(word) and len(word) > 1:
                jieba.add_word(word)


@cache
def _stemmer() -> Any:
    import snowballstemmer

    return snowballstemmer.stemmer("english")


def stem(word: str) -> str:
    return str(_stemmer().stemWord(word))


def normalise(text: str) -> str:
    """For matching only: NFKC, traditional → simplified, lower case, single spaces, capped."""
    text = unicodedata.normalize("NFKC", text[: MAX_TEXT_CHARS * 2])[:MAX_TEXT_CHARS]
    if has_han(text):
        text = _simplified(text)
    return " ".join(text.casefold().split())


def _simplified(text: str) -> str:
    """t2s until nothing changes: OpenCC's table chains a few characters (薴 → 苧 → 苎), and
    matching must see the same text however many times it was converted."""
    for _ in range(3):
        converted = str(_t2s().convert(text))
        if converted == text:
            break
        text = converted
    return text


def has_han(text: str) -> bool:
    return _IS_HAN.search(text) is not None


def _content_segments(run: str) -> list[list[str]]:
    """jieba's words of a Han run, function words out, as runs of adjacent content words."""
    segments: list[list[str]] = [[]]
    for word in _jieba().lcut(run):
        if word in ZH_STOP_WORDS:
            if segments[-1]:
                segments.append([])
        else:
            segments[-1].append(word)
    return [s for s in segments if s]


def _han_tokens(run: str, synonyms: Mapping[str, str]) -> list[str]:
    out: list[str] = []
    for segment in _content_segments(run):
        joined = "".join(segment)
        for word in segment:
            if word in synonyms:
                out.append("s:" + synonyms[word])
            if len(word) > 1:
                out.extend("w:" + w for w in _jieba().lcut_for_search(word) if len(w) > 1)
        out.extend("b:" + joined[i : i + 2] for i in range(len(joined) - 1))
        out.extend("u:" + ch for ch in joined)
    return out


def _latin_word(run: str) -> str:
    return run.replace("’", "'").split("'", 1)[0]


def latin_words(text: str) -> list[str]:
    """The English content words of `text` (normalised), stop words out."""
    out = []
    for run in _RUNS.findall(normalise(text)):
        if not has_han(run[0]):
            word = _latin_word(run)
            if word and word not in EN_STOP_WORDS:
                out.append(word)
    return out


def _latin_tokens(run: str, synonyms: Mapping[str, str]) -> list[str]:
    word = _latin_word(run)
    if word in EN_STOP_WORDS or not word:
        return []
    stemmed = stem(word)
    group = synonyms.get(word) or synonyms.get(stemmed)
    return ["e:" + stemmed, *(["s:" + group] if group else [])]


def tokens(text: str, synonyms: Mapping[str, str] | None = None) -> list[str]:
    """Search tokens of `text` (any length, any characters; never raises). `synonyms` maps a
    word (or an English stem) to its group's name: the group is a token of its own."""
    syn = synonyms or {}
    out: list[str] = []
    for run in _RUNS.findall(normalise(text)):
        out.extend(_han_tokens(run, syn) if has_han(run[0]) else _latin_tokens(run, syn))
    return out


def words(text: str) -> str:
    """Meaningful words separated by spaces, for fuzzy whole-string comparison."""
    out: list[str] = []
    for run in _RUNS.findall(normalise(text)):
        if has_han(run[0]):
            out.extend(w for segment in _content_segments(run) for w in segment)
        else:
            out.extend(t[2:] for t in _latin_tokens(run, {}) if t.startswith("e:"))
    return " ".join(out)
