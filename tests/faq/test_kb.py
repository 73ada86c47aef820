"""Loading and validating the knowledge base: every problem is found, with file, line and id."""

from __future__ import annotations

import html
import shutil
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.i18n import LOCALES_DIR
from bot.services.faq.kb import (
    MAX_ANSWER,
    KbError,
    load_all,
    load_faq_file,
    load_knowledge_base,
    validate_dir,
)
from bot.services.faq.markup import check_html

FIXTURES = Path(__file__).parent / "fixtures" / "kb"

HEADER = """\
locale: en
categories:
  - id: gatherings
    title: Gatherings
entries:
"""
ENTRY = """\
  - id: {id}
    category: gatherings
    question: {question}
    answer: {answer}
"""


def write(tmp_path: Path, text: str, name: str = "faq.yaml", locale: str = "en") -> Path:
    folder = tmp_path / locale
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def entries(*items: tuple[str, str, str]) -> str:
    return HEADER + "".join(ENTRY.format(id=i, question=q, answer=a) for i, q, a in items)


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(KbError) as caught:
        load_knowledge_base(folder)
    assert caught.value.problems == str(caught.value).splitlines()
    return caught.value.problems


def test_the_fixture_knowledge_base_loads_in_both_locales() -> None:
    kbs = load_all(FIXTURES)
    assert sorted(kbs) == ["en", "zh_CN"]
    en = kbs["en"]
    assert en.locale == "en"
    assert [c.id for c in en.categories][:2] == ["gatherings", "hygiene-personal"]
    dinner = en.entry("gatherings-dinner")
    assert dinner is not None and dinner.category == "gatherings"
    assert dinner.answer.startswith("<b>No.</b>") and not dinner.answer.endswith("\n")
    assert dinner.date is not None and dinner.date.isoformat() == "2026-11-20"
    assert len(dinner.paraphrases) == 3
    assert en.entry("nothing-like-this") is None
    assert [e.id for e in en.entries_in("gatherings")] == ["gatherings-dinner",
                                                           "gatherings-wedding"]
    garlic = en.rumour("rumour-garlic")
    assert garlic is not None and garlic.verdict == "false"
    assert {e.id for e in kbs["zh_CN"].entries} == {e.id for e in en.entries}


def test_the_shipped_knowledge_base_is_valid() -> None:
    """What `selfreport faq check` runs; the content is in locales/<locale>/."""
    if not (LOCALES_DIR / "en" / "faq.yaml").exists():
        pytest.skip("no shipped knowledge base yet")
    assert validate_dir(LOCALES_DIR) == []


def test_a_valid_directory_has_no_problems() -> None:
    assert validate_dir(FIXTURES) == []
    assert validate_dir(FIXTURES / "en") == []
    assert validate_dir(FIXTURES / "en" / "faq.yaml") == []


def test_duplicate_id_names_both_lines(tmp_path: Path) -> None:
    folder = write(tmp_path, entries(("dup", "One?", "a"), ("other", "Two?", "b"),
                                     ("dup", "Three?", "c")))
    [problem] = problems_of(folder)
    assert problem == f"{folder / 'faq.yaml'}:14: entry dup: duplicate id (first at line 6)"


def test_unknown_category_and_missing_field(tmp_path: Path) -> None:
    folder = write(tmp_path, HEADER + """\
  - id: stray
    category: nowhere
    question: Where?
    answer: Here.
  - id: silent
    category: gatherings
    question: Is there an answer?
""")
    assert problems_of(folder) == [
        f"{folder / 'faq.yaml'}:7: entry stray: category: unknown category 'nowhere'",
        f"{folder / 'faq.yaml'}:10: entry silent: answer: is required",
    ]


