"""The sandbox chat page's own labels (bot/sandbox/static/labels.json): every label the page
uses is in both languages, and the Chinese ones follow docs/glossary.md as the catalogue does."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.unit.test_zh_voice import ASCII_NEXT_TO_CJK, CODE, NOT_TERMS

STATIC = Path(__file__).resolve().parents[2] / "bot" / "sandbox" / "static"
LABELS: dict[str, dict[str, Any]] = json.loads((STATIC / "labels.json").read_text("utf-8"))


def _flat(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out |= _flat(value, f"{prefix}{key}.")
        else:
            out[prefix + key] = value
    return out


def _used() -> set[str]:
    """The keys index.html (data-i18n…) and the scripts (t("key")) ask for."""
    html = (STATIC / "index.html").read_text("utf-8")
    scripts = "".join((STATIC / name).read_text("utf-8") for name in ("app.js", "webapp_panel.js"))
    return (set(re.findall(r'data-i18n(?:-[a-z]+)?="([^"]+)"', html))
            | set(re.findall(r'\bt\("([A-Za-z]+)"', scripts)))


def test_both_languages_have_the_same_labels() -> None:
    assert set(LABELS) == {"en", "zh"}
    assert _flat(LABELS["en"]).keys() == _flat(LABELS["zh"]).keys()


def test_every_label_the_page_uses_is_in_the_table() -> None:
    used = _used()
    assert {"send", "sendContact", "attach", "back", "users", "writeMessage"} <= used
    assert used - _flat(LABELS["en"]).keys() == set()


def test_the_chinese_labels_speak_with_the_catalogues_voice() -> None:
    zh = _flat(LABELS["zh"])
    assert [k for k, text in zh.items() if "你" in text] == []
    assert [k for k, text in zh.items() if ASCII_NEXT_TO_CJK.search(CODE.sub("", text))] == []
    assert [f"{k}: {term}" for k, text in zh.items() for term in NOT_TERMS if term in text] == []
    # Every Chinese label is Chinese (a copied English one would slip through the rules above),
    # but for the switch, which names the other language in that language.
    cjk = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")  # or full-width punctuation
    assert [k for k, text in zh.items() if not cjk.search(text)] == ["switchLanguage",
                                                                    "switchLanguageTitle"]
