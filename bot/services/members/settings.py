"""A member's own settings: their household, quiet hours, and what /me shows.

Plain results and error codes only; handlers and render/ turn them into text.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass
from datetime import time

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import HouseholdEntry, Member, Role, Unit
from bot.services.org.accounts import member_for
from bot.services.org.units import unit_names
from bot.services.reports.schedule import ScheduleError, parse_hhmm

MAX_HOUSEHOLD = 10
MAX_RELATION = 32
MAX_NAME = 64
# Longest input looked at at all: a 10,000-character message is refused before any work.
MAX_INPUT = 256

# Bidirectional overrides and isolates can make a name display as something else.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


class TextError(enum.StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"
    CONTROL = "control"  # control characters, line breaks, bidi overrides
    NO_LETTERS = "no_letters"  # only emoji, digits or punctuation: not a name


class InvalidText(ValueError):
    def __init__(self, code: TextError, limit: int) -> None:
        super().__init__(code.value)
        self.code = code
        self.limit = limit


def clean_text(value: str, *, limit: int) -> str:
    """A one-line name or label typed by a person: trimmed, 1..limit characters, printable.

    NFC keeps "é" typed two ways one string; blanks inside are collapsed because a name with
    three spaces in the middle is a typo, not a different person.
    """
    if len(value) > MAX_INPUT:
        raise InvalidText(TextError.TOO_LONG, limit)
    text = unicodedata.normalize("NFC", value).strip()
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp", "Co", "Cn") or char in _BIDI:
            raise InvalidText(TextError.CONTROL, limit)
    text = " ".join(text.split())
    if not text:
        raise InvalidText(TextError.EMPTY, limit)
    if len(text) > limit:
        raise InvalidText(TextError.TOO_LONG, limit)
    # "😀😀" or "..." is not a name or a relation; any script's letters are (李, Ли, Li).
    if not any(unicodedata.category(char).startswith("L") for char in text):
        raise InvalidText(TextError.NO_LETTERS, limit)
    return text


# --- household -----------------------------------------------------------------------------


class HouseholdError(enum.StrEnum):
    LIMIT = "limit"  # already MAX_HOUSEHOLD entries
    DUPLICATE = "duplicate"  # same relation and name already listed
    NOT_FOUND = "not_found"  # no such entry of this member (a stale or forged button)


class HouseholdRefused(ValueError):
    def __init__(self, code: HouseholdError) -> None:
        super().__init__(code.value)
        self.code = code


async def household_of(session: AsyncSession, member_id: int) -> list[HouseholdEntry]:
    """The member's household in display order (the report form asks about them in it)."""
    rows = await session.scalars(
        select(HouseholdEntry)
        .where(HouseholdEntry.member_id == member_id, HouseholdEntry.active)
        .order_by(HouseholdEntry.position, HouseholdEntry.id)
    )
    return list(rows)


def _same_person(entry: HouseholdEntry, relation: str, name: str) -> bool:
    return (entry.relation.casefold(), entry.name.casefold()) == (relation.casefold(),
                                                                   name.casefold())


async def add_household(
    session: AsyncSession, *, member_id: int, relation: str, name: str
) -> HouseholdEntry:
    """Append an entry; `relation` and `name` already went through clean_text."""
    # Lock the member row so two quick adds cannot both pass the limit check (PostgreSQL;
    # SQLite writers are serialised by BEGIN IMMEDIATE anyway).
    await session.execute(select(Member.id).where(Member.id == member_id).with_for_update())
    entries = await household_of(session, member_id)
    if len(entries) >= MAX_HOUSEHOLD:
        raise HouseholdRefused(HouseholdError.LIMIT)
    if any(_same_person(e, relation, name) for e in entries):
        raise HouseholdRefused(HouseholdError.DUPLICATE)
    position = max((e.position for e in entries), default=-1) + 1
    entry = HouseholdEntry(member_id=member_id, relation=relation, name=name, position=position)
    session.add(entry)
    await session.flush()
    return entry


async def _entry(session: AsyncSession, member_id: int, entry_id: int) -> HouseholdEntry:
    entry = await session.get(HouseholdEntry, entry_id)
    if entry is None or entry.member_id != member_id or not entry.active:
        raise HouseholdRefused(HouseholdError.NOT_FOUND)
    return entry