@pytest.mark.parametrize(("answer", "line", "message"), [
    ("<div>block</div>", 2, "tag <div> is not allowed"),
    ("<b>bold", 2, "<b> is never closed"),
    ("<b><i>crossed</b></i>", 2, "</b> does not match: expected </i>"),
    ("fish & chips", 2, "a bare '&' must be written &amp;"),
    ("3 < 4", 2, "a bare '<' must be written &lt;"),
    ("&nbsp;spaced", 2, "entity &nbsp; is not supported"),
    ('<a href="javascript:x()">x</a>', 2, "needs an http(s), tg: or mailto: address"),
    ("fine\n<span>x</span>", 3, "tag <span> is not allowed"),
])
def test_bad_html_is_reported_on_its_own_line(tmp_path: Path, answer: str, line: int,
                                              message: str) -> None:
    body = textwrap.indent(answer, "      ")
    folder = write(tmp_path, HEADER + f"""\
  - id: html
    category: gatherings
    question: Markup?
    answer: |
{body}
""")
    problems = problems_of(folder)
    assert problems[0].startswith(f"{folder / 'faq.yaml'}:{8 + line}: entry html: answer: ")
    assert message in problems[0]


def test_allowed_html_passes() -> None:
    text = ('<b>b</b> <strong>s</strong> <i>i</i> <u>u</u> <s>s</s> <code>c</code> '
            '<pre>p</pre> <blockquote>q</blockquote> <a href="https://example.org/a?b=1&amp;c=2">'
            'link</a> &lt;tag&gt; &amp; &quot; &#8451;')
    assert check_html(text) == []


def test_too_long_answer(tmp_path: Path) -> None:
    folder = write(tmp_path, entries(("long", "Long?", "x" * (MAX_ANSWER + 1))))
    [problem] = problems_of(folder)
    assert problem.endswith(f"entry long: answer: {MAX_ANSWER + 1} characters, "
                            f"at most {MAX_ANSWER}")


def test_reply_over_telegrams_limit_is_refused(tmp_path: Path) -> None:
    folder = write(tmp_path, HEADER + f"""\
  - id: wordy
    category: gatherings
    question: {"Why " * 70}?
    answer: {"y" * MAX_ANSWER}
    source: {"s" * 300}
""")
    [problem] = problems_of(folder)
    assert "entry wordy: the reply would be" in problem and "Telegram takes 4096" in problem


@pytest.mark.parametrize("content", ["", "# only a comment\n", "---\n"])
def test_empty_file(tmp_path: Path, content: str) -> None:
    folder = write(tmp_path, content)
    assert problems_of(folder) == [f"{folder / 'faq.yaml'}: the file is empty"]


@pytest.mark.parametrize(("content", "line"), [
    ("locale: en\ncategories: [\n", 3),
    ("locale: en\n  bad: indent\n", 2),
    ("entries:\n  - id: x\n    answer: 'unterminated\n", 4),
])
def test_not_yaml(tmp_path: Path, content: str, line: int) -> None:
    folder = write(tmp_path, content)
    [problem] = problems_of(folder)
    assert problem.startswith(f"{folder / 'faq.yaml'}:{line}: not valid YAML")


def test_not_a_mapping_and_not_utf8(tmp_path: Path) -> None:
    folder = write(tmp_path, "- just\n- a list\n")
    assert problems_of(folder)[0] == (f"{folder / 'faq.yaml'}:1: expected a mapping with "
                                      "`locale:`, `categories:` and `entries:`")
    (folder / "faq.yaml").write_bytes("locale: en\nq: caf\xe9\n".encode("latin-1"))
    assert problems_of(folder) == [f"{folder / 'faq.yaml'}: not UTF-8 text"]


def test_field_problems(tmp_path: Path) -> None:
    folder = write(tmp_path, HEADER + """\
  - id: Bad_Id
    category: gatherings
    question: Shouty?
    answer: ok
  - id: dated
    category: gatherings
    question: When?
    answer: ok
    date: 2026-13-40
  - id: extra
    category: gatherings
    question: Typo?
    paraphrase: [singular]
    answer: ok
  - id: blank
    category: gatherings
    question: Blank paraphrase?
    paraphrases: ["", "fine"]
    answer: ok
  - just a string
""")
    path = folder / "faq.yaml"
    assert problems_of(folder) == [
        f"{path}:6: entry Bad_Id: id: only lower-case letters a-z, digits and hyphens",
        f"{path}:14: entry dated: date: must be an ISO date, YYYY-MM-DD",
        f"{path}:18: entry extra: paraphrase: Extra inputs are not permitted",
        f"{path}:23: entry blank: paraphrases: every paraphrase must be a non-empty line of "
        "at most 300 characters",
        f"{path}:25: entry #5: must be a mapping of fields",
    ]


