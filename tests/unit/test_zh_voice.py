"""The Chinese catalogue and knowledge base speak with one voice (docs/glossary.md): 您, the
glossary's terms, full-width punctuation next to Chinese."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
ZH = ROOT / "locales" / "zh_CN"
CJK = r"[\u3400-\u9fff]"
ASCII_NEXT_TO_CJK = re.compile(rf"{CJK}[,:;()]|[,:;()]{CJK}")
# Placeholders, tags, entities and links are code, not prose.
CODE = re.compile(r"%\([^)]*\)[sdif]|\{[^}]*\}|<[^>]+>|https?://\S+|&[a-z]+;")
NOT_TERMS = ("汇总", "警报", "逾期", "关联", "知识库", "全组织", "报告率", "未报告", "已报告")


def zh_texts() -> list[tuple[str, str]]:
    with (ZH / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalogue = read_po(f)
    texts = [(str(m.id), s) for m in catalogue if m.id
             for s in (m.string if isinstance(m.string, tuple) else (m.string,)) if s]
    for name in ("faq.yaml", "rumours.yaml"):
        lines = (ZH / name).read_text(encoding="utf-8").splitlines()
        texts += [(f"{name}:{i}", line) for i, line in enumerate(lines, 1)
                  if not line.lstrip().startswith("#")]
    return texts


TEXTS = zh_texts()


def test_the_texts_are_read() -> None:
    assert len(TEXTS) > 1000


@pytest.mark.parametrize("rule", ["informal", "punctuation", "terms"])
def test_zh_voice(rule: str) -> None:
    if rule == "informal":
        bad = [where for where, text in TEXTS if "你" in text]
    elif rule == "punctuation":
        bad = [where for where, text in TEXTS if ASCII_NEXT_TO_CJK.search(CODE.sub("", text))]
    else:
        bad = [f"{where}: {term}" for where, text in TEXTS for term in NOT_TERMS if term in text]
    assert bad == []


def test_the_checks_catch_what_they_are_for() -> None:
    assert ASCII_NEXT_TO_CJK.search(CODE.sub("", "关系:姓名"))
    assert not ASCII_NEXT_TO_CJK.search(CODE.sub("", "时间 {time}:00，见 <b>规则</b>"))


def test_the_glossary_names_every_term_it_forbids() -> None:
    glossary = (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")
    assert all(term in glossary for term in NOT_TERMS)
