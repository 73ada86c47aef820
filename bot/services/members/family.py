"""/family's steps: add (relation, then name), rename, remove — kept in a Draft row, so a
restart or another instance continues where the member was, and old buttons are recognised.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Draft, HouseholdEntry
from bot.services import drafts
from bot.services.drafts import DraftKind
from bot.services.members.settings import (
    MAX_HOUSEHOLD,
    MAX_NAME,
    MAX_RELATION,
    HouseholdError,
    HouseholdRefused,
    InvalidText,
    add_household,
    clean_text,
    household_count,
    household_of,
    remove_household,
    rename_household,
)
from bot.services.org.accounts import member_for

FAMILY_DRAFT = DraftKind.FAMILY
FAMILY_DRAFT_TTL = timedelta(minutes=30)


class Step(enum.StrEnum):
    RELATION = "relation"
    NAME = "name"
    RENAME = "rename"


class Action(enum.StrEnum):
    """What a /family button asks for."""

    ADD = "add"
    LIST = "list"  # only shows the list again
    CANCEL = "cancel"
    RENAME = "ren"
    DELETE = "del"  # only asks to confirm
    REMOVE = "rm"
    RELATION = "rel"  # a quick answer to "who is it to you?"


class Outcome(enum.StrEnum):
    ASK_RELATION = "ask_relation"
    ASK_NAME = "ask_name"
    ASK_RENAME = "ask_rename"
    ADDED = "added"
    RENAMED = "renamed"
    REMOVED = "removed"
    CANCELLED = "cancelled"
    INVALID = "invalid"  # the text was refused; `text_error` says why, the step stays
    REFUSED = "refused"  # `household_error` says why (limit, duplicate, not found)
    EXPIRED = "expired"  # the step timed out; nothing was saved
    STALE = "stale"  # a button of a step that is no longer current


@dataclass(frozen=True)
class Entry:
    id: int
    relation: str
    name: str


@dataclass(frozen=True)
class FamilyResult:
    outcome: Outcome
    entry: Entry | None = None
    relation: str | None = None
    text_error: InvalidText | None = None
    household_error: HouseholdError | None = None


def _entry(e: HouseholdEntry) -> Entry:
    return Entry(e.id, e.relation, e.name)


async def entries(session: AsyncSession, member_id: int) -> list[Entry]:
    return [_entry(e) for e in await household_of(session, member_id)]


async def _put(session: AsyncSession, telegram_user_id: int, step: Step, data: dict[str, Any],
               now: datetime) -> None:
    await drafts.put(session, telegram_user_id, kind=FAMILY_DRAFT, step=step.value, data=data,
                     now=now, ttl=FAMILY_DRAFT_TTL)


async def _current(session: AsyncSession, telegram_user_id: int) -> Draft | None:
    draft = await session.get(Draft, telegram_user_id)
    return draft if draft is not None and draft.kind == FAMILY_DRAFT else None


async def clear(session: AsyncSession, telegram_user_id: int) -> None:
    await session.execute(delete(Draft).where(Draft.telegram_user_id == telegram_user_id,
                                              Draft.kind == FAMILY_DRAFT))


async def begin_add(session: AsyncSession, *, member_id: int, telegram_user_id: int,
                    now: datetime) -> FamilyResult:
    if await household_count(session, member_id) >= MAX_HOUSEHOLD:
        return FamilyResult(Outcome.REFUSED, household_error=HouseholdError.LIMIT)
    await _put(session, telegram_user_id, Step.RELATION, {}, now)
    return FamilyResult(Outcome.ASK_RELATION)


async def begin_rename(session: AsyncSession, *, member_id: int, telegram_user_id: int,
                       entry_id: int, now: datetime) -> FamilyResult:
    entry = next((e for e in await entries(session, member_id) if e.id == entry_id), None)
    if entry is None:
        return FamilyResult(Outcome.REFUSED, household_error=HouseholdError.NOT_FOUND)
    await _put(session, telegram_user_id, Step.RENAME, {"entry": entry_id}, now)
    return FamilyResult(Outcome.ASK_RENAME, entry=entry)


async def remove(session: AsyncSession, *, member_id: int, telegram_user_id: int,
                 entry_id: int) -> FamilyResult:
    found = next((e for e in await entries(session, member_id) if e.id == entry_id), None)
    try:
        await remove_household(session, member_id=member_id, entry_id=entry_id)
    except HouseholdRefused as refused:
        return FamilyResult(Outcome.REFUSED, household_error=refused.code)
    await clear(session, telegram_user_id)
    return FamilyResult(Outcome.REMOVED, entry=found)


async def cancel(session: AsyncSession, *, telegram_user_id: int) -> FamilyResult:
    await clear(session, telegram_user_id)
    return FamilyResult(Outcome.CANCELLED)


async def answer(session: AsyncSession, *, member_id: int, telegram_user_id: int, text: str,
                 now: datetime, from_button: bool = False) -> FamilyResult:
    """Text typed (or a relation button pressed) while a /family step waits for it."""
    draft = await _current(session, telegram_user_id)
    if draft is None:
        return FamilyResult(Outcome.STALE if from_button else Outcome.EXPIRED)
    if draft.expires_at <= now:
        await session.delete(draft)
        return FamilyResult(Outcome.EXPIRED)
    step = Step(draft.step)
    if from_button and step is not Step.RELATION:
        return FamilyResult(Outcome.STALE)
    limit = MAX_RELATION if step is Step.RELATION else MAX_NAME
    try:
        value = clean_text(text, limit=limit)
    except InvalidText as invalid:
        draft.expires_at, draft.updated_at = now + FAMILY_DRAFT_TTL, now
        return FamilyResult(Outcome.INVALID, relation=draft.data.get("relation"),
                            text_error=invalid)
    if step is Step.RELATION:
        await _put(session, telegram_user_id, Step.NAME, {"relation": value}, now)
        return FamilyResult(Outcome.ASK_NAME, relation=value)
    try:
        if step is Step.NAME:
            entry = await add_household(session, member_id=member_id,
                                        relation=str(draft.data["relation"]), name=value)
            outcome = Outcome.ADDED
        else:
            entry = await rename_household(session, member_id=member_id,
                                           entry_id=int(draft.data["entry"]), name=value)
            outcome = Outcome.RENAMED
    except HouseholdRefused as refused:
        if refused.code is not HouseholdError.DUPLICATE:
            await session.delete(draft)
        return FamilyResult(Outcome.REFUSED, relation=draft.data.get("relation"),
                            household_error=refused.code)
    await session.delete(draft)
    return FamilyResult(outcome, entry=_entry(entry))


@dataclass(frozen=True)
class Pressed:
    """A /family step's result (None: the button only changes what is shown) and the
    member's household as it is afterwards."""

    result: FamilyResult | None
    entries: list[Entry]

    def entry(self, entry_id: int | None) -> Entry | None:
        return next((e for e in self.entries if e.id == entry_id), None)


