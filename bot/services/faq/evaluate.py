"""Measure a matcher: top-1, top-3, mean reciprocal rank and time per question."""

from __future__ import annotations

import csv
import io
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.services.faq.matcher import Match

RANKS = 10  # MRR counts the right entry down to this rank


class QueriesError(ValueError):
    """The queries file cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Query:
    text: str
    expected: frozenset[str]  # any of these ids is right
    line: int = 0


@dataclass(frozen=True)
class Outcome:
    query: Query
    got: list[Match]  # the best RANKS matches
    rank: int | None  # of the first right entry, from 1


@dataclass(frozen=True)
class Decisions:
    """What the bot would do with the questions, and how often that is right."""

    confident: int = 0
    confident_right: int = 0
    candidates: int = 0
    candidates_hit: int = 0  # a right entry is among the offered candidates
    none: int = 0


@dataclass
class EvalResult:
    n: int = 0
    top1: float = 0.0
    top3: float = 0.0
    mrr: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def misses(self) -> list[Outcome]:
        """Questions whose best match is not a right entry."""
        return [o for o in self.outcomes if o.rank != 1]

    def decisions(self, decide: Callable[[list[Match]], tuple[str, list[Match]]]) -> Decisions:
        counts: Counter[str] = Counter()
        for o in self.outcomes:
            kind, chosen = decide(o.got[:3])
            counts[kind] += 1
            right = [m for m in chosen if m.id in o.query.expected]
            if kind == "confident" and chosen[0].id in o.query.expected:
                counts["confident_right"] += 1
            elif kind == "candidates" and right:
                counts["candidates_hit"] += 1
        return Decisions(**{k: counts[k] for k in Decisions.__dataclass_fields__})


def read_queries(path: Path, known_ids: set[str] | None = None) -> list[Query]:
    """`query<TAB>id` rows after a header; the id may list alternatives as `a|b`."""
    try:
        content = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise QueriesError(f"{path}: cannot read: {exc}") from None
    rows = list(csv.reader(io.StringIO(content), delimiter="\t", quoting=csv.QUOTE_NONE))
    if not rows or [c.strip().lower() for c in rows[0][:2]] != ["query", "id"]:
        raise QueriesError(f"{path}:1: the first line must be the header `query<TAB>id`")
    queries: list[Query] = []
    problems: list[str] = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) < 2 or not row[0].strip() or not row[1].strip():
            problems.append(f"{path}:{line}: expected `query<TAB>id`")
            continue
        expected = frozenset(p.strip() for p in row[1].split("|") if p.strip())
        unknown = sorted(expected - known_ids) if known_ids is not None else []
        if unknown:
            problems.append(f"{path}:{line}: unknown id {', '.join(unknown)}")
            continue
        queries.append(Query(row[0].strip(), expected, line))
    if problems:
        raise QueriesError("\n".join(problems))
    if not queries:
        raise QueriesError(f"{path}: no queries")
    return queries


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def evaluate(search: Callable[[str, int], list[Match]], queries: Sequence[Query]) -> EvalResult:
    result = EvalResult(n=len(queries))
    if not queries:
        return result
    times: list[float] = []
    hits1 = hits3 = 0
    reciprocal = 0.0
    for query in queries:
        start = time.perf_counter()
        matches = search(query.text, RANKS)
        times.append((time.perf_counter() - start) * 1000)
        rank = next((i for i, m in enumerate(matches, 1) if m.id in query.expected), None)
        hits1 += rank == 1
        hits3 += rank is not None and rank <= 3
        reciprocal += 1 / rank if rank else 0.0
        result.outcomes.append(Outcome(query, matches, rank))
    result.top1 = hits1 / len(queries)
    result.top3 = hits3 / len(queries)
    result.mrr = reciprocal / len(queries)
    result.p50_ms = _percentile(times, 0.5)
    result.p99_ms = _percentile(times, 0.99)
    return result
