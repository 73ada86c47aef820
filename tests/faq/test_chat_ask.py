"""Asking in the chat, through the sandbox against the real Application: a confident answer
(English and Chinese), close candidates, and a question handed to the unit's contacts whose
answer (by /answer or by replying) comes back to the member."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.db.models import Question, QuestionStatus, Role
from bot.sandbox import SandboxClient, SandboxServer
from tests.faq.chat_helpers import (
    add_linked,
    labels,
    one_reply,
    reply_to,
    send_raw,
    use_fixture_kb,
    wait_recorded_sent,
)

pytestmark = pytest.mark.usefixtures("bot_app")


@pytest.fixture(autouse=True)
def _kb(bot_app: object) -> None:
    use_fixture_kb(bot_app)


async def question_rows(db: Database) -> list[Question]:
    async with db.transaction() as session:
        return list((await session.scalars(select(Question).order_by(Question.id))).all())


async def test_a_confident_answer_in_english_names_the_match_and_the_source(
    sb: SandboxClient,
) -> None:
    await sb.create_user(3001, "Ann", language_code="en")
    reply = await one_reply(sb, 3001, "can I have dinner with my colleagues after work?")
    assert "Matched: Can I have dinner with colleagues after work?" in reply["text"]
    assert "Shared meals and dinners with colleagues are suspended" in reply["text"]
    assert "Source: Epidemic prevention notice of the organisation" in reply["text"]
    assert labels(reply) == ["👍 Helpful", "👎 Not helpful"]


async def test_a_confident_answer_in_chinese(sb: SandboxClient) -> None:
    await sb.create_user(3002, "李", language_code="zh-hans")
    reply = await one_reply(sb, 3002, "下班后可以和同事一起聚餐吗")
    assert "下班后可以和同事一起聚餐吗？" in reply["text"]
    assert "聚餐、与同事一起吃饭一律暂停" in reply["text"]
    assert "单位疫情防控通知" in reply["text"]
    assert "匹配的问题：下班后可以和同事一起聚餐吗？" in reply["text"]
    assert "来源：单位疫情防控通知" in reply["text"]
    assert labels(reply) == ["👍 有帮助", "👎 没帮助"]


async def test_an_unclear_question_gets_candidates_and_a_tap_shows_the_answer(
    sb: SandboxClient,
) -> None:
    await sb.create_user(3003, "Bo", language_code="en")
    reply = await one_reply(sb, 3003, "dinner or party?")
    assert reply["text"].startswith("I am not sure which of these you mean")
    options = labels(reply)
    assert 2 <= len(options) <= 3
    assert "Can we hold a birthday party in the office?" in options
    await sb.press(3003, reply["message_id"], button="Can we hold a birthday party in the office?")
    [answer] = await sb.wait_for_bot_messages(3003, after=reply["message_id"])
    assert "Parties and celebrations are cancelled" in answer["text"]
    assert labels(answer) == ["👍 Helpful", "👎 Not helpful"]


async def _hand_over_setup(sb: SandboxClient, db: Database) -> tuple[int, int]:
    """A leader who is the chain of Company A, a member of a branch below it (no chain)."""
    leader = await add_linked(db, ["Group", "Company A"], "Zhao Lei", 3101, role=Role.LEADER,
                              locale="en", contact_of=True)
    member = await add_linked(db, ["Group", "Company A", "Branch 1"], "Wang Wei", 3102,
                              locale="en")
    await sb.create_user(3101, "Lei", language_code="en")
    await sb.create_user(3102, "Wei", language_code="en")
    await one_reply(sb, 3101, "/help")  # the leader has talked to the bot
    return leader, member


QUESTION = "Is the parking garage under building 5 open on Sundays?"


async def test_an_unanswerable_question_goes_to_the_contacts_and_answer_comes_back(
    sb: SandboxClient, db: Database
) -> None:
    leader, _ = await _hand_over_setup(sb, db)
    reply = await one_reply(sb, 3102, QUESTION)
    assert "passed your question on to your unit's contacts (question #1)" in reply["text"]
    await sb.wait_for_bot_messages(3101, after=0, count=2)  # /help, then the hand-over
    handover = (await sb.chat(3101))[-1]
    assert "Question #1" in handover["text"] and "Wang Wei" in handover["text"]
    assert "Group / Company A / Branch 1" in handover["text"] and QUESTION in handover["text"]

    done = await one_reply(sb, 3101, "/answer 1 Yes, from 8:00 to 20:00.")
    assert "answer to question #1 is on its way" in done["text"]
    [answer] = await sb.wait_for_bot_messages(3102, after=reply["message_id"])
    assert "Answer to your question #1" in answer["text"]
    assert QUESTION in answer["text"] and "Yes, from 8:00 to 20:00." in answer["text"]
    [row] = await question_rows(db)
    assert row.status is QuestionStatus.ANSWERED and row.answered_by == leader
    assert row.answer == "Yes, from 8:00 to 20:00." and row.answered_at is not None

    again = await one_reply(sb, 3101, "/answer 1 Also on holidays.")
    assert "already been answered" in again["text"]


async def test_replying_to_the_hand_over_answers_the_question(
    sb: SandboxClient, db: Database, sandbox: SandboxServer
) -> None:
    await _hand_over_setup(sb, db)
    reply = await one_reply(sb, 3102, QUESTION)
    await sb.wait_until(3101, lambda chat: any("Question #1" in (m.get("text") or "")
                                               for m in chat))
    handover = (await sb.chat(3101))[-1]
    await wait_recorded_sent(db, "question:1:3101")
    sent = reply_to(sandbox, 3101, handover["message_id"], "Closed on Sundays.")
    [done] = await sb.wait_for_bot_messages(3101, after=sent)
    assert "answer to question #1 is on its way" in done["text"]
    [answer] = await sb.wait_for_bot_messages(3102, after=reply["message_id"])
    assert "Closed on Sundays." in answer["text"]


async def test_a_reply_to_another_bot_message_is_just_a_question(
    sb: SandboxClient, sandbox: SandboxServer
) -> None:
    await sb.create_user(3004, "Cy", language_code="en")
    first = await one_reply(sb, 3004, "/help")
    sent = reply_to(sandbox, 3004, first["message_id"], "How long should I wash my hands?")
    [answer] = await sb.wait_for_bot_messages(3004, after=sent)
    assert "Matched: How long should I wash my hands?" in answer["text"]


async def test_an_unlinked_user_cannot_hand_a_question_over(
    sb: SandboxClient, db: Database
) -> None:
    await sb.create_user(3005, "Di", language_code="en")
    reply = await one_reply(sb, 3005, QUESTION)
    assert "once your account is linked to your unit: send /start" in reply["text"]
    assert await question_rows(db) == []


async def test_a_ten_thousand_character_question_is_refused_and_stores_nothing(
    sb: SandboxClient, db: Database, sandbox: SandboxServer
) -> None:
    await add_linked(db, ["Group"], "Long Talker", 3006, locale="en")
    await sb.create_user(3006, "Lo", language_code="en")
    sent = send_raw(sandbox, 3006, {"text": "why " * 2500})
    [reply] = await sb.wait_for_bot_messages(3006, after=sent)
    assert "too long for a question (10,000 characters; at most 1,000)" in reply["text"]
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Question)) == 0
