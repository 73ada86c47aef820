"""Find the knowledge-base entries closest to a free-text question.

Each entry has several texts (its question and paraphrases); each text is scored separately
and the entry takes its best text's score. A text's score mixes two signals, each about 0 to 1:

- lexical: BM25 (bm25s, Lucene variant) over the tokens of `text.tokens`, divided by what a
  text of average length containing each query token once would score, i.e. the idf-weighted
  share of the question that the text covers. Unknown English words are first mapped to the
  closest word of the index (rapidfuzz ratio ≥ 80), which absorbs most typos.
- fuzzy: rapidfuzz's normalised Indel ratio between the meaningful words of question and text
  (`text.words`), which forgives typos inside words, Chinese ones too.

An optional context text per entry (its answer) adds CONTEXT_WEIGHT × its own lexical score,
which separates entries whose questions look alike. Scores run from 0 to about 1.

The weights and thresholds come from benchmarks/faq_eval.py on the shipped evaluation sets,
with out-of-scope questions from the public data as negatives (figures in benchmarks/README.md):
from CONFIDENT up, with a lead of MARGIN over the next entry, 30–45 % of the evaluation
questions are answered at once and about 90 % of those answers are right, while 1–2 % of
out-of-scope questions get an answer; from NEAR up the question gets candidates, and the right
entry is among them for about 87 %; below NEAR (about 10 %) it goes to a person.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from bot.services.faq import text as textmod

LEXICAL_WEIGHT = 0.7
CONTEXT_WEIGHT = 0.3
TYPO_CUTOFF = 80.0
K1, B = 1.2, 0.75

# See the module docstring and benchmarks/README.md for where these come from.
CONFIDENT = 0.65
MARGIN = 0.08
NEAR = 0.4


@dataclass(frozen=True, slots=True)
class Match:
    id: str
    score: float


class _Bm25:
    """bm25s over one corpus of token lists, plus the idf it uses, for normalising."""

    def __init__(self, docs: Sequence[list[str]]) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import bm25s
        # bm25s sets its own logger to DEBUG and logs every index it builds.
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self.n = len(docs)
        df: Counter[str] = Counter()
        for doc in docs:
            df.update(set(doc))
        self.idf = {t: self._idf(n) for t, n in df.items()}
        self.unknown_idf = self._idf(0)
        self.index = bm25s.BM25(k1=K1, b=B, method="lucene")
        # bm25s needs at least one token per document to build its matrix.
        self.index.index([doc or [""] for doc in docs], show_progress=False)

    def _idf(self, df: int) -> float:
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def coverage(self, query: list[str]) -> np.ndarray:
        """Per document, BM25 score / score of an average document holding each token once.

        About 0 to 1; a short document that repeats the query's words can exceed 1 a little.
        """
        known = [t for t in query if t in self.idf]
        if not known:
            return np.zeros(self.n, dtype=np.float32)
        # A Chinese question's bigrams that span two words ("和同" in "和同事") are mostly
        # unknown to any index; they count when they match but do not dilute when they don't.
        ideal = sum(self.idf.get(t, 0.0 if t.startswith("b:") else self.unknown_idf)
                    for t in query) / (1 + K1)
        scores = self.index.get_scores(known)
        return np.asarray(scores, dtype=np.float32) / ideal


class Matcher:
    """Ranks entries by similarity to a question; never raises on any text."""

    def __init__(self, items: Sequence[tuple[str, list[str]]],
                 context: Mapping[str, str] | None = None, *,
                 lexical_weight: float = LEXICAL_WEIGHT) -> None:
        self.ids = [entry_id for entry_id, _ in items]
        self._lexical_weight = lexical_weight
        owners: list[int] = []
        texts: list[str] = []
        for i, (_, variants) in enumerate(items):
            for variant in variants or [""]:
                owners.append(i)
                texts.append(variant)
        self._owners = np.asarray(owners, dtype=np.int64)
        docs = [textmod.tokens(t) for t in texts]
        self._keys = [textmod.words(t) for t in texts]
        self._bm25 = _Bm25(docs) if docs else None
        self._context: _Bm25 | None = None
        known = set(self._bm25.idf) if self._bm25 else set()
        if context:
            self._context = _Bm25([textmod.tokens(context.get(i, "")) for i in self.ids])
            known |= set(self._context.idf)
        self._known = known
        self._latin = sorted(t[2:] for t in known if t.startswith("e:"))

    def _correct(self, tokens: list[str]) -> list[str]:
        """Unknown English stems replaced by the closest known one (typos)."""
        from rapidfuzz import fuzz, process

        assert self._bm25 is not None
        out = []
        for token in tokens:
            if token.startswith("e:") and token not in self._known and len(token) >= 6:
                best = process.extractOne(token[2:], self._latin, scorer=fuzz.ratio,
                                          score_cutoff=TYPO_CUTOFF)
                if best is not None:
                    token = "e:" + best[0]
            out.append(token)
        return out

    def scores(self, text: str) -> np.ndarray:
        """Score of every entry, in the order of `ids`."""
        from rapidfuzz import fuzz, process

        result = np.zeros(len(self.ids), dtype=np.float32)
        if self._bm25 is None:
            return result
        query = list(dict.fromkeys(self._correct(textmod.tokens(text))))
        key = textmod.words(text)
        if not query and not key:
            return result
        lexical = self._bm25.coverage(query)
        fuzzy = np.zeros_like(lexical)
        if key:
            fuzzy = process.cdist([key], self._keys, scorer=fuzz.ratio, dtype=np.float32,
                                  workers=1)[0] / 100.0
        combined = self._lexical_weight * lexical + (1 - self._lexical_weight) * fuzzy
        np.maximum.at(result, self._owners, combined)
        if self._context is not None:
            result += CONTEXT_WEIGHT * self._context.coverage(query)
        return result

    def search(self, text: str, k: int = 3) -> list[Match]:
        """The `k` best entries, best first; entries with no similarity at all are left out."""
        scores = self.scores(text)
        order = np.argsort(-scores, kind="stable")[: max(k, 0)]
        return [Match(self.ids[i], round(float(scores[i]), 4)) for i in order if scores[i] > 0]

    @staticmethod
    def confident(matches: Sequence[Match]) -> bool:
        """The best match may be given as the answer."""
        if not matches or matches[0].score < CONFIDENT:
            return False
        return len(matches) == 1 or matches[0].score - matches[1].score >= MARGIN

    @staticmethod
    def near(matches: Sequence[Match]) -> bool:
        """The best matches are worth offering as candidates."""
        return bool(matches) and matches[0].score >= NEAR
