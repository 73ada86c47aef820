"""Turning a good answer into a knowledge-base entry (/faq_add), and the stored additions.

An admin picks an answered question; a Draft row of kind "faq_add" carries the proposal through
its steps (category → question → answer → preview → save), so a restart or another instance
continues it and old buttons are recognised. Every step checks the whole proposal with the
knowledge base's own loader (faq.additions.check_entry). Saving writes a FaqAddition row and an
audit entry; the caller then lays the additions on the Faq (`Faq.set_additions`).
"""

from __future__ import annotations

import enum
import html
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Draft, FaqAddition, Question, QuestionKind, QuestionStatus
from bot.services import drafts
from bot.services.drafts import DraftKind
from bot.services.faq.additions import Addition, check_entry
from bot.services.faq.kb import ID_PATTERN, MAX_ANSWER, MAX_ID, KnowledgeBase
from bot.services.faq.questions import clean_text
from bot.services.faq.service import Faq
from bot.services.org import audit
from bot.services.org.permissions import Actor

FAQ_ADD_DRAFT = DraftKind.FAQ_ADD
FAQ_ADD_TTL = timedelta(minutes=30)
MAX_TYPED = 4000  # longer typed text is refused before anything else looks at it
MAX_QUESTION = 300  # the knowledge base's limit for a question


class Step(enum.StrEnum):
    CATEGORY = "category"
    QUESTION = "question"
    ANSWER = "answer"
    PREVIEW = "preview"


class Outcome(enum.StrEnum):
    STEP = "step"  # the proposal is at `proposal.step`: show it
    INVALID = "invalid"  # `problems` says why; the step stays
    SAVED = "saved"
    CANCELLED = "cancelled"
    NOT_FOUND = "not_found"  # no such question
    OPEN = "open"  # not answered yet
    RUMOUR = "rumour"  # a message sent for checking, not a question
    ALREADY = "already"  # this question is already an entry (`entry_id`)
    BAD_ID = "bad_id"  # the id given with the command is not a valid id
    CLASH = "clash"  # the entry id is taken (`entry_id`)
    UNAVAILABLE = "unavailable"  # no knowledge base for the question's language
    EXPIRED = "expired"
    STALE = "stale"  # a button of a step that is no longer current


@dataclass(frozen=True)
class Proposal:
    question_id: int
    step: Step
    locale: str
    entry_id: str
    category: str
    question: str
    answer: str  # HTML
    paraphrases: tuple[str, ...]
    asked: str  # the member's own words
    answered: str  # the answer as it was given (plain text)

    def addition(self) -> Addition:
        return Addition(self.locale, self.entry_id, self.category, self.question, self.answer,
                        self.paraphrases)

    def data(self) -> dict[str, Any]:
        return {"q": self.question_id, "locale": self.locale, "id": self.entry_id,
                "category": self.category, "question": self.question, "answer": self.answer,
                "para": list(self.paraphrases), "asked": self.asked,
                "answered": self.answered}

    @classmethod
    def from_draft(cls, draft: Draft) -> Proposal:
        d = draft.data
        return cls(int(d["q"]), Step(draft.step), str(d["locale"]), str(d["id"]),
                   str(d["category"]), str(d["question"]), str(d["answer"]),
                   tuple(str(p) for p in d.get("para", [])), str(d["asked"]),
                   str(d["answered"]))


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    proposal: Proposal | None = None
    problems: list[str] = field(default_factory=list)
    question_id: int | None = None
    entry_id: str | None = None
    # After SAVED and `laid`: the problems of additions the files no longer take, and whether
    # the saved entry answers members now (it does unless it is among those left out).
    left_out: tuple[str, ...] = ()
    in_effect: bool = True


# --- stored additions ----------------------------------------------------------------------


def _addition(row: FaqAddition) -> Addition:
    return Addition(row.locale, row.entry_id, row.category, row.question, row.answer,
                    tuple(row.paraphrases or ()), row.source, row.created_at.date())


