"""Questions the knowledge base could not answer, handed to people, and their answers.

A member's unanswered question (or an unknown rumour they want looked at) is stored and sent
to their unit's contacts (bot.services.faq.recipients). Whoever answers (Actor.answers_for:
a leader in whose subtree the question was asked, a contact of one of its units, or an admin)
has the answer delivered to the member and recorded on the row.

What is to be sent is returned as `Outgoing` items whose views (`HandOver`, `AnswerToMember`)
bot.render.faq draws in each recipient's language; the caller queues them (bot.outbox.send):
no texts and no Telegram here.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Member, OutboxMessage, Question, QuestionKind, QuestionStatus, Unit
from bot.services.faq.recipients import locale_of, recipients_for
from bot.services.org.permissions import Actor, subtree_clause
from bot.services.org.units import unit_names
from bot.services.outgoing import Outgoing

MAX_QUESTION = 1000
MAX_ANSWER = 3000
# A member's open hand-overs per day: more is a stuck key or a game, not questions.
MAX_PER_DAY = 10
MAX_LISTED = 20

KIND_QUESTION = "question"
KIND_ANSWER = "answer"


def question_key(question_id: int, recipient_telegram_id: int) -> str:
    return f"question:{question_id}:{recipient_telegram_id}"


def answer_key(question_id: int) -> str:
    return f"answer:{question_id}"


@dataclass(frozen=True)
class Asker:
    name: str
    unit_path: tuple[str, ...]


@dataclass(frozen=True)
class HandOver:
    """A member's question as a contact gets it: it names the question ("#ID"), which is how
    a reply to it is recognised as the answer (handlers.routes.HANDOVER_REPLY)."""

    question_id: int
    kind: QuestionKind
    text: str
    asker: Asker


@dataclass(frozen=True)
class AnswerToMember:
    """The answer as the member who asked gets it."""

    question_id: int
    kind: QuestionKind
    question: str
    answer: str


# --- asking --------------------------------------------------------------------------------


class AskStatus(enum.StrEnum):
    SENT = "sent"
    NO_RECIPIENTS = "no_recipients"  # stored: an admin sees it in /questions
    NOT_LINKED = "not_linked"
    TOO_LONG = "too_long"
    EMPTY = "empty"
    TOO_MANY = "too_many"
    STALE = "stale"  # a draft that is gone, someone else's, or already sent


@dataclass(frozen=True)
class AskResult:
    status: AskStatus
    question_id: int | None = None
    # The hand-overs to queue (one per recipient).
    outgoing: tuple[Outgoing, ...] = ()

    @property
    def recipients(self) -> int:
        return len(self.outgoing)


def clean_text(text: str) -> str:
    """Control characters out, whitespace runs kept readable; the length is the caller's."""
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def as_written(text: str) -> str:
    """What a person wrote, as they wrote it: only the surrounding whitespace (which Telegram
    drops anyway) and control characters a database cannot hold (NUL and the other C0/C1
    codes, tabs and line breaks kept) go. Format characters stay: an emoji joined by U+200D
    or a right-to-left mark is part of the text. Matching normalises a copy, never this."""
    return "".join(ch for ch in text
                   if ch in "\n\t\r" or unicodedata.category(ch) != "Cc").strip()


async def ask_person(
    session: AsyncSession,
    *,
    telegram_user_id: int,
    chat_id: int,
    locale: str,
    text: str,
    kind: QuestionKind,
    send: bool,
    admin_ids: Collection[int],
    default_locale: str,
    now: datetime,
) -> AskResult:
    """Store a question for a person; `send` hands it over now, else it is kept as a draft
    (sent only when the member asks for it with `send_draft`). The text is stored as written
    (`as_written`)."""
    text = as_written(text)
    if not clean_text(text):
        return AskResult(AskStatus.EMPTY)
    if len(text) > MAX_QUESTION:
        return AskResult(AskStatus.TOO_LONG)
    member = await session.scalar(
        select(Member).where(Member.telegram_user_id == telegram_user_id, Member.active))
    if member is None:
        return AskResult(AskStatus.NOT_LINKED)
    if send and await _sent_today(session, member.id, now) >= MAX_PER_DAY:
        return AskResult(AskStatus.TOO_MANY)
    question = Question(kind=kind, member_id=member.id, telegram_user_id=telegram_user_id,
                        chat_id=chat_id, unit_id=member.unit_id, locale=locale, text=text,
                        status=QuestionStatus.OPEN if send else QuestionStatus.DRAFT,
                        created_at=now)
    session.add(question)
    await session.flush()
    if not send:
        return AskResult(AskStatus.SENT, question.id)
    return await _hand_over(session, question, member, admin_ids=admin_ids,
                            default_locale=default_locale)