async def rename_household(
    session: AsyncSession, *, member_id: int, entry_id: int, name: str
) -> HouseholdEntry:
    """Correct a name; the entry keeps its id, so past reports stay linked to it."""
    entry = await _entry(session, member_id, entry_id)
    others = [e for e in await household_of(session, member_id) if e.id != entry_id]
    if any(_same_person(e, entry.relation, name) for e in others):
        raise HouseholdRefused(HouseholdError.DUPLICATE)
    entry.name = name
    return entry


async def remove_household(session: AsyncSession, *, member_id: int, entry_id: int) -> str:
    """Delete the entry (past reports keep its copied relation and name); returns the name."""
    entry = await _entry(session, member_id, entry_id)
    name = entry.name
    await session.execute(delete(HouseholdEntry).where(HouseholdEntry.id == entry.id))
    session.expunge(entry)
    return name


async def household_count(session: AsyncSession, member_id: int) -> int:
    count = await session.scalar(select(func.count()).select_from(HouseholdEntry).where(
        HouseholdEntry.member_id == member_id, HouseholdEntry.active))
    return int(count or 0)


# --- quiet hours ---------------------------------------------------------------------------


class QuietError(enum.StrEnum):
    FORMAT = "format"  # not two HH:MM times (or "off")
    SAME = "same"  # start and end equal: an empty (or whole-day) window


class InvalidQuiet(ValueError):
    def __init__(self, code: QuietError) -> None:
        super().__init__(code.value)
        self.code = code


_OFF_WORDS = frozenset({"off", "none", "no", "关闭", "关", "取消", "无"})
_RANGE_SEPARATORS = re.compile(r"\s*(?:-|–|—|~|～|〜|到|至|\bto\b|\buntil\b)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time

    def as_text(self) -> tuple[str, str]:
        return self.start.strftime("%H:%M"), self.end.strftime("%H:%M")


def parse_quiet(text: str) -> QuietHours | None:
    """`22:00 07:00`, `22:00-07:00`, `晚上10点到早上7点`, `10pm to 7am` → the window; `off` →
    None."""
    if len(text) > 64:
        raise InvalidQuiet(QuietError.FORMAT)
    normalised = unicodedata.normalize("NFKC", text).strip()
    if normalised.casefold() in _OFF_WORDS:
        return None
    parts = [p for p in _RANGE_SEPARATORS.split(normalised) if p.strip()]
    if len(parts) == 1:
        parts = normalised.split()
    if len(parts) != 2:
        raise InvalidQuiet(QuietError.FORMAT)
    try:
        start, end = parse_hhmm(parts[0]), parse_hhmm(parts[1])
    except ScheduleError:
        raise InvalidQuiet(QuietError.FORMAT) from None
    if start == end:
        raise InvalidQuiet(QuietError.SAME)
    return QuietHours(start, end)


def quiet_of(member: Member) -> QuietHours | None:
    if not member.quiet_start or not member.quiet_end:
        return None
    try:
        return QuietHours(parse_hhmm(member.quiet_start), parse_hhmm(member.quiet_end))
    except ScheduleError:
        return None


def set_quiet(member: Member, quiet: QuietHours | None) -> None:
    """Store the window in "HH:MM" (unit time), or clear it."""
    member.quiet_start, member.quiet_end = quiet.as_text() if quiet else (None, None)


@dataclass(frozen=True)
class QuietChange:
    """/quiet's outcome: the window as it now is (shown, or just set), or why the text was
    refused."""

    changed: bool
    quiet: QuietHours | None = None
    error: QuietError | None = None


async def quiet_command(session: AsyncSession, telegram_user_id: int,
                        text: str) -> QuietChange | None:
    """/quiet [text]: no text shows the window, a window sets it, `off` clears it; None when
    the user is not linked to a member."""
    member = await member_for(session, telegram_user_id)
    if member is None:
        return None
    if not text:
        return QuietChange(False, quiet_of(member))
    try:
        quiet = parse_quiet(text)
    except InvalidQuiet as invalid:
        return QuietChange(False, error=invalid.code)
    set_quiet(member, quiet)
    return QuietChange(True, quiet)


# --- /me -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    member_id: int
    name: str
    unit_path: tuple[str, ...]
    role: Role
    household: tuple[tuple[str, str], ...]
    quiet: QuietHours | None
    phone: str | None


async def profile(session: AsyncSession, member: Member) -> Profile:
    unit = await session.get(Unit, member.unit_id)
    assert unit is not None
    entries = await household_of(session, member.id)
    return Profile(
        member_id=member.id,
        name=member.name,
        unit_path=tuple(await unit_names(session, unit)),
        role=member.role,
        household=tuple((e.relation, e.name) for e in entries),
        quiet=quiet_of(member),
        phone=member.phone,
    )
