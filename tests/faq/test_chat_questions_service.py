"""bot.services.faq.questions on both databases: who receives a hand-over, who may answer, votes;
and property tests for the parsers of /answer and of the Q&A buttons' callback data."""

from __future__ import annotations

import unicodedata
from collections.abc import Collection
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database
from bot.db.models import Account, Member, Question, QuestionKind, Role, Unit, UnitContact
from bot.render.faq import MAX_CALLBACK_BYTES, parse_faq_callback
from bot.services.faq import feedback as faq_feedback
from bot.services.faq import questions, recipients
from bot.services.org import units as org
from bot.services.org.permissions import Actor, resolve_actor

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


async def _unit(session: AsyncSession, *path: str) -> Unit:
    return await org.ensure_unit(session, list(path), now=NOW)


async def _member(session: AsyncSession, unit: Unit, name: str, uid: int | None,
                  role: Role = Role.MEMBER, locale: str | None = None) -> Member:
    member = Member(unit_id=unit.id, name=name, role=role, telegram_user_id=uid)
    session.add(member)
    if uid is not None and locale is not None:
        session.add(Account(telegram_user_id=uid, chat_id=uid, locale=locale))
    await session.flush()
    return member


async def _recipients(session: AsyncSession, unit: Unit, asker: int = 1,
                      admins: frozenset[int] = frozenset()) -> list[int]:
    found = await recipients.recipients_for(session, unit, exclude_telegram_id=asker,
                                           admin_ids=admins, default_locale="zh_CN")
    return [r.telegram_user_id for r in found]


async def test_recipients_are_the_nearest_chain_then_leaders_then_admins(db: Database) -> None:
    async with db.transaction() as s:
        group = await _unit(s, "Group")
        company = await _unit(s, "Group", "Company")
        branch = await _unit(s, "Group", "Company", "Branch")
        assert await _recipients(s, branch, admins=frozenset({900})) == [900]

        admin = await _member(s, group, "Admin", 901, Role.ADMIN)
        assert await _recipients(s, branch, admins=frozenset({900})) == [901, 900]
        await _member(s, group, "Group Leader", 902, Role.LEADER)
        assert await _recipients(s, branch) == [902]
        await _member(s, company, "Company Leader", 903, Role.LEADER)
        await _member(s, company, "Unlinked Leader", None, Role.LEADER)
        assert await _recipients(s, branch) == [903]

        clerk = await _member(s, group, "Clerk", 904, locale="en")
        chief = await _member(s, group, "Chief", 905, Role.LEADER)
        s.add_all([UnitContact(unit_id=group.id, member_id=chief.id, position=0),
                   UnitContact(unit_id=group.id, member_id=clerk.id, position=1)])
        await s.flush()
        assert await _recipients(s, branch) == [905, 904]  # the chain's order
        # The asker is never their own recipient.
        assert await _recipients(s, branch, asker=905) == [904]
        found = await recipients.recipients_for(s, branch, exclude_telegram_id=1, admin_ids=(),
                                               default_locale="zh_CN")
        assert [r.locale for r in found] == ["zh_CN", "en"]
        assert admin.id


async def _staff(session: AsyncSession, telegram_user_id: int,
                 admin_ids: Collection[int]) -> Actor | None:
    """The actor when they answer anyone's questions (an admin, a leader or a contact)."""
    actor = await resolve_actor(session, telegram_user_id, admin_ids)
    return actor if actor.is_staff else None


async def test_scope_of_leaders_contacts_and_admins(db: Database) -> None:
    async with db.transaction() as s:
        group = await _unit(s, "Group")
        company_a = await _unit(s, "Group", "A")
        company_b = await _unit(s, "Group", "B")
        await _member(s, company_a, "Leader A", 10, Role.LEADER)
        clerk = await _member(s, company_b, "Clerk B", 11)
        await _member(s, company_b, "Plain", 12)
        s.add(UnitContact(unit_id=company_b.id, member_id=clerk.id))
        await s.flush()
        leader = await _staff(s, 10, ())
        contact = await _staff(s, 11, ())
        admin = await _staff(s, 13, {13})
        assert await _staff(s, 12, ()) is None
        assert await _staff(s, 14, ()) is None
        assert leader and contact and admin
        assert leader.answers_for(company_a.path) and not leader.answers_for(company_b.path)
        assert contact.answers_for(company_b.path + "7/") and not contact.answers_for(group.path)
        assert admin.answers_for(group.path)