async def listing(session: AsyncSession, telegram_user_id: int) -> list[Entry] | None:
    """The household of the member linked to this user; None when nobody is."""
    member = await member_for(session, telegram_user_id)
    return None if member is None else await entries(session, member.id)


async def press(session: AsyncSession, *, telegram_user_id: int, action: Action, now: datetime,
                entry_id: int = 0, relation: str = "") -> Pressed | None:
    """Carry out a /family button (checked against the member's entries and the step they
    are in); None when the user is not linked to a member."""
    member = await member_for(session, telegram_user_id)
    if member is None:
        return None
    ids = {"member_id": member.id, "telegram_user_id": telegram_user_id}
    result: FamilyResult | None = None
    if action is Action.ADD:
        result = await begin_add(session, **ids, now=now)
    elif action is Action.RELATION:
        result = await answer(session, **ids, text=relation, now=now, from_button=True)
    elif action is Action.RENAME:
        result = await begin_rename(session, **ids, entry_id=entry_id, now=now)
    elif action is Action.REMOVE:
        result = await remove(session, **ids, entry_id=entry_id)
    elif action is Action.CANCEL:
        result = await cancel(session, telegram_user_id=telegram_user_id)
    return Pressed(result, await entries(session, member.id))


async def answer_text(session: AsyncSession, *, telegram_user_id: int, text: str,
                      now: datetime) -> Pressed | None:
    """Text typed while a /family step waits for a relation or a name; None (and the step
    dropped) when the user is no longer linked to a member."""
    member = await member_for(session, telegram_user_id)
    if member is None:
        await clear(session, telegram_user_id)
        return None
    result = await answer(session, member_id=member.id, telegram_user_id=telegram_user_id,
                          text=text, now=now)
    return Pressed(result, await entries(session, member.id))
