"""The rules Q&A: every locale's knowledge base with its matchers, asked in plain text.

`Faq.load(locales_dir)` at start-up, `reload()` on an admin's request: a reload that finds a
problem raises KbError and keeps serving the previous knowledge base.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from bot.services.faq.additions import Addition, merge
from bot.services.faq.decide import (
    Kind,
    Thresholds,
    decide,
    entry_thresholds,
    rumour_thresholds,
)
from bot.services.faq.kb import (
    FAQ_FILE,
    RUMOURS_FILE,
    Entry,
    KnowledgeBase,
    Rumour,
    all_texts,
    load_all,
    locale_dirs,
)
from bot.services.faq.markup import visible_text
from bot.services.faq.matcher import Match, Matcher
from bot.services.faq.rumours import fragments, verdict
from bot.services.faq.synonyms import SYNONYMS_FILE, han_words
from bot.services.faq.text import add_words, is_long

logger = logging.getLogger(__name__)

CONTEXT_CHARS = 1000  # of each answer, indexed with a low weight (see matcher.CONTEXT_WEIGHT)
MAX_CANDIDATES = 3
RANKS = 10  # how many matches `rank` returns at most
CLAUSE_WEIGHT = 0.9
MAX_CLAUSES = 6
RUMOUR_CHAR_WEIGHT = 0.0
RUMOUR_UNKNOWN_PENALTY = 0.0
_CLAUSE_END = re.compile(r"(?<=[。！？!?；;，,\n])|(?<=\.)\s+")
_HAN_CHAR = re.compile(r"[\u3400-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")

__all__ = ["Answer", "Faq", "RumourCheck", "decide", "entry_matcher", "rumour_matcher"]


@dataclass(frozen=True)
class Answer:
    kind: Kind
    entry: Entry | None = None
    # candidates: the close entries to offer; beside a confident answer, close runners-up
    candidates: list[Entry] = field(default_factory=list)
    matches: list[Match] = field(default_factory=list)  # scores, for logs and stats


@dataclass(frozen=True)
class RumourCheck:
    kind: Literal["match", "near", "none"]
    rumour: Rumour | None = None
    score: float = 0.0
    matches: list[Match] = field(default_factory=list)


def entry_matcher(entries: Sequence[Entry], *, context: bool = True,
                  synonyms: dict[str, str] | None = None) -> Matcher:
    """The matcher the bot uses for a list of entries (also what `faq eval` measures)."""
    snippets = ({e.id: visible_text(e.answer)[:CONTEXT_CHARS] for e in entries}
                if context else None)
    return Matcher(all_texts(entries), snippets, synonyms=synonyms)


def rumour_matcher(rumours: Sequence[Rumour], synonyms: dict[str, str] | None = None
                   ) -> Matcher:
    # No character n-grams here: a forward shares short strings ("天热了") with many claims
    # it does not make; the rumour check must be sure of the claim.
    return Matcher(all_texts(rumours), synonyms=synonyms, char_weight=RUMOUR_CHAR_WEIGHT,
                   unknown_penalty=RUMOUR_UNKNOWN_PENALTY)


def clauses(text: str) -> list[str]:
    """The clauses of a long message worth reading alone, last first; nothing for a short
    one."""
    text = text[:1000]
    if not is_long(text):
        return []
    parts = [p.strip() for p in _CLAUSE_END.split(text) if p.strip()]
    keep = [p for p in parts if len(_HAN_CHAR.findall(p)) >= 4
            or len(_LATIN_WORD.findall(p)) >= 3]
    # The last clauses hold the question more often than the first (greetings, background).
    return list(dict.fromkeys(reversed(keep)))[:MAX_CLAUSES]


FileKey = tuple[tuple[str, str | None], ...]


def files_key(locales_dir: Path) -> FileKey:
    """What the knowledge-base files under `locales_dir` hold: each one's path and a digest of
    its bytes (None for a file that is absent). Reading them for it takes well under 1 ms;
    mtimes alone could miss an edit within the same clock tick."""
    key: list[tuple[str, str | None]] = []
    for locale_dir in locale_dirs(locales_dir):
        for path in (locale_dir / FAQ_FILE, locale_dir / RUMOURS_FILE,
                     locale_dir / SYNONYMS_FILE):
            try:
                digest: str | None = hashlib.blake2b(path.read_bytes()).hexdigest()
            except FileNotFoundError:
                digest = None
            key.append((str(path), digest))
    return tuple(key)


@dataclass(frozen=True)
class _Book:
    kb: KnowledgeBase
    entries: Matcher
    rumours: Matcher

    @classmethod
    def build(cls, kb: KnowledgeBase) -> _Book:
        add_words(han_words(kb.synonyms))
        return cls(kb, entry_matcher(kb.entries, synonyms=kb.synonyms),
                   rumour_matcher(kb.rumours, kb.synonyms))


# The books last built from each locales directory (see Faq.load), with the files' key.
_BUILT: dict[str, tuple[FileKey, dict[str, _Book]]] = {}
_BUILT_LOCK = threading.Lock()


class Faq:
    """Knowledge bases by locale; safe to share between updates (reload swaps them whole)."""

    def __init__(self, locales_dir: Path, books: dict[str, _Book],
                 default_locale: str = "zh_CN") -> None:
        self.locales_dir = locales_dir
        self.default_locale = default_locale
        self._books = books
        self._lock = threading.Lock()
        # The files' books, and the promoted entries (/faq_add) laid on top of them.
        self._file_books = books
        self.additions: tuple[Addition, ...] = ()

    @classmethod
    def of(cls, kbs: dict[str, KnowledgeBase], default_locale: str = "zh_CN") -> Faq:
        """A Faq over knowledge bases already loaded (for measuring a single file)."""
        books = {locale: _Book.build(kb) for locale, kb in kbs.items()}
        return cls(Path("."), books, default_locale if default_locale in books
                   else next(iter(books), default_locale))

    @classmethod
    def load(cls, locales_dir: Path, default_locale: str = "zh_CN") -> Faq:
        """Every locale under `locales_dir`; raises KbError listing every problem.

        The books built from the same files (same paths and bytes) earlier in this process
        are used again: building them takes ~0.6 s of CPU, once for each Application a process
        builds (the tests build hundreds). Books are only read once built, so several Faq
        objects may share them; reload() always reads the files."""
        return cls(locales_dir, cls._build(locales_dir, reuse=True), default_locale)

    @staticmethod
    def _build(locales_dir: Path, *, reuse: bool = False) -> dict[str, _Book]:
        where = str(locales_dir.resolve())
        key = files_key(locales_dir)
        with _BUILT_LOCK:
            built = _BUILT.get(where)
        if reuse and built is not None and built[0] == key:
            logger.debug("knowledge base unchanged since it was built: reused")
            return built[1]
        books = {locale: _Book.build(kb) for locale, kb in load_all(locales_dir).items()}
        logger.info("knowledge base loaded: %s", ", ".join(
            f"{loc} {len(b.kb.entries)} entries, {len(b.kb.rumours)} rumours"
            for loc, b in books.items()))
        with _BUILT_LOCK:  # only the newest books of each directory are kept
            _BUILT[where] = (key, books)
        return books

    def reload(self, additions: Sequence[Addition] | None = None) -> list[str]:
        """Read the files again, with `additions` (default: the current ones) on top; on
        KbError the knowledge base in use stays as it was. Returns the problems of additions
        left out (see additions.merge)."""
        with self._lock:
            self._file_books = self._build(self.locales_dir)
            return self._lay(self.additions if additions is None else additions)

    def set_additions(self, additions: Sequence[Addition]) -> list[str]:
        """Lay promoted entries on the files' knowledge base; returns those left out's problems."""
        with self._lock:
            return self._lay(additions)

    def _lay(self, additions: Sequence[Addition]) -> list[str]:
        merged = merge({loc: b.kb for loc, b in self._file_books.items()}, additions)
        changed = {a.locale for a in merged.added}
        self._books = {loc: _Book.build(merged.kbs[loc]) if loc in changed else book
                       for loc, book in self._file_books.items()}
        self.additions = tuple(merged.added)
        if merged.problems:
            logger.warning("%d knowledge-base addition(s) left out: %s", len(merged.problems),
                           "; ".join(merged.problems[:5]))
        return merged.problems

    @property
    def locales(self) -> list[str]:
        return list(self._books)

    def _book(self, locale: str) -> _Book | None:
        return self._books.get(locale) or self._books.get(self.default_locale)

    def kb(self, locale: str) -> KnowledgeBase | None:
        """The locale's knowledge base (the default locale's when it has none)."""
        book = self._book(locale)
        return book.kb if book else None

    def _search(self, book: _Book, kind: Literal["entries", "rumours"], text: str,
                k: int, thresholds: Thresholds) -> list[Match]:
        """Best matches in `book`; unless one is confident, also through the other locales'
        matchers (a question in the other language), mapped back by id into `book`."""
        matches = getattr(book, kind).search(text, k=k)
        if thresholds.confident_in(matches) or len(self._books) < 2:
            return matches
        best = {m.id: m for m in matches}
        known = book.kb.entry if kind == "entries" else book.kb.rumour
        for other in self._books.values():
            if other is book:
                continue
            for m in getattr(other, kind).search(text, k=k):
                if known(m.id) is not None and (m.id not in best or best[m.id].score < m.score):
                    best[m.id] = m
        return sorted(best.values(), key=lambda m: -m.score)[:k]

    def rank(self, locale: str, text: str, k: int = RANKS) -> list[Match]:
        """The `k` entries closest to a question, as `ask` ranks them (any language). A long
        message is also read clause by clause (`clauses`): greetings and background would
        otherwise dilute the question in it below every threshold."""
        book = self._book(locale)
        if book is None:
            return []
        thresholds = entry_thresholds(book.kb.locale)
        best = {m.id: m for m in self._search(book, "entries", text, k, thresholds)}
        for clause in clauses(text):
            for m in book.entries.search(clause, k=k):
                scored = Match(m.id, round(m.score * CLAUSE_WEIGHT, 4), m.text)
                if m.id not in best or best[m.id].score < scored.score:
                    best[m.id] = scored
        return sorted(best.values(), key=lambda m: -m.score)[:k]

    def ask(self, locale: str, text: str) -> Answer:
        """Answer a question in the member's locale (it may be asked in any language)."""
        book = self._book(locale)
        if book is None:
            return Answer("none")
        matches = self.rank(locale, text, MAX_CANDIDATES)
        kind, chosen = decide(matches, entry_thresholds(book.kb.locale))
        entries = [e for m in chosen if (e := book.kb.entry(m.id)) is not None]
        if kind == "confident" and entries:
            return Answer("confident", entries[0], entries[1:], matches)
        if kind == "candidates" and entries:
            return Answer("candidates", None, entries, matches)
        return Answer("none", None, [], matches)

    def check_rumour(self, locale: str, text: str) -> RumourCheck:
        """Compare a message with the known rumours: as a whole, and each of its sentences
        that is long enough to carry a claim on its own; then the stance check."""
        book = self._book(locale)
        if book is None or not book.kb.rumours:
            return RumourCheck("none")
        thresholds = rumour_thresholds(book.kb.locale)
        best: list[Match] = []
        best_part = text
        for part in fragments(text):
            matches = self._search(book, "rumours", part, 2, thresholds)
            if matches and (not best or matches[0].score > best[0].score):
                best, best_part = matches, part
        if not best:
            return RumourCheck("none")
        rumour = book.kb.rumour(best[0].id)
        if rumour is None:
            return RumourCheck("none", None, best[0].score, best)
        # The closest wording may be the other locale's (a forward in the other language).
        covered = max(b.rumours.covered(said, best[0]) for b in self._books.values()
                      for said in {text, best_part})
        kind = verdict(best, thresholds, best_part, rumour, covered)
        return RumourCheck(kind, rumour if kind != "none" else None, best[0].score, best)