async def ask(session: AsyncSession, *, telegram_user_id: int, chat_id: int, locale: str,
              text: str, admin_ids: Collection[int], default_locale: str,
              now: datetime) -> AskResult:
    """A question the knowledge base could not answer, handed to the member's contacts."""
    return await ask_person(session, telegram_user_id=telegram_user_id, chat_id=chat_id,
                            locale=locale, text=text, kind=QuestionKind.QUESTION, send=True,
                            admin_ids=admin_ids, default_locale=default_locale, now=now)


async def keep_draft(session: AsyncSession, *, telegram_user_id: int, chat_id: int,
                     locale: str, text: str, kind: QuestionKind, now: datetime) -> AskResult:
    """A message kept as a draft (cut to MAX_QUESTION, stored exactly as written) so that a
    button can hand it to the member's contacts (`send_draft`) without carrying its text:
    an unknown or only similar rumour, or a question answered with candidates or an answer
    the member may find unhelpful. Status SENT with the draft's id, or NOT_LINKED / EMPTY."""
    stored = text if len(text) <= MAX_QUESTION else text[: MAX_QUESTION - 1] + "…"
    return await ask_person(session, telegram_user_id=telegram_user_id, chat_id=chat_id,
                            locale=locale, text=stored, kind=kind, send=False,
                            admin_ids=(), default_locale=locale, now=now)


async def keep_question(session: AsyncSession, *, telegram_user_id: int, chat_id: int,
                        locale: str, text: str, now: datetime) -> AskResult:
    """A question answered by the knowledge base, kept as a draft (see keep_draft)."""
    return await keep_draft(session, telegram_user_id=telegram_user_id, chat_id=chat_id,
                            locale=locale, text=text, kind=QuestionKind.QUESTION, now=now)


async def keep_rumour(session: AsyncSession, *, telegram_user_id: int, chat_id: int,
                      locale: str, text: str, now: datetime) -> AskResult:
    """A forwarded message kept as a draft (see keep_draft)."""
    return await keep_draft(session, telegram_user_id=telegram_user_id, chat_id=chat_id,
                            locale=locale, text=text, kind=QuestionKind.RUMOUR, now=now)


async def send_draft(session: AsyncSession, *, question_id: int, telegram_user_id: int,
                     admin_ids: Collection[int],
                     default_locale: str, now: datetime) -> AskResult:
    """The member's "send it for a look": their own draft, once."""
    question = await session.get(Question, question_id, with_for_update=True)
    if (question is None or question.telegram_user_id != telegram_user_id
            or question.status is not QuestionStatus.DRAFT):
        return AskResult(AskStatus.STALE)
    member = await session.get(Member, question.member_id)
    if member is None or not member.active or member.telegram_user_id != telegram_user_id:
        return AskResult(AskStatus.NOT_LINKED)
    if await _sent_today(session, member.id, now) >= MAX_PER_DAY:
        return AskResult(AskStatus.TOO_MANY)
    question.status = QuestionStatus.OPEN
    question.created_at = now
    return await _hand_over(session, question, member, admin_ids=admin_ids,
                            default_locale=default_locale)


async def _sent_today(session: AsyncSession, member_id: int, now: datetime) -> int:
    count = await session.scalar(
        select(func.count()).select_from(Question)
        .where(Question.member_id == member_id, Question.status != QuestionStatus.DRAFT,
               Question.created_at > now - timedelta(days=1)))
    return int(count or 0)


async def _hand_over(session: AsyncSession, question: Question, member: Member, *,
                     admin_ids: Collection[int], default_locale: str) -> AskResult:
    unit = await session.get(Unit, question.unit_id)
    assert unit is not None
    asker = Asker(member.name, tuple(await unit_names(session, unit)))
    recipients = await recipients_for(session, unit, exclude_telegram_id=member.telegram_user_id
                                      or 0, admin_ids=admin_ids, default_locale=default_locale)
    view = HandOver(question.id, question.kind, question.text, asker)
    outgoing = tuple(
        Outgoing(question_key(question.id, r.telegram_user_id), KIND_QUESTION, r.chat_id,
                 r.locale, view, member_id=r.member_id)
        for r in recipients)
    status = AskStatus.SENT if recipients else AskStatus.NO_RECIPIENTS
    return AskResult(status, question.id, outgoing)


# --- listing and answering -----------------------------------------------------------------


