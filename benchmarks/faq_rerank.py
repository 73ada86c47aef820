"""A learned re-ranker on the matcher's own features, side by side with the matcher.

    .venv/bin/python benchmarks/faq_rerank.py

Not part of the bot: the measurement behind the choice not to add one (benchmarks/README.md,
"a learned re-ranker"). For each question, the matcher's 20 best entries get nine features:
the matcher's score, its gap to the best, 1 / rank, and per entry the best over its texts of
each signal the score mixes (BM25 coverage, fuzzy ratio, character 1–3-gram TF-IDF cosine),
the answer text's coverage, lexical × character, and the question's unknown-word share. Two
linear models, numpy only: pointwise logistic regression (classes balanced) and pairwise
(the right entry's features minus each wrong one's, logistic loss; RankNet's, linear).

Trained leave-one-set-out: for a held-out set of ours, on the development sets (questions and
rumours, both locales) and the four public sets; for a public set, on the development sets
and the three other public sets. Held-out sets are never trained on. Top-1 of the matcher
itself (its `search`, without `Faq.rank`'s other-locale search and clauses, so a little off
faq_eval.py's figures) beside each model's. Exits 0: it checks no goal.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import faq_public  # noqa: E402
import numpy as np  # noqa: E402
from faq_eval import DEFAULT_DATA, LOCALES, SETS  # noqa: E402
from rapidfuzz import fuzz, process  # noqa: E402

from bot.services.faq import matcher as matching  # noqa: E402
from bot.services.faq import text as textmod  # noqa: E402
from bot.services.faq.evaluate import read_queries  # noqa: E402
from bot.services.faq.kb import all_texts, load_all  # noqa: E402
from bot.services.faq.service import entry_matcher, rumour_matcher  # noqa: E402

K = 20  # candidates re-ranked per question
Rows = list[tuple[np.ndarray, np.ndarray]]  # per question: features (K × 9), right (K)
Model = Callable[[np.ndarray], np.ndarray]


def candidates(m: matching.Matcher, chars: matching._CharTfidf, question: str
               ) -> tuple[list[str], np.ndarray]:
    """The matcher's K best entries and their features."""
    query, key = m.query(question), textmod.words(question)
    assert m._bm25 is not None  # noqa: SLF001
    lexical = m._bm25.coverage(query)  # noqa: SLF001
    fuzzy = (process.cdist([key], m._keys, scorer=fuzz.ratio, dtype=np.float32,  # noqa: SLF001
                           workers=1)[0] / 100 if key else np.zeros_like(lexical))

    def per_entry(values: np.ndarray) -> np.ndarray:
        out = np.zeros(len(m.ids))
        np.maximum.at(out, m._owners, values)  # noqa: SLF001
        return out

    lex, fuz, char = per_entry(lexical), per_entry(fuzzy), per_entry(chars.cosine(question))
    context = (m._context.coverage(query) if m._context is not None  # noqa: SLF001
               else np.zeros(len(m.ids)))
    scores = m.scores(question)
    order = np.argsort(-scores, kind="stable")[:K]
    features = np.stack([
        scores[order], scores[order] - scores[order[0]], 1 / (1 + np.arange(len(order))),
        lex[order], fuz[order], char[order], context[order], lex[order] * char[order],
        np.full(len(order), m.unknown_share(query))], axis=1)
    return [m.ids[i] for i in order], features


def rows_of(m: matching.Matcher, texts: list[str],
            questions: Sequence[tuple[str, frozenset[str]]]) -> Rows:
    chars = matching._CharTfidf(texts)  # noqa: SLF001 (also where the matcher has none)
    rows = []
    for question, expected in questions:
        ids, features = candidates(m, chars, question)
        rows.append((features, np.asarray([i in expected for i in ids], dtype=float)))
    return rows


