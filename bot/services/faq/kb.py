"""The rules knowledge base: locales/<locale>/faq.yaml and rumours.yaml, loaded and validated.

The format is documented in README.md ("Rules knowledge base"). Loading collects every problem
before failing, each as `file:line: entry <id>: <what>` so an admin can fix them in one pass.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from bot.services.faq.markup import utf16_length, visible_text
from bot.services.faq.synonyms import SYNONYMS_FILE, load_synonyms
from bot.services.faq.text import normalise
from bot.services.faq.yamlfile import YamlFile

FAQ_FILE = "faq.yaml"
RUMOURS_FILE = "rumours.yaml"
MAX_ANSWER = 3500  # characters of an answer as written (HTML included)
MAX_FACT = 3000
MAX_MESSAGE = 4096  # Telegram's limit for a message's visible text
# Room the reply around an answer needs: "You asked about: …", "Source: …", the date.
MESSAGE_FRAME = 120
ID_PATTERN = r"^[a-z0-9-]+$"
MAX_ID = 40  # ids travel in callback data (64 bytes) with a short prefix


class KbError(Exception):
    """The knowledge base is invalid; `problems` lists every problem found."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


def _date(value: Any) -> Any:
    if value is None:
        return None
    # YAML reads 2026-11-20 as a date already; refuse numbers, which pydantic would take as
    # Unix timestamps, and datetimes.
    if isinstance(value, dt.datetime) or not isinstance(value, str | dt.date):
        raise ValueError("must be an ISO date, YYYY-MM-DD")
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError("must be an ISO date, YYYY-MM-DD") from None
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True,
                              strict=False)


def _paraphrases(value: list[str]) -> list[str]:
    if any(not p or len(p) > 300 for p in value):
        raise ValueError("every paraphrase must be a non-empty line of at most 300 characters")
    return value


Id = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID, pattern=ID_PATTERN)]
Line = Annotated[str, StringConstraints(min_length=1, max_length=300)]
Paraphrases = Annotated[list[str], Field(max_length=30), AfterValidator(_paraphrases)]
Source = Annotated[str | None, Field(max_length=300)]


class Category(_Model):
    id: Id
    title: str = Field(min_length=1, max_length=64)


class Entry(_Model):
    id: Id
    category: Id
    question: Line
    paraphrases: Paraphrases = []
    answer: Annotated[str, StringConstraints(min_length=1)]
    source: Source = None
    date: Annotated[dt.date | None, BeforeValidator(_date)] = None


class Rumour(_Model):
    id: Id
    claim: Line
    paraphrases: Paraphrases = []
    # `verdict: false` unquoted is a YAML boolean.
    verdict: Annotated[Literal["false", "misleading", "unproven"],
                       BeforeValidator(lambda v: "false" if v is False else v)]
    fact: Annotated[str, StringConstraints(min_length=1)]
    source: Source = None
    date: Annotated[dt.date | None, BeforeValidator(_date)] = None


@dataclass
class KnowledgeBase:
    locale: str
    categories: list[Category]
    entries: list[Entry]
    rumours: list[Rumour] = field(default_factory=list)
    # word (or English stem) → synonym group (synonyms.yaml, optional)
    synonyms: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._entries = {e.id: e for e in self.entries}
        self._rumours = {r.id: r for r in self.rumours}
        self._categories = {c.id: c for c in self.categories}

    def entry(self, entry_id: str) -> Entry | None:
        return self._entries.get(entry_id)

    def rumour(self, rumour_id: str) -> Rumour | None:
        return self._rumours.get(rumour_id)

    def category(self, category_id: str) -> Category | None:
        return self._categories.get(category_id)

    def entries_in(self, category_id: str) -> list[Entry]:
        return [e for e in self.entries if e.category == category_id]


def _error(err: Any) -> str:
    if err["type"] == "missing":
        return "is required"
    if err["type"] == "string_pattern_mismatch":
        return "only lower-case letters a-z, digits and hyphens"
    return str(err["msg"]).removeprefix("Value error, ")


