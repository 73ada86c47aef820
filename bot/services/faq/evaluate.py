"""Measure what the bot does with questions and forwards: ranking, decisions, time.

A queries file is `query<TAB>id` after a header; the id may list alternatives (`a|b`) or be
`-`: a question the knowledge base does not answer (it should go to a person), or a message
that is not a known rumour. `evaluate_questions` runs `Faq.rank` and `Faq.ask` (what the chat
runs, other locales searched when unsure); `evaluate_rumours` runs `Faq.check_rumour`.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.services.faq.matcher import Match

RANKS = 10  # MRR counts the right entry down to this rank
NONE = "-"  # the id of a question no entry answers / a message that is no known rumour


class QueriesError(ValueError):
    """The queries file cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Query:
    text: str
    expected: frozenset[str]  # any of these ids is right; empty: none is (`-`)
    line: int = 0

    @property
    def in_scope(self) -> bool:
        return bool(self.expected)


@dataclass(frozen=True)
class Outcome:
    query: Query
    got: list[Match]  # the best RANKS matches
    rank: int | None  # of the first right entry, from 1
    kind: str = ""  # what the bot did: confident / candidates / none (match / near / none)
    offered: tuple[str, ...] = ()  # the ids it answered with or offered


@dataclass
class EvalResult:
    n: int = 0
    top1: float = 0.0
    top3: float = 0.0
    mrr: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    mean_ms: float = 0.0
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def misses(self) -> list[Outcome]:
        """In-scope questions whose best match is not a right entry, and out-of-scope ones
        that were answered."""
        return [o for o in self.outcomes
                if (o.query.in_scope and o.rank != 1)
                or (not o.query.in_scope and o.kind in ("confident", "match"))]


def read_queries(path: Path, known_ids: set[str] | None = None) -> list[Query]:
    """`query<TAB>id` rows after a header; the id may list alternatives as `a|b`, or be `-`."""
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
        if row[1].strip() == NONE:
            queries.append(Query(row[0].strip(), frozenset(), line))
            continue
        expected = frozenset(p.strip() for p in row[1].split("|") if p.strip())
        unknown = sorted(expected - known_ids) if known_ids is not None else []
        if unknown or NONE in expected:
            problems.append(f"{path}:{line}: unknown id {', '.join(unknown) or NONE}")
            continue
        queries.append(Query(row[0].strip(), expected, line))
    if problems:
        raise QueriesError("\n".join(problems))
    if not queries:
        raise QueriesError(f"{path}: no queries")
    return queries


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


Decide = Callable[[str], tuple[str, list[str]]]


def evaluate(search: Callable[[str, int], list[Match]], queries: Sequence[Query],
             decide: Decide | None = None) -> EvalResult:
    """Rank every query with `search` (and, given `decide`, record what the bot does with it).
    The time is that of `decide` when given (what the bot calls per question), else of
    `search`."""
    result = EvalResult(n=len(queries))
    if not queries:
        return result
    times: list[float] = []
    hits1 = hits3 = 0
    reciprocal = 0.0
    scoped = [q for q in queries if q.in_scope]
    for query in queries:
        start = time.perf_counter()
        matches = search(query.text, RANKS)
        if decide is not None:
            start = time.perf_counter()
            kind, offered = decide(query.text)
        else:
            kind, offered = "", []
        times.append((time.perf_counter() - start) * 1000)
        rank = next((i for i, m in enumerate(matches, 1) if m.id in query.expected), None)
        if query.in_scope:
            hits1 += rank == 1
            hits3 += rank is not None and rank <= 3
            reciprocal += 1 / rank if rank else 0.0
        result.outcomes.append(Outcome(query, matches, rank, kind, tuple(offered)))
    denominator = max(1, len(scoped))
    result.top1, result.top3 = hits1 / denominator, hits3 / denominator
    result.mrr = reciprocal / denominator
    result.p50_ms = percentile(times, 0.5)
    result.p99_ms = percentile(times, 0.99)
    result.mean_ms = sum(times) / len(times)
    return result


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def question_figures(result: EvalResult) -> dict[str, Any]:
    """The figures of `selfreport faq eval --json` for questions."""
    scoped = [o for o in result.outcomes if o.query.in_scope]
    outside = [o for o in result.outcomes if not o.query.in_scope]
    answered = [o for o in scoped if o.kind == "confident"]
    offered = [o for o in scoped if o.kind == "candidates"]
    handed = [o for o in result.outcomes if o.kind == "none"]
    return {
        "n": result.n, "in_scope": len(scoped), "out_of_scope": len(outside),
        "top1": round(result.top1, 4), "top3": round(result.top3, 4),
        "mrr": round(result.mrr, 4),
        "answered": _share(len(answered), len(scoped)),
        "answered_right": _share(sum(bool(o.offered) and o.offered[0] in o.query.expected
                                     for o in answered), len(answered)),
        "candidates": _share(len(offered), len(scoped)),
        "candidates_right": _share(sum(bool(set(o.offered) & o.query.expected)
                                       for o in offered), len(offered)),
        "handed_over": _share(len(handed), result.n),
        "handed_over_right": _share(sum(not o.query.in_scope for o in handed), len(handed)),
        "in_scope_handed_over": _share(sum(o.kind == "none" for o in scoped), len(scoped)),
        "out_of_scope_answered": _share(sum(o.kind == "confident" for o in outside),
                                        len(outside)),
        "out_of_scope_candidates": _share(sum(o.kind == "candidates" for o in outside),
                                          len(outside)),
        "p50_ms": round(result.p50_ms, 3), "p99_ms": round(result.p99_ms, 3),
        "mean_ms": round(result.mean_ms, 3),
    }


def rumour_figures(result: EvalResult) -> dict[str, Any]:
    """The figures of `selfreport faq eval --rumours --json`."""
    scoped = [o for o in result.outcomes if o.query.in_scope]
    outside = [o for o in result.outcomes if not o.query.in_scope]
    known = [o for o in scoped if o.kind == "match"]
    return {
        "n": result.n, "rumours": len(scoped), "not_rumours": len(outside),
        "top1": round(result.top1, 4),
        "known": _share(len(known), len(scoped)),
        "known_right": _share(sum(bool(o.offered) and o.offered[0] in o.query.expected
                                  for o in known), len(known)),
        "similar": _share(sum(o.kind == "near" for o in scoped), len(scoped)),
        "not_known": _share(sum(o.kind == "none" for o in scoped), len(scoped)),
        "false_known": _share(sum(o.kind == "match" for o in outside), len(outside)),
        "false_similar": _share(sum(o.kind == "near" for o in outside), len(outside)),
        "p50_ms": round(result.p50_ms, 3), "p99_ms": round(result.p99_ms, 3),
        "mean_ms": round(result.mean_ms, 3),
    }