def our_sets() -> dict[str, Rows]:
    kbs = load_all(ROOT / "locales")
    sets: dict[str, Rows] = {}
    for loc in LOCALES:
        kb = kbs[loc]
        for kind, m, items, names in (
                ("", entry_matcher(kb.entries, synonyms=kb.synonyms), all_texts(kb.entries),
                 ("queries", "heldout", "heldout2")),
                ("rumours_", rumour_matcher(kb.rumours, kb.synonyms), all_texts(kb.rumours),
                 ("dev", "heldout", "heldout2", "heldout3"))):
            texts = [t for _, variants in items for t in variants]
            for name in names:
                questions = [(q.text, q.expected) for q in
                             read_queries(SETS / f"{kind}{name}_{loc}.tsv") if q.in_scope]
                sets[f"{kind}{name} {loc}"] = rows_of(m, texts, questions)
    return sets


def public_sets(data: Path) -> dict[str, Rows]:
    synonyms = {loc: kb.synonyms for loc, kb in load_all(ROOT / "locales").items()}
    sets: dict[str, Rows] = {}
    for s in faq_public.public_sets(data):
        items = [(i, [t[:300] for t in variants[:30]]) for i, variants in s.items]
        rumours = s.kind == "rumours"  # as rumour_matcher builds it
        m = matching.Matcher(items, synonyms=synonyms[s.locale],
                             char_weight=0.0 if rumours else None,
                             unknown_penalty=0.0 if rumours else None)
        sets[s.name] = rows_of(m, [t for _, variants in items for t in variants], s.queries)
    return sets


def _standardise(rows: Rows) -> tuple[np.ndarray, np.ndarray]:
    features = np.vstack([f for f, _ in rows])
    return features.mean(0), features.std(0) + 1e-9


def pointwise(rows: Rows, steps: int = 3000, rate: float = 0.5, l2: float = 1e-3) -> Model:
    mean, std = _standardise(rows)
    x = np.vstack([(f - mean) / std for f, _ in rows])
    x = np.hstack([x, np.ones((len(x), 1))])
    y = np.concatenate([r for _, r in rows])
    weight = np.where(y > 0, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    w = np.zeros(x.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-x @ w))
        w -= rate * (x.T @ ((p - y) * weight) / len(y) + l2 * w)
    return lambda f: np.hstack([(f - mean) / std, np.ones((len(f), 1))]) @ w


def pairwise(rows: Rows, steps: int = 2000, rate: float = 0.3, l2: float = 1e-3) -> Model:
    mean, std = _standardise(rows)
    diffs = []
    for f, right in rows:
        if 0 < right.sum() < len(right):
            z = (f - mean) / std
            diffs.extend(z[right > 0].mean(0) - z[right == 0])
    d = np.asarray(diffs)
    w = np.zeros(d.shape[1])
    w[0] = 1.0  # start from the matcher's own ranking
    for _ in range(steps):
        w -= rate * (-(d.T @ (1 / (1 + np.exp(d @ w)))) / len(d) + l2 * w)
    return lambda f: ((f - mean) / std) @ w


def top1(rows: Rows, model: Model | None = None) -> float:
    hits = sum(right[int(np.argmax(f[:, 0] if model is None else model(f)))] > 0
               for f, right in rows)
    return hits / len(rows)


def main() -> int:
    textmod.warm_up()
    ours = our_sets()
    public = public_sets(DEFAULT_DATA) if DEFAULT_DATA.exists() else {}
    development = [k for k in ours if not k.split()[0].endswith(("heldout", "heldout2",
                                                                 "heldout3"))]
    print("| set | questions | matcher | pointwise | pairwise |")
    print("|---|---|---|---|---|")
    for target in [k for k in ours if k not in development] + list(public):
        train = [r for k in development for r in ours[k]] + [
            r for k, rows in public.items() if k != target for r in rows]
        rows = ours.get(target) or public[target]
        print(f"| {target} | {len(rows)} | {top1(rows):.3f} | "
              f"{top1(rows, pointwise(train)):.3f} | {top1(rows, pairwise(train)):.3f} |",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
