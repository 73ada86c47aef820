"""`selfreport faq check` and `selfreport faq eval` as a maintainer runs them."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from bot.cli.entry import main
from bot.services.faq.kb import load_faq_file

FIXTURES = Path(__file__).parent / "fixtures" / "kb"
EN_KB = FIXTURES / "en" / "faq.yaml"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def figures(out: str) -> dict[str, str]:
    return {m[1]: m[2] for m in re.finditer(r"^(\S+)\s{2,}(\S+)", out, re.MULTILINE)}


def as_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, _ = run(capsys, *argv, "--json")
    assert code == 0 and len(out.strip().splitlines()) == 1
    return dict(json.loads(out))


def write_queries(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text("query\tid\n" + "".join(f"{q}\t{i}\n" for q, i in rows), encoding="utf-8")
    return path


def test_check_a_valid_directory(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "faq", "check", str(FIXTURES))
    assert code == 0
    lines = out.splitlines()
    assert [line for line in lines if ": note: " not in line] == [
        "en: 8 entries in 4 categories, 2 rumours: ok",
        "zh_CN: 8 entries in 4 categories, 2 rumours: ok",
    ]
    # The fixtures have few paraphrases: said, but not a problem.
    assert lines[1].startswith("en: note: fewer than 8 paraphrases")
    assert "rumour-garlic" in lines[1]
    code, out, _ = run(capsys, "faq", "check", str(FIXTURES / "zh_CN"))
    assert code == 0 and out.splitlines()[0] == "zh_CN: 8 entries in 4 categories, 2 rumours: ok"


def test_check_counts_the_synonym_groups_of_the_shipped_files(
        capsys: pytest.CaptureFixture[str]) -> None:
    from bot.i18n import LOCALES_DIR

    code, out, _ = run(capsys, "faq", "check", str(LOCALES_DIR))
    assert code == 0 and ": note: " not in out  # every entry has 8 paraphrases or more
    assert all("synonym groups: ok" in line for line in out.splitlines())


def test_check_reports_a_word_in_two_synonym_groups(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(FIXTURES, tmp_path / "kb")
    (tmp_path / "kb" / "en" / "synonyms.yaml").write_text(
        "locale: en\ngroups:\n  - [dinner, meal]\n  - [meal, lunch]\n  - [alone]\n",
        encoding="utf-8")
    code, out, _ = run(capsys, "faq", "check", str(tmp_path / "kb"))
    assert code == 1
    assert "group #2: 'meal' is also in the group of line 3" in out
    assert "group #3: must be a list of at least two words" in out


def test_check_without_a_directory_checks_the_shipped_files(
        capsys: pytest.CaptureFixture[str]) -> None:
    from bot.i18n import LOCALES_DIR

    if not (LOCALES_DIR / "en" / "faq.yaml").exists():
        pytest.skip("no shipped knowledge base yet")
    code, out, _ = run(capsys, "faq", "check")
    assert code == 0
    assert [line.split(":")[0] for line in out.splitlines()] == ["en", "zh_CN"]


def test_check_prints_every_problem_and_exits_1(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(FIXTURES, tmp_path / "kb")
    en = tmp_path / "kb" / "en" / "faq.yaml"
    en.write_text(en.read_text(encoding="utf-8")
                  .replace("category: quarantine-travel", "category: travel")
                  .replace("Postpone weddings", "Postpone <div>weddings</div>"), encoding="utf-8")
    zh = tmp_path / "kb" / "zh_CN" / "rumours.yaml"
    zh.write_text(zh.read_text(encoding="utf-8").replace("id: rumour-hot-bath",
                                                         "id: rumour-garlic"), encoding="utf-8")
    code, out, _ = run(capsys, "faq", "check", str(tmp_path / "kb"))
    assert code == 1
    lines = out.splitlines()
    assert lines[-1] == f"5 problem(s) in {tmp_path / 'kb'}"
    assert sum("unknown category 'travel'" in line for line in lines) == 2
    assert sum("tag <div> is not allowed" in line for line in lines) == 1
    assert any(line.startswith(f"{zh}:") and "duplicate id" in line for line in lines)


def test_check_a_directory_without_a_knowledge_base(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "faq", "check", str(tmp_path))
    assert code == 1 and "no faq.yaml" in out


def test_eval_every_exact_question_is_found_first(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    kb = load_faq_file(EN_KB)
    queries = write_queries(tmp_path / "q.tsv", [(e.question, e.id) for e in kb.entries])
    code, out, _ = run(capsys, "faq", "eval", "--kb", str(EN_KB), "--queries", str(queries))
    assert code == 0
    got = figures(out)
    assert got["n"] == str(len(kb.entries))
    assert (got["top1"], got["top3"], got["mrr"]) == ("1.000", "1.000", "1.000")
    assert got["misses"] == "0"
    data = as_json(capsys, "faq", "eval", "--kb", str(EN_KB), "--queries", str(queries))
    assert (data["n"], data["top1"], data["top3"], data["mrr"]) == (len(kb.entries), 1, 1, 1)
    assert 0 < data["p50_ms"] <= data["p99_ms"]
    assert data["answered"] + data["candidates"] + data["in_scope_handed_over"] == 1


def test_eval_counts_questions_that_match_nothing_as_misses(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Half the questions are exact, half are emoji only (which match no entry at all), so
    top-1, top-3 and MRR are all one half; alternatives written `a|b` count either."""
    kb = load_faq_file(EN_KB)
    rows = [(e.question, f"{e.id}|{kb.entries[0].id}") for e in kb.entries]
    rows += [("😷" * (i + 1), e.id) for i, e in enumerate(kb.entries)]
    queries = write_queries(tmp_path / "q.tsv", rows)
    code, out, _ = run(capsys, "faq", "eval", "--kb", str(EN_KB), "--queries", str(queries),
                       "--show-misses")
    assert code == 0
    got = figures(out)
    assert (got["n"], got["top1"], got["top3"], got["mrr"]) == (
        str(2 * len(kb.entries)), "0.500", "0.500", "0.500")
    assert got["misses"] == str(len(kb.entries))
    assert f"line {len(kb.entries) + 2}: 😷\n" in out
    assert out.count("did none ; got nothing") == len(kb.entries)


