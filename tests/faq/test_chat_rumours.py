"""The rumour check: forwarded messages and /check, matched, near and unknown, in English and
Chinese; an unknown claim sent to the unit's contacts for a look and answered."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.db.models import Question, QuestionKind, QuestionStatus, Role
from bot.sandbox import SandboxClient
from tests.faq.chat_helpers import add_linked, buttons, labels, one_reply, use_fixture_kb

pytestmark = pytest.mark.usefixtures("bot_app")


@pytest.fixture(autouse=True)
def _kb(bot_app: object) -> None:
    use_fixture_kb(bot_app)


async def forward(sb: SandboxClient, user_id: int, text: str,
                  channel: str | None = None) -> dict[str, Any]:
    sent = await sb.send_forward(user_id, text, from_chat_title=channel)
    [reply] = await sb.wait_for_bot_messages(user_id, after=sent["message_id"])
    return reply


async def questions(db: Database) -> list[Question]:
    async with db.transaction() as session:
        return list((await session.scalars(select(Question).order_by(Question.id))).all())


@pytest.mark.parametrize("channel", [None, "Health News Daily"])
async def test_a_forwarded_known_rumour_gets_the_verdict_and_the_fact(
    sb: SandboxClient, channel: str | None
) -> None:
    await sb.create_user(3301, "Ann", language_code="en")
    reply = await forward(sb, 3301, "Eating garlic prevents infection.", channel)
    text = reply["text"]
    assert text.startswith("⚠️ This is a known rumour.")
    assert "Claim: Eating garlic prevents infection." in text and "Verdict: False" in text
    assert "no evidence that eating garlic protects" in text
    assert "Source: World Health Organization, myth busters" in text


async def test_a_forwarded_known_rumour_in_chinese(sb: SandboxClient) -> None:
    await sb.create_user(3302, "李", language_code="zh-hans")
    reply = await forward(sb, 3302, "转发：每天吃大蒜就不会被传染！")
    text = reply["text"]
    assert "吃大蒜可以预防感染" in text and "没有证据表明吃大蒜可以预防病毒感染" in text
    assert "世界卫生组织" in text and "Verdict" not in text


async def test_check_command_and_its_usage(sb: SandboxClient) -> None:
    await sb.create_user(3303, "Bo", language_code="en")
    reply = await one_reply(sb, 3303, "/check 5G networks spread the virus.")
    assert "This is a known rumour" in reply["text"] and "radio waves" in reply["text"]
    usage = await one_reply(sb, 3303, "/check")
    assert "/check followed by the message" in usage["text"]


async def test_a_similar_claim_is_said_to_be_similar_not_the_same(sb: SandboxClient) -> None:
    await sb.create_user(3304, "Cy", language_code="en")
    # A statement of the fact the rumour denies is never called that rumour.
    reply = await one_reply(sb, 3304, "/check garlic does not protect you from the virus")
    assert "similar to a known rumour, but not the same" in reply["text"]
    assert "Eating garlic prevents infection." in reply["text"]
    assert "This is a known rumour" not in reply["text"]
    assert "Link your account with /start" in reply["text"]  # unlinked: no way to send it


UNKNOWN_EN = "From tomorrow the canteen serves only noodles, tell everyone!"
UNKNOWN_ZH = "明天起食堂只供应面条，请转告大家！"


async def test_an_unknown_claim_from_an_unlinked_user_gets_the_reminder_only(
    sb: SandboxClient, db: Database
) -> None:
    await sb.create_user(3305, "Di", language_code="en")
    reply = await forward(sb, 3305, UNKNOWN_EN)
    assert "This is not a known rumour" in reply["text"]
    assert "do not create, believe or spread unverified information" in reply["text"]
    assert "Link your account with /start" in reply["text"]
    assert labels(reply) == []
    assert await questions(db) == []


@pytest.mark.parametrize(("language", "claim", "button"), [
    ("en", UNKNOWN_EN, "📨 Send it to my unit's contacts"),
    ("zh-hans", UNKNOWN_ZH, None),
])
async def test_an_unknown_claim_can_be_sent_to_the_contacts_and_answered(
    sb: SandboxClient, db: Database, language: str, claim: str, button: str | None
) -> None:
    await add_linked(db, ["Group"], "Zhao Lei", 3311, role=Role.LEADER, locale="en",
                     contact_of=True)
    await add_linked(db, ["Group", "Team 2"], "Wang Wei", 3312)
    await sb.create_user(3311, "Lei", language_code="en")
    await sb.create_user(3312, "Wei", language_code=language)
    await one_reply(sb, 3311, "/help")
    reply = await forward(sb, 3312, claim, "Some Channel")
    [(label, data)] = buttons(reply)
    assert button is None or label == button
    [draft] = await questions(db)
    assert draft.status is QuestionStatus.DRAFT and draft.kind is QuestionKind.RUMOUR

    pressed = await sb.press(3312, reply["message_id"], callback_data=data)
    assert pressed["answered"] and not pressed["show_alert"]
    [sent] = await sb.wait_for_bot_messages(3312, after=reply["message_id"])
    assert "#1" in sent["text"]
    handover = await sb.wait_until(
        3311, lambda chat: any("Message #1 to check" in (m.get("text") or "") for m in chat))
    assert claim in handover[-1]["text"] and "Wang Wei" in handover[-1]["text"]
    [row] = await questions(db)
    assert row.status is QuestionStatus.OPEN

    again = await sb.press(3312, reply["message_id"], callback_data=data)
    assert again["show_alert"]  # sent once only

    await one_reply(sb, 3311, "/answer 1 Not true: the canteen menu is unchanged.")
    [answer] = await sb.wait_for_bot_messages(3312, after=sent["message_id"])
    assert "the canteen menu is unchanged" in answer["text"]




@pytest.mark.parametrize(("locale", "language"), [("zh_CN", "zh-hans"), ("en", "en")])
async def test_every_shipped_rumour_is_recognised_and_its_fact_renders(
    sb: SandboxClient, bot_app: object, locale: str, language: str
) -> None:
    from bot.i18n import LOCALES_DIR
    from bot.runtime.app import load_faq

    shipped = load_faq(LOCALES_DIR, "zh_CN")
    assert shipped is not None
    use_fixture_kb(bot_app, shipped)
    kb = shipped.kb(locale)
    assert kb is not None and kb.rumours
    await sb.create_user(3321, "User", language_code=language)
    for rumour in kb.rumours:
        reply = await one_reply(sb, 3321, f"/check {rumour.claim}")
        assert rumour.claim in reply["text"], rumour.id