async def additions(session: AsyncSession, locale: str | None = None) -> list[Addition]:
    """The promoted entries, oldest first (the order they are laid on the files in)."""
    query = select(FaqAddition).order_by(FaqAddition.id)
    if locale is not None:
        query = query.where(FaqAddition.locale == locale)
    return [_addition(row) for row in (await session.scalars(query)).all()]


async def stamp(session: AsyncSession) -> tuple[int, int]:
    """(count, highest id) of the additions: changes whenever one is added or dropped."""
    row = (await session.execute(select(func.count(FaqAddition.id),
                                        func.max(FaqAddition.id)))).one()
    return int(row[0] or 0), int(row[1] or 0)


async def drop(session: AsyncSession, *, locale: str | None, entry_ids: set[str] | None,
               actor: Actor, now: datetime) -> list[Addition]:
    """Delete additions (of `locale`, with one of `entry_ids`; None = any); audited."""
    query = select(FaqAddition).order_by(FaqAddition.id)
    if locale is not None:
        query = query.where(FaqAddition.locale == locale)
    rows = [r for r in (await session.scalars(query)).all()
            if entry_ids is None or r.entry_id in entry_ids]
    for row in rows:
        await session.delete(row)
    if rows:
        await audit.record(session, actor=actor.audit_name, action="faq_drop_additions",
                           now=now,
                           details={"entries": [f"{r.locale}:{r.entry_id}" for r in rows]})
    return [_addition(r) for r in rows]


# --- the /faq_add form ---------------------------------------------------------------------


def clean_question(text: str) -> str:
    """One line, no control characters."""
    return " ".join(clean_text(text).split())


def default_id(category: str, question_id: int) -> str:
    suffix = f"-q{question_id}"
    return category[: MAX_ID - len(suffix)].rstrip("-") + suffix


def valid_id(entry_id: str) -> bool:
    return len(entry_id) <= MAX_ID and re.fullmatch(ID_PATTERN, entry_id) is not None


async def _taken(session: AsyncSession, kb: KnowledgeBase, entry_id: str) -> bool:
    if kb.entry(entry_id) is not None:
        return True
    return await session.scalar(select(FaqAddition.id).where(
        FaqAddition.locale == kb.locale, FaqAddition.entry_id == entry_id)) is not None


async def _put(session: AsyncSession, telegram_user_id: int, proposal: Proposal,
               now: datetime) -> None:
    await drafts.put(session, telegram_user_id, kind=FAQ_ADD_DRAFT, step=proposal.step.value,
                     data=proposal.data(), now=now, ttl=FAQ_ADD_TTL)


async def clear(session: AsyncSession, telegram_user_id: int) -> None:
    await session.execute(delete(Draft).where(Draft.telegram_user_id == telegram_user_id,
                                              Draft.kind == FAQ_ADD_DRAFT))


async def begin(session: AsyncSession, faq: Faq, *, telegram_user_id: int, question_id: int,
                entry_id: str | None, now: datetime) -> Result:
    """`/faq_add QID [ID]`: an answered question of any unit (the caller checked: an admin)."""
    if entry_id is not None and not valid_id(entry_id):
        return Result(Outcome.BAD_ID, entry_id=entry_id)
    question = await session.get(Question, question_id)
    if question is None or question.status is QuestionStatus.DRAFT:
        return Result(Outcome.NOT_FOUND, question_id=question_id)
    if question.kind is QuestionKind.RUMOUR:
        return Result(Outcome.RUMOUR, question_id=question_id)
    if question.status is not QuestionStatus.ANSWERED or not question.answer:
        return Result(Outcome.OPEN, question_id=question_id)
    promoted = await session.scalar(select(FaqAddition.entry_id).where(
        FaqAddition.from_question_id == question_id))
    if promoted is not None:
        return Result(Outcome.ALREADY, question_id=question_id, entry_id=promoted)
    kb = faq.kb(question.locale)
    if kb is None or kb.locale != question.locale:
        return Result(Outcome.UNAVAILABLE, question_id=question_id)
    if entry_id is not None and await _taken(session, kb, entry_id):
        return Result(Outcome.CLASH, question_id=question_id, entry_id=entry_id)
    proposal = Proposal(question_id, Step.CATEGORY, kb.locale, entry_id or "", "",
                        clean_question(question.text),
                        html.escape(question.answer, quote=False),
                        (), question.text, question.answer)
    await _put(session, telegram_user_id, proposal, now)
    return Result(Outcome.STEP, proposal)