def test_eval_takes_any_knowledge_base_file(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    kb_file = tmp_path / "anything.yaml"
    kb_file.write_text(
        "locale: xx\ncategories:\n  - {id: c, title: C}\nentries:\n"
        "  - {id: one, category: c, question: 'How do bees make honey?', answer: Nectar.}\n"
        "  - {id: two, category: c, question: 'Why is the sky blue?', answer: Scattering.}\n",
        encoding="utf-8")
    queries = write_queries(tmp_path / "q.tsv", [("how is honey made by bees", "one"),
                                                 ("why the sky is blue", "two")])
    code, out, _ = run(capsys, "faq", "eval", "--kb", str(kb_file), "--queries", str(queries))
    assert code == 0 and figures(out)["top1"] == "1.000"
    assert "(xx, 2 entries; other locales: none)" in out


@pytest.mark.parametrize(("content", "reason"), [
    ("query\tid\nhello\tno-such-entry\n", ":2: unknown id no-such-entry"),
    ("question,id\nhello,gatherings-dinner\n", ":1: the first line must be the header"),
    ("query\tid\nno id here\n", ":2: expected `query<TAB>id`"),
    ("query\tid\n", ": no queries"),
])
def test_eval_refuses_a_bad_queries_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         content: str, reason: str) -> None:
    queries = tmp_path / "q.tsv"
    queries.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, "faq", "eval", "--kb", str(EN_KB), "--queries", str(queries))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and reason in err


def test_eval_refuses_an_invalid_knowledge_base(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "faq.yaml"
    bad.write_text("locale: en\ncategories: []\nentries:\n  - {id: x}\n", encoding="utf-8")
    queries = write_queries(tmp_path / "q.tsv", [("hello", "x")])
    code, _, err = run(capsys, "faq", "eval", "--kb", str(bad), "--queries", str(queries))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "entry x: category: is required (and 2 more); see `selfreport faq check`" in err
    code, _, err = run(capsys, "faq", "eval", "--kb", str(tmp_path / "missing.yaml"),
                       "--queries", str(queries))
    assert code == 2 and "cannot read" in err
