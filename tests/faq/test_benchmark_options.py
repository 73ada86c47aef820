"""The options measured beside the matcher (benchmarks/README.md, "a learned re-ranker" and
"sentence encoders"): benchmarks/faq_encoders.py's mixing of the bot's scores with an
encoder's cosines, and benchmarks/faq_rerank.py's models, on toy data where the answer is
known. A toy encoder stands in for the real ones, which are not the bot's dependencies."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from benchmarks.faq_encoders import Case, measure, rescaled
from benchmarks.faq_rerank import pairwise, pointwise, top1
from bot.services.faq.evaluate import Query
from bot.services.faq.matcher import Match

WORDS = ("fever", "mask", "meal")


class Toy:
    """One dimension per word of WORDS: a text's vector says which of them it holds."""

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return np.vstack([self.query(t) for t in texts])

    def query(self, text: str) -> np.ndarray:
        vector = np.asarray([float(w in text) for w in WORDS]) + 1e-3
        return vector / np.linalg.norm(vector)


def test_rescaled_puts_the_best_at_one_and_the_mean_at_zero() -> None:
    out = rescaled(np.asarray([0.9, 0.6, 0.3]))
    assert out.tolist() == [1.0, 0.0, 0.0]
    assert rescaled(np.asarray([0.5, 0.5])).tolist() == [0.0, 0.0]


def test_weight_zero_is_the_bot_weight_one_the_encoder() -> None:
    items = [("a", ["I have a fever"]), ("b", ["wear a mask", "masks"]), ("c", ["a meal"])]
    queries = [Query("fever again", frozenset({"a"})), Query("mask please", frozenset({"b"}))]

    def bot(text: str, k: int) -> list[Match]:  # always "c" first, the right one second
        right = "a" if "fever" in text else "b"
        return [Match("c", 0.95), Match(right, 0.3)][:k]

    rows, times = measure(Toy(), [Case("toy", items, queries, bot)], [0.0, 0.3, 0.6, 1.0])
    # The right entry's cosine rescales to 1, "c"'s to 0: at 0.3, 0.7 × 0.95 > 0.7 × 0.3 + 0.3
    # ("c" stays first); at 0.6, 0.4 × 0.95 < 0.4 × 0.3 + 0.6.
    assert rows == [("toy", [0.0, 0.0, 1.0, 1.0])]
    assert len(times) == len(queries) and all(t >= 0 for t in times)


def test_the_rerankers_learn_a_feature_that_the_score_misses() -> None:
    """The score (column 0) puts a wrong entry first; column 5 marks the right one. Trained on
    such questions, both models put the right entry first on new ones."""
    rng = np.random.default_rng(7)

    def question() -> tuple[np.ndarray, np.ndarray]:
        features = rng.random((5, 9))
        features[:, 0] = [0.9, 0.8, 0.7, 0.6, 0.5]
        right = np.zeros(5)
        right[2] = 1
        features[:, 5] = 0.1
        features[2, 5] = 0.9
        return features, right

    train, test = [question() for _ in range(40)], [question() for _ in range(10)]
    assert top1(test) == 0.0  # the score alone
    assert top1(test, pointwise(train)) == 1.0
    assert top1(test, pairwise(train)) == 1.0
