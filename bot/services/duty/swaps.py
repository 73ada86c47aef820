"""Swapping a shift, as a flow: the member taps Swap under one of their shifts (the draft
opens), writes a colleague's name (the request goes to the colleague), and the colleague
accepts or declines (the asker, and on acceptance the unit's chain, are told).

Each step returns an outcome for the presser's reply and the `Outgoing` notes to queue
(bot.outbox.send renders the views below in each recipient's language).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Member, Shift
from bot.services.drafts import DraftKind
from bot.services.duty.shifts import (
    KIND_DUTY_NOTE,
    SwapOutcome,
    SwapResult,
    answer_swap,
    colleagues,
    duty_key,
    note_to,
    reach,
    reach_many,
    request_swap,
)
from bot.services.duty.volunteers import drop_draft, put_draft, read_draft
from bot.services.org.recipients import chain_for
from bot.services.outgoing import Outgoing

SWAP_DRAFT = DraftKind.DUTY_SWAP
MAX_ANSWER = 200
MAX_MATCHES = 8


# --- what the people concerned are told ------------------------------------------------------


@dataclass(frozen=True)
class SwapAsked:
    """To the colleague: take my shift? (with Accept / Decline buttons)."""

    from_name: str
    post: str
    day: date
    start: str
    end: str
    request_id: int


@dataclass(frozen=True)
class SwapAnswered:
    """To the asker: the colleague accepted or declined."""

    colleague: str
    accepted: bool
    post: str
    day: date
    start: str
    end: str


@dataclass(frozen=True)
class SwapDone:
    """To the unit's chain: someone else is on the shift now."""

    from_name: str
    to_name: str
    post: str
    day: date
    start: str
    end: str


# --- Swap under a shift ----------------------------------------------------------------------


MAX_CHOICES = 20  # colleagues offered as buttons


async def open_swap(session: AsyncSession, member: Member, telegram_user_id: int,
                    shift_id: int, *, now: datetime) -> tuple[tuple[int, str], ...] | None:
    """The member's own shift: the colleagues to pick from (id, name); the draft also waits
    for a name typed. None: not theirs."""
    shift = await session.get(Shift, shift_id)
    if shift is None or shift.cancelled or shift.member_id != member.id:
        return None
    await put_draft(session, telegram_user_id, SWAP_DRAFT, {"shift": shift_id}, now)
    rows = (await session.execute(select(Member.id, Member.name).where(
        Member.unit_id == member.unit_id, Member.active, Member.id != member.id,
        Member.telegram_user_id.is_not(None)).order_by(Member.name, Member.id)
        .limit(MAX_CHOICES))).all()
    return tuple((row[0], row[1]) for row in rows)


# --- the colleague's name --------------------------------------------------------------------


class Named(enum.StrEnum):
    NO_FORM = "no_form"  # the draft expired (or the member left): reads like a gone request
    TOO_LONG = "too_long"  # `query` is the start of the text
    NO_MATCH = "no_match"  # `query`
    MANY = "many"  # `names`
    UNREACHABLE = "unreachable"  # `names[0]` cannot be written to: nothing was asked
    REQUESTED = "requested"  # `swap` (ASKED, or why not) with `names[0]`


@dataclass(frozen=True)
class NameResult:
    outcome: Named
    swap: SwapOutcome | None = None
    query: str = ""
    names: tuple[str, ...] = ()
    outgoing: tuple[Outgoing, ...] = ()


async def swap_with(session: AsyncSession, member: Member | None, telegram_user_id: int,
                    text: str, *, now: datetime, default_locale: str) -> NameResult:
    """Text while the swap draft is open: the colleague (same unit) to ask."""
    draft = await read_draft(session, telegram_user_id, SWAP_DRAFT, now)
    if draft is None or member is None:
        await drop_draft(session, telegram_user_id)
        return NameResult(Named.NO_FORM)
    if len(text) > MAX_ANSWER:
        return NameResult(Named.TOO_LONG, query=text[:40] + "…")
    found = await colleagues(session, member, text)
    if not found:
        return NameResult(Named.NO_MATCH, query=text)
    if len(found) > 1:
        return NameResult(Named.MANY, names=tuple(m.name for m in found[:MAX_MATCHES]))
    return await _ask(session, member, telegram_user_id, int(draft["shift"]), found[0],
                      now=now, default_locale=default_locale)


