"""Never a dead end: every reply that is not a confident answer (candidates, a 👎, a forward
that is no known rumour or only similar to one) has a button that hands the member's message,
exactly as written, to their unit's contacts; the contact's answer comes back as written.
Through the sandbox against the real Application, in Chinese and English."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.db.models import Question, QuestionKind, QuestionStatus, Role
from bot.sandbox import SandboxClient
from tests.faq.chat_helpers import add_linked, buttons, labels, one_reply, use_fixture_kb

pytestmark = pytest.mark.usefixtures("bot_app")

LEADER, MEMBER, LONER = 3601, 3602, 3603


@pytest.fixture(autouse=True)
def _kb(bot_app: object) -> None:
    use_fixture_kb(bot_app)


async def setup(sb: SandboxClient, db: Database, language: str) -> None:
    """A leader who is the contact of Group, a member of a team below it, in `language`."""
    await add_linked(db, ["Group"], "Zhao Lei", LEADER, role=Role.LEADER, locale="en",
                     contact_of=True)
    await add_linked(db, ["Group", "Team 2"], "Wang Wei", MEMBER)
    await sb.create_user(LEADER, "Lei", language_code="en")
    await sb.create_user(MEMBER, "Wei", language_code=language)
    await one_reply(sb, LEADER, "/help")  # the leader has talked to the bot


async def rows(db: Database) -> list[Question]:
    async with db.transaction() as session:
        return list((await session.scalars(select(Question).order_by(Question.id))).all())


async def handover_for_leader(sb: SandboxClient, marker: str) -> dict[str, Any]:
    chat = await sb.wait_until(LEADER, lambda c: any(marker in (m.get("text") or "") for m in c))
    return next(m for m in chat if marker in (m.get("text") or ""))


def button_data(message: dict[str, Any], label: str) -> str:
    return next(data for text, data in buttons(message) if text == label)


TEXTS = {
    "en": {"candidates": "dinner  or party??", "none_of_these": "🙋 None of these: ask my "
           "unit's contacts", "passed": "I have passed your question on to your unit's "
           "contacts (question #1)", "confident": "can I have dinner with my colleagues "
           "after work?", "sorry": "Sorry that did not help", "ask": "🙋 Ask my unit's "
           "contacts", "denial": "garlic does not protect you from the virus",
           "similar": "similar to a known rumour, but not the same", "send": "📨 Send it to "
           "my unit's contacts", "sent": "I have sent the message to your unit's contacts "
           "for a look (#1)", "no_rules": "no answer to that in the rules",
           "unlinked": "link your account with /start"},
    "zh-hans": {"candidates": "聚餐還是聚會？", "none_of_these": "🙋 都不是，问单位联系人",
                "passed": "已把您的问题转给您所在单位的联系人（问题 #1）",
                "confident": "下班後可以和同事一起聚餐嗎", "sorry": "抱歉，这个回答没能帮到您",
                "ask": "🙋 问单位联系人", "denial": "吃大蒜并不能预防感染",
                "similar": None, "send": None,
                "sent": "已把这条消息发给您所在单位的联系人核实（#1）",
                "no_rules": "防疫规定里暂时没有", "unlinked": "/start"},
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
async def test_candidates_offer_none_of_these_which_hands_the_question_over(
    sb: SandboxClient, db: Database, language: str
) -> None:
    t = TEXTS[language]
    await setup(sb, db, language)
    reply = await one_reply(sb, MEMBER, t["candidates"])
    options = labels(reply)
    assert len(options) == 3 and options[-1] == t["none_of_these"]
    [draft] = await rows(db)
    assert draft.status is QuestionStatus.DRAFT and draft.text == t["candidates"]  # as typed

    pressed = await sb.press(MEMBER, reply["message_id"],
                             callback_data=button_data(reply, t["none_of_these"]))
    assert pressed["answered"] and not pressed["show_alert"]
    [sent] = await sb.wait_for_bot_messages(MEMBER, after=reply["message_id"])
    assert t["passed"] in sent["text"] and t["no_rules"] not in sent["text"]
    handover = await handover_for_leader(sb, "Question #1")
    assert t["candidates"] in handover["text"] and "Wang Wei" in handover["text"]
    [row] = await rows(db)
    assert row.status is QuestionStatus.OPEN and row.kind is QuestionKind.QUESTION
    # The candidates stay; only the hand-over button went.
    [shown] = [m for m in await sb.chat(MEMBER) if m["message_id"] == reply["message_id"]]
    assert labels(shown) == options[:-1]
    again = await sb.press(MEMBER, reply["message_id"],
                           callback_data=button_data(reply, t["none_of_these"]))
    assert again["show_alert"]  # handed over once only


@pytest.mark.parametrize("language", ["en", "zh-hans"])
async def test_thumbs_down_offers_to_ask_and_the_answer_comes_back_as_written(
    sb: SandboxClient, db: Database, language: str
) -> None:
    t = TEXTS[language]
    await setup(sb, db, language)
    reply = await one_reply(sb, MEMBER, t["confident"])
    down = buttons(reply)[1][1]
    assert down.startswith("fq:n:")
    await sb.press(MEMBER, reply["message_id"], callback_data=down)
    [offer] = await sb.wait_for_bot_messages(MEMBER, after=reply["message_id"])
    assert t["sorry"] in offer["text"] and labels(offer) == [t["ask"]]
    await sb.press(MEMBER, offer["message_id"], callback_data=buttons(offer)[0][1])
    [sent] = await sb.wait_for_bot_messages(MEMBER, after=offer["message_id"])
    assert t["passed"] in sent["text"]
    handover = await handover_for_leader(sb, "Question #1")
    assert t["confident"] in handover["text"]  # traditional characters and all

    written = "Yes, but:\n\n\n  only 4 people 👨‍👩‍👧 <b>not</b> more  "
    await one_reply(sb, LEADER, f"/answer 1 {written}")
    [answer] = await sb.wait_for_bot_messages(MEMBER, after=sent["message_id"])
    assert written.strip() in answer["text"]  # blank lines, the joined emoji, the tags
    [row] = await rows(db)
    assert row.answer == written.strip() and row.text == t["confident"]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
async def test_a_denial_is_similar_not_known_and_can_be_sent_for_a_look(
    sb: SandboxClient, db: Database, language: str
) -> None:
    t = TEXTS[language]
    await setup(sb, db, language)
    sent_forward = await sb.send_forward(MEMBER, t["denial"], from_chat_title="News")
    [reply] = await sb.wait_for_bot_messages(MEMBER, after=sent_forward["message_id"])
    assert "⚠️" not in reply["text"]  # never "this is a known rumour"
    if t["similar"]:
        assert t["similar"] in reply["text"]
    [(label, data)] = buttons(reply)
    assert t["send"] is None or label == t["send"]
    await sb.press(MEMBER, reply["message_id"], callback_data=data)
    [sent] = await sb.wait_for_bot_messages(MEMBER, after=reply["message_id"])
    assert t["sent"] in sent["text"] and t["no_rules"] not in sent["text"]
    handover = await handover_for_leader(sb, "Message #1 to check")
    assert t["denial"] in handover["text"]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
async def test_an_unlinked_member_is_told_how_to_reach_a_person(
    sb: SandboxClient, db: Database, language: str
) -> None:
    t = TEXTS[language]
    await sb.create_user(LONER, "Lo", language_code=language)
    reply = await one_reply(sb, LONER, t["candidates"])
    assert t["unlinked"] in reply["text"] and t["none_of_these"] not in labels(reply)
    assert len(labels(reply)) == 2
    answer = await one_reply(sb, LONER, t["confident"])
    assert buttons(answer)[1][1].startswith("fq:v:")  # no draft: a plain vote
    assert await rows(db) == []