def test_locale_must_match_its_directory(tmp_path: Path) -> None:
    folder = write(tmp_path, entries(("a", "A?", "a")), locale="zh_CN")
    assert problems_of(folder) == [
        f"{folder / 'faq.yaml'}: `locale: en` does not match its directory zh_CN"]


def test_rumour_problems(tmp_path: Path) -> None:
    folder = write(tmp_path, entries(("a", "A?", "a")))
    write(tmp_path, """\
        locale: en
        rumours:
          - id: rumour-one
            claim: Something.
            verdict: false
            fact: Not <i>true</b>.
          - id: rumour-one
            claim: Again.
            verdict: maybe
            fact: Fine.
        """, name="rumours.yaml")
    path = folder / "rumours.yaml"
    assert problems_of(folder) == [
        f"{path}:6: rumour rumour-one: fact: </b> does not match: expected </i>",
        f"{path}:6: rumour rumour-one: fact: <i> is never closed",
        f"{path}:7: rumour rumour-one: duplicate id (first at line 3)",
        f"{path}:9: rumour rumour-one: verdict: Input should be 'false', 'misleading' or "
        "'unproven'",
    ]


def test_unquoted_false_verdict_is_the_word_false(tmp_path: Path) -> None:
    kb = load_knowledge_base(FIXTURES / "en")
    assert {r.verdict for r in kb.rumours} == {"false"}


def test_ids_must_match_across_locales(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES, tmp_path / "kb")
    zh = tmp_path / "kb" / "zh_CN" / "faq.yaml"
    zh.write_text(zh.read_text(encoding="utf-8").replace("id: gatherings-wedding",
                                                         "id: gatherings-banquet"),
                  encoding="utf-8")
    problems = validate_dir(tmp_path / "kb")
    assert problems == [
        "en: entry ids missing here but present in another locale: gatherings-banquet",
        "zh_CN: entry ids missing here but present in another locale: gatherings-wedding",
    ]


def test_every_problem_of_every_locale_is_reported(tmp_path: Path) -> None:
    write(tmp_path, entries(("a", "A?", "<b>x")))
    write(tmp_path, entries(("a", "A?", "y & z")).replace("locale: en", "locale: zh_CN"),
          locale="zh_CN")
    problems = validate_dir(tmp_path)
    assert len(problems) == 2
    assert problems[0].startswith(str(tmp_path / "en" / "faq.yaml"))
    assert problems[1].startswith(str(tmp_path / "zh_CN" / "faq.yaml"))


def test_a_directory_without_a_knowledge_base(tmp_path: Path) -> None:
    assert validate_dir(tmp_path) == [f"{tmp_path}: no faq.yaml here or in its subdirectories"]
    assert validate_dir(tmp_path / "missing") == [
        f"{tmp_path / 'missing'}: no faq.yaml here or in its subdirectories"]


def test_load_faq_file_takes_any_locale_and_no_rumours(tmp_path: Path) -> None:
    path = write(tmp_path, entries(("a", "A?", "a"))) / "faq.yaml"
    kb = load_faq_file(path)
    assert kb.locale == "en" and [e.id for e in kb.entries] == ["a"] and kb.rumours == []


def test_the_same_question_under_two_entries(tmp_path: Path) -> None:
    folder = write(tmp_path, HEADER + """\
  - id: first
    category: gatherings
    question: Can we meet?
    answer: a
  - id: second
    category: gatherings
    question: Another one?
    paraphrases: ["can  we MEET"]
    answer: b
""")
    assert problems_of(folder) == [f"{folder / 'faq.yaml'}:10: entry second: 'can  we MEET' is "
                                   "also a question of entry first"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_html_check_never_raises_and_escaped_text_always_passes(text: str) -> None:
    check_html(text)
    assert check_html(html.escape(text)) == []
    assert check_html(f"<b>{html.escape(text)}</b>") == []