async def _current(session: AsyncSession, telegram_user_id: int, now: datetime
                   ) -> tuple[Draft | None, Result | None]:
    draft = await session.get(Draft, telegram_user_id)
    if draft is None or draft.kind != FAQ_ADD_DRAFT:
        return None, Result(Outcome.STALE)
    if draft.expires_at <= now:
        await session.delete(draft)
        return None, Result(Outcome.EXPIRED)
    return draft, None


def _check(faq: Faq, proposal: Proposal) -> list[str]:
    kb = faq.kb(proposal.locale)
    if kb is None or kb.locale != proposal.locale:
        return [f"no knowledge base for {proposal.locale}"]
    return check_entry(kb, proposal.addition())[1]


def _with_question(faq: Faq, proposal: Proposal, question: str) -> Proposal:
    """The new question; the member's own words become a paraphrase when the loader takes it
    (they are how the next member will ask)."""
    plain = replace(proposal, question=question, paraphrases=())
    asked = clean_question(proposal.asked)
    if asked.casefold() == question.casefold() or len(asked) > MAX_QUESTION:
        return plain
    with_asked = replace(plain, paraphrases=(asked,))
    return with_asked if not _check(faq, with_asked) else plain


_NEXT = {Step.QUESTION: Step.ANSWER, Step.ANSWER: Step.PREVIEW}


async def press(session: AsyncSession, faq: Faq, *, actor: Actor, action: str,
                question_id: int, category: str = "", now: datetime) -> Result:
    """A button: c (category), k (keep the text shown), q / a (edit the question / answer
    from the preview), s (save, from the preview), x (cancel). The caller checked: an admin."""
    if action == "s":
        return await save(session, faq, actor=actor, question_id=question_id, now=now)
    telegram_user_id = actor.telegram_user_id
    draft, stale = await _current(session, telegram_user_id, now)
    if draft is None:
        return stale or Result(Outcome.STALE)
    proposal = Proposal.from_draft(draft)
    if proposal.question_id != question_id:
        return Result(Outcome.STALE)
    if action == "x":
        await session.delete(draft)
        return Result(Outcome.CANCELLED, proposal)
    step = proposal.step
    if action == "c" and step is Step.CATEGORY:
        kb = faq.kb(proposal.locale)
        if kb is None or kb.category(category) is None:
            return Result(Outcome.STALE)
        entry_id = proposal.entry_id or default_id(category, question_id)
        if await _taken(session, kb, entry_id):
            await session.delete(draft)
            return Result(Outcome.CLASH, question_id=question_id, entry_id=entry_id)
        proposal = replace(proposal, category=category, entry_id=entry_id, step=Step.QUESTION)
    elif action == "k" and step in _NEXT:
        problems = _check(faq, proposal)
        if problems:
            return Result(Outcome.INVALID, proposal, problems)
        proposal = replace(proposal, step=_NEXT[step])
    elif action in ("q", "a") and step is Step.PREVIEW:
        proposal = replace(proposal, step=Step.QUESTION if action == "q" else Step.ANSWER)
    else:
        return Result(Outcome.STALE)
    await _put(session, telegram_user_id, proposal, now)
    return Result(Outcome.STEP, proposal)


