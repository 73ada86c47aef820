"""Measure the rules Q&A matcher on our own evaluation sets and on public data.

    .venv/bin/python benchmarks/faq_eval.py [--data DIR] [--out DIR]

For each set it prints n, top-1, top-3, MRR and p50/p99 milliseconds per question for three
matchers, so every figure is a comparison:

- rapidfuzz: token_set_ratio between the normalised question and each entry's texts, nothing
  else (the plain fuzzy baseline; the best of rapidfuzz's scorers here — WRatio, ratio and
  partial_ratio do worse);
- bm25: our tokens and normalised BM25 alone (lexical weight 1, no answer text);
- bot: what the bot runs (service.entry_matcher: BM25 + fuzzy + a share of the answer).

Sets: the shipped knowledge base per locale with benchmarks/faq/queries_<locale>.tsv; and,
when ../shared/data is there (its README), COVID-Q (one entry per group: its first question;
the group's other questions are asked), and the label-1 pairs of the deepset (English) and
Tianchi (Chinese) files (query2 are the entries, query1 the questions, all other entries are
distractors). The public sets are written as knowledge-base and queries files in the
documented formats and read back through the same loaders as `selfreport faq eval`.

For the shipped sets it also prints what the bot would do (answer / candidates / hand over)
and how often an out-of-scope question (public data) would get an answer.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.services.faq import text  # noqa: E402
from bot.services.faq.evaluate import EvalResult, Query, evaluate, read_queries  # noqa: E402
from bot.services.faq.kb import Entry, load_faq_file  # noqa: E402
from bot.services.faq.matcher import Match, Matcher  # noqa: E402
from bot.services.faq.service import decide, entry_matcher  # noqa: E402

Search = Callable[[str, int], list[Match]]
DEFAULT_DATA = ROOT.parent / "shared" / "data"


def rapidfuzz_only(entries: list[Entry]) -> Search:
    from rapidfuzz import fuzz, process, utils

    texts = [(e.id, t) for e in entries for t in (e.question, *e.paraphrases)]
    keys = [text.normalise(t) for _, t in texts]

    def search(question: str, k: int) -> list[Match]:
        scores = process.cdist([text.normalise(question)], keys, scorer=fuzz.token_set_ratio,
                               processor=utils.default_process, workers=1)[0]
        best: dict[str, float] = {}
        for (entry_id, _), score in zip(texts, scores, strict=True):
            best[entry_id] = max(best.get(entry_id, 0.0), float(score) / 100)
        ranked = sorted(best.items(), key=lambda item: -item[1])[:k]
        return [Match(i, s) for i, s in ranked if s > 0]

    return search


def matchers(entries: list[Entry], context: bool) -> dict[str, Search]:
    bm25 = Matcher([(e.id, [e.question, *e.paraphrases]) for e in entries], lexical_weight=1.0)
    return {"rapidfuzz": rapidfuzz_only(entries), "bm25": bm25.search,
            "bot": entry_matcher(entries, context=context).search}


def row(name: str, method: str, r: EvalResult) -> str:
    return (f"| {name} | {method} | {r.n} | {r.top1:.3f} | {r.top3:.3f} | {r.mrr:.3f} "
            f"| {r.p50_ms:.2f} | {r.p99_ms:.2f} |")


def write_set(folder: Path, name: str, entries: dict[str, str],
              queries: list[tuple[str, set[str]]]) -> tuple[Path, Path]:
    """A public set as a faq.yaml and a queries TSV of the documented formats."""
    kb = {"locale": name, "categories": [{"id": "public", "title": "Public data"}],
          "entries": [{"id": i, "category": "public", "question": q[:300],
                       "answer": "(public data set: no answer)"} for q, i in entries.items()]}
    kb_path, q_path = folder / f"{name}.yaml", folder / f"{name}.tsv"
    kb_path.write_text(yaml.safe_dump(kb, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with q_path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("query\tid\n")
        for question, ids in queries:
            clean = " ".join(question.replace("\t", " ").split())
            fh.write(f"{clean}\t{'|'.join(sorted(ids))}\n")
    return kb_path, q_path


def covid_q(data: Path) -> tuple[dict[str, str], list[tuple[str, set[str]]]]:
    groups: dict[str, list[str]] = {}
    for name in ("covidq_groups_train.csv", "covidq_groups_testA.csv"):
        with (data / "en" / name).open(encoding="utf-8") as fh:
            for question, group in csv.reader(fh):
                groups.setdefault(group, []).append(question.strip())
    entries = {qs[0]: f"g{group}" for group, qs in groups.items()}
    return entries, [(q, {f"g{group}"}) for group, qs in groups.items() for q in qs[1:]]


def pairs(path: Path, first: str, second: str,
          label: str) -> tuple[dict[str, str], list[tuple[str, set[str]]]]:
    with path.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r[label].strip() == "1"]
    entries: dict[str, str] = {}
    for r in rows:
        entries.setdefault(r[second].strip(), f"e{len(entries)}")
    expected: dict[str, set[str]] = {}
    for r in rows:
        expected.setdefault(r[first].strip(), set()).add(entries[r[second].strip()])
    return entries, list(expected.items())


def public_sets(data: Path, out: Path) -> list[tuple[str, Path, Path]]:
    sets = []
    if (data / "en" / "covidq_groups_train.csv").exists():
        sets.append(("covid-q (en)", *write_set(out, "covidq", *covid_q(data))))
    if (data / "en" / "deepset_question_pairs.csv").exists():
        sets.append(("deepset pairs (en)", *write_set(out, "deepset", *pairs(
            data / "en" / "deepset_question_pairs.csv", "question_1", "question_2",
            "similar"))))
    if (data / "zh" / "tianchi_question_pairs_dev.csv").exists():
        sets.append(("tianchi pairs (zh)", *write_set(out, "tianchi", *pairs(
            data / "zh" / "tianchi_question_pairs_dev.csv", "query1", "query2", "label"))))
    return sets


def out_of_scope(data: Path, locale: str) -> list[str]:
    """Public questions about other things than our rules, to count wrong answers."""
    if locale == "en" and (path := data / "en" / "covidq_groups_testA.csv").exists():
        with path.open(encoding="utf-8") as fh:
            return [r[0] for r in csv.reader(fh)][:300]
    if locale == "zh_CN" and (path := data / "zh" / "tianchi_question_pairs_dev.csv").exists():
        with path.open(encoding="utf-8") as fh:
            return list(dict.fromkeys(r["query1"] for r in csv.DictReader(fh)))[:300]
    return []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the public data")
    parser.add_argument("--locales", type=Path, default=ROOT / "locales")
    args = parser.parse_args()
    text.warm_up()
    print("| set | matcher | n | top-1 | top-3 | MRR | p50 ms | p99 ms |")
    print("|---|---|---|---|---|---|---|---|")
    decisions: list[str] = []
    for locale in ("zh_CN", "en"):
        kb_path = args.locales / locale / "faq.yaml"
        q_path = ROOT / "benchmarks" / "faq" / f"queries_{locale}.tsv"
        if not (kb_path.exists() and q_path.exists()):
            continue
        kb = load_faq_file(kb_path)
        queries = read_queries(q_path, {e.id for e in kb.entries})
        for method, search in matchers(kb.entries, context=True).items():
            result = evaluate(search, queries)
            print(row(f"ours {locale} ({len(kb.entries)} entries)", method, result))
        bot = entry_matcher(kb.entries)
        d = evaluate(bot.search, queries).decisions(decide)
        others = out_of_scope(args.data, locale)
        wrong = evaluate(bot.search, [Query(q, frozenset()) for q in others]).decisions(decide)
        decisions.append(
            f"{locale}: answered {d.confident / len(queries):.0%} (right {d.confident_right / max(1, d.confident):.0%}), "  # noqa: E501
            f"candidates {d.candidates / len(queries):.0%} (right one offered {d.candidates_hit / max(1, d.candidates):.0%}), "  # noqa: E501
            f"handed over {d.none / len(queries):.0%}; out-of-scope questions answered: "
            f"{wrong.confident / max(1, len(others)):.1%} of {len(others)}")
    if args.data.exists():
        with tempfile.TemporaryDirectory() as tmp:
            for name, kb_path, q_path in public_sets(args.data, Path(tmp)):
                kb = load_faq_file(kb_path)
                queries = read_queries(q_path, {e.id for e in kb.entries})
                for method, search in matchers(kb.entries, context=False).items():
                    result = evaluate(search, queries)
                    print(row(f"{name} ({len(kb.entries)} entries)", method, result))
    print()
    for line in decisions:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