async def swap_with_member(session: AsyncSession, member: Member | None,
                           telegram_user_id: int, shift_id: int, colleague_id: int, *,
                           now: datetime, default_locale: str) -> NameResult:
    """A colleague tapped under the swap question (same unit, checked again)."""
    colleague = await session.get(Member, colleague_id)
    if member is None or colleague is None or not colleague.active \
            or colleague.unit_id != member.unit_id or colleague.id == member.id:
        return NameResult(Named.NO_FORM)
    return await _ask(session, member, telegram_user_id, shift_id, colleague, now=now,
                      default_locale=default_locale)


async def _ask(session: AsyncSession, member: Member, telegram_user_id: int, shift_id: int,
               colleague: Member, *, now: datetime, default_locale: str) -> NameResult:
    result = await request_swap(session, member=member, shift_id=shift_id,
                                colleague_id=colleague.id, now=now)
    await drop_draft(session, telegram_user_id)
    if result.outcome is not SwapOutcome.ASKED:
        return NameResult(Named.REQUESTED, result.outcome, names=(colleague.name,))
    shift, request = result.shift, result.request
    assert shift is not None and request is not None
    recipient = await reach(session, colleague.id)
    if recipient is None:
        await session.delete(request)
        return NameResult(Named.UNREACHABLE, names=(colleague.name,))
    note = note_to(recipient, duty_key(shift.id, f"swapask{request.id}", colleague.id),
                   KIND_DUTY_NOTE, SwapAsked(member.name, shift.post, shift.day, shift.start,
                                             shift.end, request.id), default_locale)
    return NameResult(Named.REQUESTED, result.outcome, names=(colleague.name,),
                      outgoing=(note,))


# --- the colleague's answer ------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerResult:
    outcome: SwapOutcome  # as the colleague is told (someone else's request reads as GONE)
    drop_buttons: bool
    outgoing: tuple[Outgoing, ...] = ()


async def answer(session: AsyncSession, member: Member, request_id: int, *, accept: bool,
                 now: datetime, default_locale: str) -> AnswerResult:
    """Accept or Decline under a swap request."""
    result = await answer_swap(session, member_id=member.id, request_id=request_id,
                               accept=accept, now=now)
    if result.outcome is SwapOutcome.NOT_YOURS:  # someone else's, or a forged id
        return AnswerResult(SwapOutcome.GONE, drop_buttons=False)
    notes: tuple[Outgoing, ...] = ()
    if result.outcome in (SwapOutcome.ACCEPTED, SwapOutcome.DECLINED):
        notes = await _tell(session, member, result, default_locale)
    return AnswerResult(result.outcome, drop_buttons=True, outgoing=notes)


async def _tell(session: AsyncSession, member: Member, result: SwapResult,
                default_locale: str) -> tuple[Outgoing, ...]:
    shift, request = result.shift, result.request
    assert shift is not None and request is not None
    accepted = result.outcome is SwapOutcome.ACCEPTED
    notes: list[Outgoing] = []
    asker = await reach(session, request.from_member_id)
    if asker is not None:
        notes.append(note_to(
            asker, duty_key(shift.id, f"swapreply{request.id}", request.from_member_id),
            KIND_DUTY_NOTE, SwapAnswered(member.name, accepted, shift.post, shift.day,
                                         shift.start, shift.end), default_locale))
    if not accepted:
        return tuple(notes)
    old = await session.get(Member, request.from_member_id)
    done = SwapDone(old.name if old else "?", member.name, shift.post, shift.day, shift.start,
                    shift.end)
    chain = [r.member_id for r in (await chain_for(session, shift.unit_id)).recipients]
    reached = await reach_many(session, chain)
    notes += [note_to(reached[m], duty_key(shift.id, f"swapped{request.id}", m),
                      KIND_DUTY_NOTE, done, default_locale) for m in chain if m in reached]
    return tuple(notes)