def _models(f: YamlFile, key: str, model: type[_Model],
            label: str) -> list[tuple[int, dict[str, Any], Any, str]]:
    """(index, raw mapping, model or None when invalid, label for messages) per item."""
    result: list[tuple[int, dict[str, Any], Any, str]] = []
    seen: dict[str, int] = {}
    for i, raw in f.items(key):
        line = f.line(key, i)
        raw_id = raw.get("id") if isinstance(raw, dict) else None
        what = f"{label} {raw_id}" if isinstance(raw_id, str) else f"{label} #{i + 1}"
        if not isinstance(raw, dict):
            f.problem("must be a mapping of fields", line, what)
            continue
        item = None
        try:
            item = model.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors():
                name = str(err["loc"][0]) if err["loc"] else ""
                f.problem(f"{name}: {_error(err)}" if name else _error(err),
                          f.line(key, i, name) if name in raw else line, what)
        if isinstance(raw_id, str) and raw_id in seen:
            f.problem(f"duplicate id (first at line {seen[raw_id]})", line, what)
            item = None
        elif isinstance(raw_id, str):
            seen[raw_id] = line
        result.append((i, raw, item, what))
    return result


def _text(f: YamlFile, key: str, i: int, raw: dict[str, Any], name: str, limit: int,
          what: str) -> None:
    value = raw.get(name)
    if not isinstance(value, str):
        return
    f.check_html(key, i, name, value, what)
    if len(value.strip()) > limit:
        f.problem(f"{name}: {len(value.strip())} characters, at most {limit}",
                  f.line(key, i, name), what)


def _check_locale(f: YamlFile, locale: str | None, shape: str) -> str:
    if not isinstance(f.data, dict):
        if f.data is not None:
            f.problem(f"expected a mapping with {shape}", 1)
        return locale or ""
    found = f.data.get("locale")
    if locale is not None and found != locale:
        f.problem(f"`locale: {found}` does not match its directory {locale}")
    return str(found or locale or "")


def load_faq_file(path: Path, locale: str | None = None,
                  problems: list[str] | None = None, *, text: str | None = None
                  ) -> KnowledgeBase:
    """One faq.yaml (or `text` in its format); raises KbError unless `problems` is given."""
    f = YamlFile(path, text)
    kb_locale = _check_locale(f, locale, "`locale:`, `categories:` and `entries:`")
    categories = [c for _, _, c, _ in _models(f, "categories", Category, "category") if c]
    known = {c.id for c in categories}
    entries: list[tuple[int, Entry]] = []
    for i, raw, entry, what in _models(f, "entries", Entry, "entry"):
        category = raw.get("category")
        if isinstance(category, str) and categories and category not in known:
            f.problem(f"category: unknown category {category!r}",
                      f.line("entries", i, "category"), what)
        _text(f, "entries", i, raw, "answer", MAX_ANSWER, what)
        if entry is None:
            continue
        shown = MESSAGE_FRAME + utf16_length(
            entry.question + visible_text(entry.answer) + (entry.source or ""))
        if shown > MAX_MESSAGE:
            f.problem(f"the reply would be {shown} characters, Telegram takes {MAX_MESSAGE}",
                      f.line("entries", i), what)
        entries.append((i, entry))
    _same_question(f, entries)
    found = f.problems()
    if problems is not None:
        problems.extend(found)
    elif found:
        raise KbError(found)
    return KnowledgeBase(kb_locale, categories, [entry for _, entry in entries])


def _same_question(f: YamlFile, entries: list[tuple[int, Entry]]) -> None:
    """The same question (or paraphrase) under two entries can only ever find one of them."""
    owner: dict[str, str] = {}
    for i, entry in entries:
        for question in (entry.question, *entry.paraphrases):
            key = normalise(question).rstrip("?？。.!！ ")
            first = owner.setdefault(key, entry.id)
            if first != entry.id:
                f.problem(f"{question!r} is also a question of entry {first}",
                          f.line("entries", i), f"entry {entry.id}")