async def test_answer_refuses_outside_the_scope_and_records_inside(db: Database) -> None:
    async with db.transaction() as s:
        company_a = await _unit(s, "Group", "A")
        company_b = await _unit(s, "Group", "B")
        await _member(s, company_a, "Leader A", 20, Role.LEADER)
        await _member(s, company_b, "Leader B", 21, Role.LEADER)
        asker = await _member(s, company_a, "Asker", 22, locale="en")
        question = Question(kind=QuestionKind.QUESTION, member_id=asker.id, telegram_user_id=22,
                            chat_id=22, unit_id=company_a.id, locale="en", text="Why?")
        s.add(question)
        await s.flush()
        scope_b = await _staff(s, 21, ())
        scope_a = await _staff(s, 20, ())
        assert scope_a and scope_b
        refused = await questions.answer(s, scope_b, question_id=question.id, text="No.",
                                         default_locale="zh_CN", now=NOW)
        assert refused.status is questions.AnswerStatus.OUT_OF_SCOPE
        done = await questions.answer(s, scope_a, question_id=question.id, text="Because.",
                                      default_locale="zh_CN", now=NOW)
        assert done.status is questions.AnswerStatus.ANSWERED
        assert question.answer == "Because." and question.answered_at == NOW


async def test_a_vote_counts_once_per_user_entry_and_day(db: Database) -> None:
    day = date(2026, 11, 30)
    async with db.transaction() as s:
        args = {"entry_id": "e-1", "locale": "en", "now": NOW}
        assert await faq_feedback.vote(s, telegram_user_id=1, helpful=True, day=day, **args)
        assert not await faq_feedback.vote(s, telegram_user_id=1, helpful=False, day=day, **args)
        assert await faq_feedback.vote(s, telegram_user_id=1, helpful=False,
                                    day=date(2026, 12, 1), **args)
        assert await faq_feedback.vote(s, telegram_user_id=2, helpful=False, day=day, **args)
        [row] = await faq_feedback.feedback(s)
        assert (row.helpful, row.not_helpful) == (1, 2)


@given(st.text(max_size=300))
def test_parse_answer_args_never_raises_anything_else(text: str) -> None:
    try:
        question_id, answer = questions.parse_answer_args(text)
    except questions.InvalidAnswerArgs:
        return
    assert question_id >= 0 and answer and answer == answer.strip()


@given(st.integers(min_value=0, max_value=999_999_999), st.text(min_size=1, max_size=100))
def test_parse_answer_args_reads_id_and_text(question_id: int, text: str) -> None:
    if not text.strip() or text != text.strip():
        return
    assert questions.parse_answer_args(f"{question_id} {text}") == (
        question_id, unicodedata.normalize("NFKC", text).strip())


@given(st.one_of(st.text(max_size=80), st.binary(max_size=64).map(lambda b: b.decode("latin-1")),
                 st.from_regex(r"fq:[a-z]{1,2}(:[a-z0-9-]{0,70}){0,3}", fullmatch=True)))
def test_callback_parser_accepts_only_what_we_send(data: str) -> None:
    parsed = parse_faq_callback(data)
    if parsed is None:
        return
    assert data.startswith("fq:") and len(data.encode()) <= MAX_CALLBACK_BYTES + 8
    action, arg, flag = parsed
    assert action in {"m", "c", "e", "a", "v", "rs", "n", "q"}
    if action == "v":
        assert flag in {"0", "1"}
    elif action == "n":  # 👎 on an answer: the entry, then the kept question's id
        assert flag.isdigit()
    else:
        assert flag == ""
    if action in ("rs", "q"):  # the kept question's id
        assert arg.isdigit()


@pytest.mark.parametrize(("data", "expected"), [
    ("fq:m", ("m", "", "")),
    ("fq:c:gatherings", ("c", "gatherings", "")),
    ("fq:e:gatherings-dinner", ("e", "gatherings-dinner", "")),
    ("fq:a:gatherings-dinner", ("a", "gatherings-dinner", "")),
    ("fq:v:gatherings-dinner:1", ("v", "gatherings-dinner", "1")),
    ("fq:rs:12", ("rs", "12", "")),
    ("fq:n:gatherings-dinner:7", ("n", "gatherings-dinner", "7")),
    ("fq:q:7", ("q", "7", "")),
    ("fq:q:x", None),
    ("fq:v:gatherings-dinner", None),
    ("fq:rs:", None),
    ("fq:m:x", None),
    ("lang:en", None),
])
def test_callback_examples(data: str, expected: tuple[str, str, str] | None) -> None:
    assert parse_faq_callback(data) == expected