async def answer(session: AsyncSession, faq: Faq, *, telegram_user_id: int, text: str,
                 html_text: str, now: datetime) -> Result:
    """Text typed at the question step (plain, one line) or the answer step (`html_text`, the
    message with its formatting as HTML)."""
    draft, _ = await _current(session, telegram_user_id, now)
    if draft is None:  # routed here by a faq_add draft that has just expired or gone
        return Result(Outcome.EXPIRED)
    proposal = Proposal.from_draft(draft)
    if proposal.step not in _NEXT:
        return Result(Outcome.INVALID, proposal, [])
    if len(text) > MAX_TYPED:
        field_name, limit = (("question", MAX_QUESTION) if proposal.step is Step.QUESTION
                             else ("answer", MAX_ANSWER))
        return Result(Outcome.INVALID, proposal,
                      [f"{field_name}: {len(text)} characters, at most {limit}"])
    if proposal.step is Step.QUESTION:
        changed = _with_question(faq, proposal, clean_question(text))
    else:
        changed = replace(proposal, answer=clean_text(html_text))
    problems = _check(faq, changed)
    draft.expires_at, draft.updated_at = now + FAQ_ADD_TTL, now
    if problems:
        return Result(Outcome.INVALID, proposal, problems)
    changed = replace(changed, step=_NEXT[proposal.step])
    await _put(session, telegram_user_id, changed, now)
    return Result(Outcome.STEP, changed)


async def save(session: AsyncSession, faq: Faq, *, actor: Actor, question_id: int,
               now: datetime) -> Result:
    """The preview's Save: the entry is stored (and audited) when it is still valid; lay it
    on the knowledge base with `laid` once this transaction is committed."""
    telegram_user_id, member_id = actor.telegram_user_id, actor.member_id
    draft, stale = await _current(session, telegram_user_id, now)
    if draft is None:
        return stale or Result(Outcome.STALE)
    proposal = Proposal.from_draft(draft)
    if proposal.question_id != question_id or proposal.step is not Step.PREVIEW:
        return Result(Outcome.STALE)
    kb = faq.kb(proposal.locale)
    if kb is not None and await _taken(session, kb, proposal.entry_id):
        await session.delete(draft)
        return Result(Outcome.CLASH, question_id=question_id, entry_id=proposal.entry_id)
    problems = _check(faq, proposal)
    if problems:
        return Result(Outcome.INVALID, proposal, problems)
    row = FaqAddition(locale=proposal.locale, entry_id=proposal.entry_id,
                      category=proposal.category, question=proposal.question,
                      paraphrases=list(proposal.paraphrases), answer=proposal.answer,
                      created_by=member_id, created_by_telegram_id=telegram_user_id,
                      created_at=now, from_question_id=question_id)
    try:
        async with session.begin_nested():  # another admin may have saved it meanwhile
            session.add(row)
    except IntegrityError:
        promoted = await session.scalar(select(FaqAddition.entry_id).where(
            FaqAddition.from_question_id == question_id))
        return Result(Outcome.ALREADY if promoted else Outcome.CLASH, question_id=question_id,
                      entry_id=promoted or proposal.entry_id)
    await session.delete(draft)
    await audit.record(session, actor=actor.audit_name, actor_member_id=member_id,
                       action="faq_add", target=f"faq:{proposal.locale}:{proposal.entry_id}",
                       now=now, details={"question": question_id})
    return Result(Outcome.SAVED, proposal, entry_id=proposal.entry_id)


async def laid(session: AsyncSession, faq: Faq, result: Result) -> Result:
    """After a save: every stored addition laid on the knowledge base (the matchers are
    rebuilt), and whether the saved entry is among those in effect."""
    left_out = faq.set_additions(await additions(session))
    in_effect = result.proposal is None or (result.proposal.locale, result.entry_id) in {
        (a.locale, a.entry_id) for a in faq.additions}
    return replace(result, left_out=tuple(left_out), in_effect=in_effect)


_ARGS = re.compile(r"\s*#?(\d{1,9})(?:\s+(\S+))?\s*")


def parse_faq_add_args(text: str) -> tuple[int, str | None] | None:
    """`QID [ID]` → (QID, ID or None); None when it is not that."""
    match = _ARGS.fullmatch(text or "")
    return (int(match[1]), match[2]) if match else None