def load_rumours_file(path: Path, locale: str | None, problems: list[str]) -> list[Rumour]:
    """One rumours.yaml; its problems are added to `problems`."""
    f = YamlFile(path)
    _check_locale(f, locale, "`locale:` and `rumours:`")
    rumours = []
    for i, raw, rumour, what in _models(f, "rumours", Rumour, "rumour"):
        _text(f, "rumours", i, raw, "fact", MAX_FACT, what)
        if rumour is not None:
            rumours.append(rumour)
    problems.extend(f.problems())
    return rumours


def load_knowledge_base(locale_dir: Path) -> KnowledgeBase:
    """faq.yaml (required), rumours.yaml and synonyms.yaml (optional) of one locale
    directory."""
    problems: list[str] = []
    kb = load_faq_file(locale_dir / FAQ_FILE, locale_dir.name, problems)
    rumours_path = locale_dir / RUMOURS_FILE
    if rumours_path.exists():
        kb = KnowledgeBase(kb.locale, kb.categories, kb.entries,
                           load_rumours_file(rumours_path, locale_dir.name, problems))
    synonyms = load_synonyms(locale_dir / SYNONYMS_FILE, locale_dir.name, problems)
    if synonyms:
        kb = KnowledgeBase(kb.locale, kb.categories, kb.entries, kb.rumours, synonyms)
    if problems:
        raise KbError(problems)
    return kb


def locale_dirs(path: Path) -> list[Path]:
    """`path` itself when it holds a faq.yaml (or is one), else its subdirectories that do."""
    if path.name == FAQ_FILE and path.is_file():
        return [path.parent]
    if (path / FAQ_FILE).is_file():
        return [path]
    return sorted(p for p in path.iterdir() if (p / FAQ_FILE).is_file()) if path.is_dir() else []


def _same_ids(kbs: dict[str, KnowledgeBase], problems: list[str]) -> None:
    def compare(kind: str, ids: dict[str, set[str]]) -> None:
        every = set().union(*ids.values())
        for locale, have in ids.items():
            if missing := sorted(every - have):
                problems.append(f"{locale}: {kind} missing here but present in another "
                                f"locale: {', '.join(missing)}")

    compare("entry ids", {loc: {e.id for e in kb.entries} for loc, kb in kbs.items()})
    compare("category ids", {loc: {c.id for c in kb.categories} for loc, kb in kbs.items()})
    compare("rumour ids", {loc: {r.id for r in kb.rumours} for loc, kb in kbs.items()})


def load_all(path: Path) -> dict[str, KnowledgeBase]:
    """Every locale under `path` (or `path` itself); the same ids must exist in each."""
    dirs = locale_dirs(path)
    if not dirs:
        raise KbError([f"{path}: no {FAQ_FILE} here or in its subdirectories"])
    problems: list[str] = []
    kbs: dict[str, KnowledgeBase] = {}
    for locale_dir in dirs:
        try:
            kbs[locale_dir.name] = load_knowledge_base(locale_dir)
        except KbError as exc:
            problems.extend(exc.problems)
    if not problems and len(kbs) > 1:
        _same_ids(kbs, problems)
    if problems:
        raise KbError(problems)
    return kbs


def validate_dir(path: Path) -> list[str]:
    """Every problem of the knowledge base under `path`; empty when it is valid."""
    try:
        load_all(path)
    except KbError as exc:
        return exc.problems
    return []


def all_texts(items: Iterable[Entry | Rumour]) -> list[tuple[str, list[str]]]:
    """(id, [question or claim, *paraphrases]) for a Matcher."""
    return [(i.id, [i.question if isinstance(i, Entry) else i.claim, *i.paraphrases])
            for i in items]