@dataclass(frozen=True)
class OpenQuestion:
    id: int
    kind: QuestionKind
    text: str
    asker: Asker
    created_at: datetime


async def open_questions(session: AsyncSession, actor: Actor,
                         limit: int = MAX_LISTED) -> tuple[list[OpenQuestion], int]:
    """The oldest open questions the actor answers for (up to `limit`), and how many are open
    there (Actor.answers_for: an admin all, a leader their unit's subtree, a contact their
    units' subtrees)."""
    where = [Question.status == QuestionStatus.OPEN]
    paths = actor.staff_paths
    if paths is not None:
        where.append(or_(false(), *(subtree_clause(Unit.path, p) for p in paths)))
    base = select(Question, Member.name, Unit).join(Member, Member.id == Question.member_id) \
        .join(Unit, Unit.id == Question.unit_id).where(*where)
    total = await session.scalar(select(func.count()).select_from(base.subquery()))
    rows = (await session.execute(
        base.order_by(Question.created_at, Question.id).limit(limit))).all()
    result = []
    for question, name, unit in rows:
        path = tuple(await unit_names(session, unit))
        result.append(OpenQuestion(question.id, question.kind, question.text,
                                   Asker(name, path), question.created_at))
    return result, int(total or 0)


class AnswerStatus(enum.StrEnum):
    ANSWERED = "answered"
    NOT_FOUND = "not_found"
    OUT_OF_SCOPE = "out_of_scope"
    ALREADY = "already"
    TOO_LONG = "too_long"
    EMPTY = "empty"


@dataclass(frozen=True)
class AnswerResult:
    status: AnswerStatus
    question_id: int | None = None
    # The answer to queue for the member.
    outgoing: tuple[Outgoing, ...] = ()


async def answer(session: AsyncSession, actor: Actor, *, question_id: int, text: str,
                 default_locale: str, now: datetime) -> AnswerResult:
    """Record the answer; the result carries it for the asker, in their language."""
    text = as_written(text)  # reaches the member exactly as the leader wrote it
    if not clean_text(text):
        return AnswerResult(AnswerStatus.EMPTY, question_id)
    if len(text) > MAX_ANSWER:
        return AnswerResult(AnswerStatus.TOO_LONG, question_id)
    question = await session.get(Question, question_id, with_for_update=True)
    if question is None or question.status is QuestionStatus.DRAFT:
        return AnswerResult(AnswerStatus.NOT_FOUND, question_id)
    unit = await session.get(Unit, question.unit_id)
    assert unit is not None
    if not actor.answers_for(unit):
        return AnswerResult(AnswerStatus.OUT_OF_SCOPE, question_id)
    if question.status is QuestionStatus.ANSWERED:
        return AnswerResult(AnswerStatus.ALREADY, question_id)
    question.status = QuestionStatus.ANSWERED
    question.answer = text
    question.answered_by = actor.member_id
    question.answered_by_telegram_id = actor.telegram_user_id
    question.answered_at = now
    locale = await locale_of(session, question.telegram_user_id, default_locale)
    view = AnswerToMember(question.id, question.kind, question.text, text)
    return AnswerResult(AnswerStatus.ANSWERED, question_id, (
        Outgoing(answer_key(question.id), KIND_ANSWER, question.chat_id, locale, view,
                 member_id=question.member_id),))


_HANDOVER_ID = re.compile(r"#(\d{1,9})\b")


async def question_for_reply(session: AsyncSession, *, telegram_user_id: int,
                             replied_message_id: int, replied_text: str) -> int | None:
    """The question a reply answers: the hand-over names it (#ID), and the outbox row that
    carried it to this user must be the very message replied to — so no other message, and
    no text edited to look like one, is taken for a hand-over."""
    for match in _HANDOVER_ID.finditer(replied_text or ""):
        question_id = int(match[1])
        row = await session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.dedup_key == question_key(question_id, telegram_user_id)))
        if row is not None and row.telegram_message_id == replied_message_id:
            return question_id
    return None


class InvalidAnswerArgs(ValueError):
    pass


_ANSWER_ARGS = re.compile(r"\s*#?(\d{1,9})(?:\s+(.*))?", re.DOTALL)


def parse_answer_args(text: str) -> tuple[int, str]:
    """`/answer ID text` → (ID, text); InvalidAnswerArgs when there is no id or no text."""
    match = _ANSWER_ARGS.fullmatch(unicodedata.normalize("NFKC", text or ""))
    if match is None or not (match[2] or "").strip():
        raise InvalidAnswerArgs(text)
    return int(match[1]), match[2].strip()
