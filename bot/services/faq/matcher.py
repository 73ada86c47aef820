"""Find the knowledge-base entries closest to a free-text question.

Each entry has several texts (its question and paraphrases); each text is scored separately
and the entry takes its best text's score. A text's score mixes two signals, each about 0 to 1:

- lexical: BM25 (Lucene's variant) over the tokens of `text.tokens`, divided by what a text of
  average length containing each query token once would score, i.e. the idf-weighted share of
  the question that the text covers. Unknown English words that look like slips of the fingers
  are mapped to a word of the index (`typos`). (Long messages are read clause by clause as
  well: bot.services.faq.service.)
- fuzzy: rapidfuzz's normalised Indel ratio between the meaningful words of question and text
  (`text.words`), which forgives typos inside words, Chinese ones too.

Synonyms (locales/<locale>/synonyms.yaml) add a token for their group to every text and
question holding one of their words. An optional context text per entry (its answer) adds
CONTEXT_WEIGHT × its own lexical score, which separates entries whose questions look alike.
A question whose words the knowledge base does not hold at all (in no question, paraphrase or
answer: "parking pass", "year-end bonus") is about something else: every score is multiplied
by 1 − UNKNOWN_PENALTY × the idf-weighted share of such words (entries only, short messages
only: a long one is expected to hold greetings and background; the ranking of a question is
unchanged, its confidence drops).
Scores run from 0 to about 1; the thresholds that turn them into decisions are in `decide`.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from bot.services.faq import text as textmod
from bot.services.faq.typos import Corrector

LEXICAL_WEIGHT = 0.7
CONTEXT_WEIGHT = 0.3
CHAR_WEIGHT = 0.3
CHAR_GRAMS = (1, 2, 3)
UNKNOWN_PENALTY = 0.7
PARTIAL_HAN = True
CORRECTED = 0.8  # weight of a corrected English word
K1, B = 1.2, 0.75
# Tokens that are mostly unknown to any index when they do not match (a bigram across two
# words, a single character): they count when they match but do not dilute when they don't.
_SOFT = ("b:", "u:")


@dataclass(frozen=True, slots=True)
class Match:
    id: str
    score: float
    text: int = 0  # which of the entry's texts scored best (0: its question or claim)


class _Bm25:
    """BM25 over one corpus of token lists."""

    def __init__(self, docs: Sequence[list[str]]) -> None:
        self.n = max(len(docs), 1)
        df: Counter[str] = Counter()
        for doc in docs:
            df.update(set(doc))
        self.idf = {t: self._idf(n) for t, n in df.items()}
        self.unknown_idf = self._idf(0)
        avgdl = sum(len(d) for d in docs) / self.n or 1.0
        postings: dict[str, tuple[list[int], list[float]]] = {}
        for i, doc in enumerate(docs):
            norm = K1 * (1 - B + B * len(doc) / avgdl)
            for token, tf in Counter(doc).items():
                weight = self.idf[token] * tf / (tf + norm)
                ids, weights = postings.setdefault(token, ([], []))
                ids.append(i)
                weights.append(weight)
        self.postings = {t: (np.asarray(ids, dtype=np.int64), np.asarray(w, dtype=np.float32))
                         for t, (ids, w) in postings.items()}
        self.size = len(docs)

    def _idf(self, df: int) -> float:
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def scores(self, query: Mapping[str, float]) -> tuple[np.ndarray, float]:
        """Per document the BM25 score, and what an average document holding each query token
        once would score (the question's own weight)."""
        scores = np.zeros(self.size, dtype=np.float32)
        ideal = 0.0
        for token, weight in query.items():
            idf = self.idf.get(token)
            if idf is None:
                ideal += 0.0 if token.startswith(_SOFT) else weight * self.unknown_idf
                continue
            ideal += weight * idf
            ids, weights = self.postings[token]
            np.add.at(scores, ids, weight * weights)
        return scores, ideal / (1 + K1)

    def coverage(self, query: Mapping[str, float]) -> np.ndarray:
        """The share of the question covered, per document (about 0 to 1)."""
        scores, ideal = self.scores(query)
        return scores / ideal if ideal > 0 else scores


class _CharTfidf:
    """Cosine similarity of character 1–3-gram TF-IDF vectors (sublinear tf, smooth idf) of
    the normalised texts: forgiving of typos and inflections in any script."""

    def __init__(self, texts: Sequence[str]) -> None:
        grams = [self._grams(t) for t in texts]
        df: Counter[str] = Counter()
        for g in grams:
            df.update(g.keys())
        self.idf = {g: math.log((1 + len(texts)) / (1 + c)) + 1 for g, c in df.items()}
        postings: dict[str, tuple[list[int], list[float]]] = {}
        for i, g in enumerate(grams):
            weights = {k: (1 + math.log(c)) * self.idf[k] for k, c in g.items()}
            norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
            for k, w in weights.items():
                ids, ws = postings.setdefault(k, ([], []))
                ids.append(i)
                ws.append(w / norm)
        self.postings = {k: (np.asarray(ids, dtype=np.int64), np.asarray(ws, dtype=np.float32))
                         for k, (ids, ws) in postings.items()}
        self.size = len(texts)

    @staticmethod
    def _grams(text: str) -> Counter[str]:
        t = textmod.normalise(text)
        return Counter(t[i:i + n] for n in CHAR_GRAMS for i in range(len(t) - n + 1))

    def cosine(self, text: str) -> np.ndarray:
        out = np.zeros(self.size, dtype=np.float32)
        query = {g: (1 + math.log(c)) * self.idf[g] for g, c in self._grams(text).items()
                 if g in self.idf}
        norm = math.sqrt(sum(w * w for w in query.values())) or 1.0
        for g, w in query.items():
            ids, weights = self.postings[g]
            np.add.at(out, ids, (w / norm) * weights)
        return out


class Matcher:
    """Ranks entries by similarity to a question; never raises on any text."""

    def __init__(self, items: Sequence[tuple[str, list[str]]],
                 context: Mapping[str, str] | None = None, *,
                 synonyms: Mapping[str, str] | None = None,
                 lexical_weight: float | None = None,
                 char_weight: float | None = None,
                 unknown_penalty: float | None = None) -> None:
        self.ids = [entry_id for entry_id, _ in items]
        self._unknown_penalty = UNKNOWN_PENALTY if unknown_penalty is None else unknown_penalty
        self._lexical_weight = LEXICAL_WEIGHT if lexical_weight is None else lexical_weight
        self._synonyms = dict(synonyms or {})
        owners: list[int] = []
        texts: list[str] = []
        firsts: list[int] = []
        for i, (_, variants) in enumerate(items):
            firsts.append(len(texts))
            for variant in variants or [""]:
                owners.append(i)
                texts.append(variant)
        self._owners = np.asarray(owners, dtype=np.int64)
        self._firsts = np.asarray(firsts, dtype=np.int64)
        docs = [textmod.tokens(t, self._synonyms) for t in texts]
        self._docs = docs
        self._keys = [textmod.words(t) for t in texts]
        self._bm25 = _Bm25(docs) if docs else None
        self._char_weight = CHAR_WEIGHT if char_weight is None else char_weight
        self._chars = _CharTfidf(texts) if texts and self._char_weight > 0 else None
        self._context: _Bm25 | None = None
        vocabulary = {w for t in texts for w in textmod.latin_words(t)}
        if context:
            context_texts = [context.get(i, "") for i in self.ids]
            self._context = _Bm25([textmod.tokens(t, self._synonyms) for t in context_texts])
            vocabulary |= {w for t in context_texts for w in textmod.latin_words(t)}
        self._corrector = Corrector(vocabulary)

    def query(self, text: str) -> dict[str, float]:
        """The question's tokens with their weights: 1, or CORRECTED for a corrected word."""
        out: dict[str, float] = {}
        for token in textmod.tokens(text, self._synonyms):
            out.setdefault(token, 1.0)
        for word in textmod.latin_words(text):
            fixed = self._corrector.correct(word)
            if fixed is None:
                continue
            typed = "e:" + textmod.stem(word)
            if typed in out and (self._bm25 is None or typed not in self._bm25.idf):
                del out[typed]
                for token in textmod.tokens(fixed, self._synonyms):
                    out[token] = max(out.get(token, 0.0), CORRECTED)
        return out

    def _text_scores(self, text: str) -> np.ndarray:
        from rapidfuzz import fuzz, process

        assert self._bm25 is not None
        query = self.query(text)
        key = textmod.words(text)
        if not query and not key:
            return np.zeros(self._bm25.size, dtype=np.float32)
        lexical = self._bm25.coverage(query)
        fuzzy = np.zeros_like(lexical)
        if key:
            fuzzy = process.cdist([key], self._keys, scorer=fuzz.ratio, dtype=np.float32,
                                  workers=1)[0] / 100.0
        combined = self._lexical_weight * lexical + (1 - self._lexical_weight) * fuzzy
        if self._chars is not None:
            combined = ((1 - self._char_weight) * combined
                        + self._char_weight * self._chars.cosine(text))
        return combined

    def scored(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Score of every entry, in the order of `ids`, and the index (within the entry) of
        the entry's text that scored best."""
        result = np.zeros(len(self.ids), dtype=np.float32)
        best_text = np.zeros(len(self.ids), dtype=np.int64)
        if self._bm25 is None:
            return result, best_text
        combined = self._text_scores(text)
        np.maximum.at(result, self._owners, combined)
        # The first text of each entry holding its best score.
        is_best = combined >= result[self._owners] - 1e-7
        for pos in np.flatnonzero(is_best)[::-1]:
            owner = self._owners[pos]
            best_text[owner] = pos - self._firsts[owner]
        query = self.query(text)
        if self._context is not None:
            result += CONTEXT_WEIGHT * self._context.coverage(query)
        if self._unknown_penalty > 0 and not textmod.is_long(text):
            result *= 1 - self._unknown_penalty * self.unknown_share(query)
        return result, best_text

    def _known(self, token: str) -> bool:
        assert self._bm25 is not None
        return token in self._bm25.idf or (self._context is not None
                                           and token in self._context.idf)

    def unknown_share(self, query: Mapping[str, float]) -> float:
        """The idf-weighted share of the question's words that no text of the index, nor any
        context text, holds: words the knowledge base knows nothing about. An unknown Chinese
        word counts for the share of its characters that are unknown too: a wrong-character
        typo (值斑 for 值班) keeps the other character, a new topic (停车场) mostly does not."""
        assert self._bm25 is not None
        unknown = total = 0.0
        words = [t for t in query if t.startswith("w:")]
        for token in query:
            # jieba's search mode adds the parts of a long word (一块儿: 一块, 块儿): one word
            if token.startswith(_SOFT) or any(token != w and token[2:] in w for w in words):
                continue
            if self._known(token):
                total += self._bm25.idf.get(token, self._bm25.unknown_idf)
                continue
            share = 1.0
            if token.startswith("w:") and PARTIAL_HAN:
                chars = token[2:]
                share = sum(not self._known("u:" + c) for c in chars) / len(chars)
            unknown += share * self._bm25.unknown_idf
            total += self._bm25.unknown_idf
        return unknown / total if total else 0.0

    def covered(self, text: str, match: Match) -> float:
        """The idf-weighted share of the matched text (`match.text` of `match.id`) that
        `text` holds: how much of a claim a message actually says."""
        if self._bm25 is None or match.id not in self.ids:
            return 0.0
        pos = int(self._firsts[self.ids.index(match.id)]) + match.text
        if pos >= len(self._docs) or self._owners[pos] != self.ids.index(match.id):
            return 0.0
        doc = set(self._docs[pos])
        query = set(self.query(text))
        whole = sum(self._bm25.idf.get(t, 0.0) for t in doc)
        return sum(self._bm25.idf.get(t, 0.0) for t in doc & query) / whole if whole else 0.0

    def scores(self, text: str) -> np.ndarray:
        """Score of every entry, in the order of `ids`."""
        return self.scored(text)[0]

    def search(self, text: str, k: int = 3) -> list[Match]:
        """The `k` best entries, best first; entries with no similarity at all are left out."""
        scores, best_text = self.scored(text)
        order = np.argsort(-scores, kind="stable")[: max(k, 0)]
        return [Match(self.ids[i], round(float(scores[i]), 4), int(best_text[i]))
                for i in order if scores[i] > 0]
