"""Public data sets (../shared/data, see its README) as knowledge bases and queries, and the
two plain baselines the bot is compared with on them: BM25 on plain words and character
n-gram TF-IDF. Read by benchmarks/faq_eval.py; nothing here is copied into the project."""

from __future__ import annotations

import csv
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

Search = Callable[[str, int], list[tuple[str, float]]]


@dataclass
class Set:
    name: str
    locale: str  # en or zh_CN
    kind: str  # entries or rumours
    items: list[tuple[str, list[str]]]  # (id, [question or claim, *paraphrases])
    queries: list[tuple[str, frozenset[str]]]


def covid_q(data: Path) -> Set:
    """COVID-Q test A: one entry per group built from the group's training questions (the
    first as the question, the rest as paraphrases); test A's questions are asked."""
    train: dict[str, list[str]] = {}
    with (data / "en" / "covidq_groups_train.csv").open(encoding="utf-8") as fh:
        for question, group in csv.reader(fh):
            train.setdefault(group, []).append(question.strip())
    queries = []
    with (data / "en" / "covidq_groups_testA.csv").open(encoding="utf-8") as fh:
        for question, group in csv.reader(fh):
            if group in train:
                queries.append((question.strip(), frozenset({f"g{group}"})))
    items = [(f"g{g}", list(dict.fromkeys(qs))[:31]) for g, qs in train.items()]
    return Set("covid-q test A (en)", "en", "entries", items, queries)


def pairs(path: Path, first: str, second: str, label: str, name: str, locale: str) -> Set:
    """Label-1 pairs: the second questions are the entries (every other one a distractor),
    the first ones are asked."""
    with path.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r[label].strip() == "1"]
    entries: dict[str, str] = {}
    for r in rows:
        entries.setdefault(r[second].strip(), f"e{len(entries)}")
    expected: dict[str, set[str]] = {}
    for r in rows:
        expected.setdefault(r[first].strip(), set()).add(entries[r[second].strip()])
    return Set(name, locale, "entries", [(i, [q]) for q, i in entries.items()],
               [(q, frozenset(ids)) for q, ids in expected.items()])


def who_mythbusters(data: Path) -> Set:
    """WHO myth-busters as rumours: each statement is a rumour's claim; the first sentence of
    its explanation, which says the same in other words, is asked."""
    items, queries = [], []
    with (data / "en" / "who_mythbusters.jsonl").open(encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            row = json.loads(line)
            first = re.split(r"(?<=[.!?])\s", row["explanation"].strip(), maxsplit=1)[0]
            items.append((f"m{n}", [row["claim_or_fact"].strip()]))
            queries.append((first, frozenset({f"m{n}"})))
    return Set("WHO myth-busters as rumours (en)", "en", "rumours", items, queries)


def public_sets(data: Path) -> list[Set]:
    sets = []
    if (data / "en" / "covidq_groups_train.csv").exists():
        sets.append(covid_q(data))
    if (data / "zh" / "tianchi_question_pairs_dev.csv").exists():
        sets.append(pairs(data / "zh" / "tianchi_question_pairs_dev.csv", "query1", "query2",
                          "label", "tianchi pairs (zh)", "zh_CN"))
    if (data / "en" / "deepset_question_pairs.csv").exists():
        sets.append(pairs(data / "en" / "deepset_question_pairs.csv", "question_1",
                          "question_2", "similar", "deepset pairs (en)", "en"))
    if (data / "en" / "who_mythbusters.jsonl").exists():
        sets.append(who_mythbusters(data))
    return sets


def out_of_scope(data: Path, locale: str) -> list[str]:
    """Public questions mostly about other things than our rules (some are in scope: COVID-Q
    asks about symptoms and vaccines, Tianchi about fever), for a rough count of answers."""
    if locale == "en" and (path := data / "en" / "covidq_groups_testA.csv").exists():
        with path.open(encoding="utf-8") as fh:
            return [r[0] for r in csv.reader(fh)][:300]
    if locale == "zh_CN" and (path := data / "zh" / "tianchi_question_pairs_dev.csv").exists():
        with path.open(encoding="utf-8") as fh:
            return list(dict.fromkeys(r["query1"] for r in csv.DictReader(fh)))[:300]
    return []


# --- baselines -------------------------------------------------------------------------------

def _plain_words(text: str) -> list[str]:
    """Lower-case words; Chinese as jieba's words (as any BM25 set-up for Chinese would)."""
    import warnings

    from bot.services.faq.text import warm_up

    warm_up()  # jieba initialised once, quietly
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import jieba
    out: list[str] = []
    for run in re.findall(r"[\u3400-\u9fff]+|[a-z0-9]+", text.lower()):
        out.extend(jieba.lcut(run) if "\u3400" <= run[0] <= "\u9fff" else [run])
    return out


def _best_per_item(items: Sequence[tuple[str, list[str]]],
                   score: Callable[[str], np.ndarray]) -> Search:
    owners = np.asarray([i for i, (_, texts) in enumerate(items) for _ in texts])

    def search(question: str, k: int) -> list[tuple[str, float]]:
        best = np.zeros(len(items), dtype=np.float64)
        np.maximum.at(best, owners, score(question))
        order = np.argsort(-best, kind="stable")[:k]
        return [(items[i][0], float(best[i])) for i in order if best[i] > 0]

    return search


def plain_bm25(items: Sequence[tuple[str, list[str]]]) -> Search:
    """bm25s (Lucene's variant, k1 1.2, b 0.75) over plain words, nothing else."""
    import bm25s

    docs = [_plain_words(t) or [""] for _, texts in items for t in texts]
    index = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    index.index(docs, show_progress=False)
    vocabulary = {w for d in docs for w in d}

    def score(question: str) -> np.ndarray:
        words = [w for w in _plain_words(question) if w in vocabulary]
        return np.asarray(index.get_scores(words)) if words else np.zeros(len(docs))

    return _best_per_item(items, score)


def char_tfidf(items: Sequence[tuple[str, list[str]]], n: tuple[int, int] = (1, 3)) -> Search:
    """Cosine similarity of character 1–3-gram TF-IDF vectors (sublinear tf, smooth idf)."""
    def grams(text: str) -> Counter[str]:
        t = " ".join(text.lower().split())
        return Counter(t[i:i + k] for k in range(n[0], n[1] + 1) for i in range(len(t) - k + 1))

    docs = [grams(t) for _, texts in items for t in texts]
    df: Counter[str] = Counter()
    for d in docs:
        df.update(d.keys())
    idf = {g: math.log((1 + len(docs)) / (1 + c)) + 1 for g, c in df.items()}
    postings: dict[str, list[tuple[int, float]]] = {}
    for i, d in enumerate(docs):
        weights = {g: (1 + math.log(c)) * idf[g] for g, c in d.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        for g, w in weights.items():
            postings.setdefault(g, []).append((i, w / norm))

    def score(question: str) -> np.ndarray:
        out = np.zeros(len(docs))
        q = {g: (1 + math.log(c)) * idf[g] for g, c in grams(question).items() if g in idf}
        norm = math.sqrt(sum(w * w for w in q.values())) or 1.0
        for g, w in q.items():
            for i, dw in postings[g]:
                out[i] += w / norm * dw
        return out

    return _best_per_item(items, score)
