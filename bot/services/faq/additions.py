"""Entries promoted from answered questions (/faq_add), laid on top of the YAML files.

The files in the image are the source of truth; an addition lives in the database until it is
exported in the files' own format (`document`), merged into locales/<locale>/faq.yaml and
dropped. Each addition is checked by the files' loader itself (`load_faq_file` on the text the
export would print), plus what only a whole file shows: an id or a question that another
entry already has. An addition that no longer fits the files (its id was merged into them, its
category removed) is left out and reported; the files always win.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.services.faq.kb import Category, Entry, KbError, KnowledgeBase, load_faq_file
from bot.services.faq.text import normalise


@dataclass(frozen=True)
class Addition:
    locale: str
    entry_id: str
    category: str
    question: str
    answer: str
    paraphrases: tuple[str, ...] = ()
    source: str | None = None
    date: dt.date | None = None

    def mapping(self) -> dict[str, Any]:
        """The entry as faq.yaml writes it (field order of the README)."""
        found: dict[str, Any] = {"id": self.entry_id, "category": self.category,
                                 "question": self.question}
        if self.paraphrases:
            found["paraphrases"] = list(self.paraphrases)
        found["answer"] = self.answer.strip() + "\n"
        if self.source:
            found["source"] = self.source
        if self.date:
            found["date"] = self.date
        return found


class _Dumper(yaml.SafeDumper):
    """Multi-line text as a `|` block, like the hand-written files."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value.strip() or value.endswith("\n") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def document(locale: str, categories: Sequence[Category],
             entries: Iterable[Mapping[str, Any]]) -> str:
    """A faq.yaml document: `locale:`, `categories:` and `entries:`."""
    data = {"locale": locale,
            "categories": [{"id": c.id, "title": c.title} for c in categories],
            "entries": [dict(e) for e in entries]}
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


def _question_key(text: str) -> str:
    # The key kb._same_question uses: one question can only ever find one entry.
    return normalise(text).rstrip("?？。.!！ ")


_PREFIX = re.compile(r"^[^:]*:(?:\d+:)? ")


def check_entry(kb: KnowledgeBase, addition: Addition,
                others: Sequence[Entry] = ()) -> tuple[Entry | None, list[str]]:
    """The addition as an Entry of `kb` (with `others` already added), or its problems."""
    if addition.locale != kb.locale:
        return None, [f"entry {addition.entry_id}: locale {addition.locale}, not {kb.locale}"]
    if kb.entry(addition.entry_id) is not None or any(
            e.id == addition.entry_id for e in others):
        return None, [f"entry {addition.entry_id}: the id is already in the knowledge base"]
    name = f"{kb.locale}/faq_additions"
    text = document(kb.locale, kb.categories, [addition.mapping()])
    try:
        [entry] = load_faq_file(Path(name), kb.locale, text=text).entries
    except KbError as error:
        return None, [_PREFIX.sub("", p, count=1) for p in error.problems]
    owners = {_question_key(q): e.id for e in (*kb.entries, *others)
              for q in (e.question, *e.paraphrases)}
    problems = [f"entry {entry.id}: {q!r} is also a question of entry {owners[key]}"
                for q in (entry.question, *entry.paraphrases)
                if (key := _question_key(q)) in owners]
    return (None, problems) if problems else (entry, [])


@dataclass
class Merged:
    kbs: dict[str, KnowledgeBase]
    added: list[Addition] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # of the additions left out


def merge(files: Mapping[str, KnowledgeBase], additions: Sequence[Addition]) -> Merged:
    """Every locale's knowledge base with the additions that fit it, in their order."""
    result = Merged(dict(files))
    extra: dict[str, list[Entry]] = {}
    for addition in additions:
        kb = files.get(addition.locale)
        if kb is None:
            result.problems.append(f"entry {addition.entry_id}: no knowledge base for locale "
                                   f"{addition.locale}")
            continue
        entry, problems = check_entry(kb, addition, extra.get(addition.locale, []))
        if entry is None:
            result.problems.extend(f"{addition.locale}: {p}" for p in problems)
            continue
        extra.setdefault(addition.locale, []).append(entry)
        result.added.append(addition)
    for locale, entries in extra.items():
        kb = files[locale]
        result.kbs[locale] = KnowledgeBase(kb.locale, kb.categories, [*kb.entries, *entries],
                                           kb.rumours, kb.synonyms)
    return result
