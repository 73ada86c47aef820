"""/rules (topics → questions → answer, ⬅ back, edited in place), helpful / not helpful votes,
and forged callback data, through the sandbox against the real Application."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.db.models import FaqFeedback, FaqVote
from bot.sandbox import SandboxClient
from tests.faq.chat_helpers import labels, message_now, one_reply, use_fixture_kb
from tests.support.chat import pressed

pytestmark = pytest.mark.usefixtures("bot_app")

TOPICS = ["Gatherings and shared meals", "Hygiene in public places", "Hygiene indoors",
          "Personal hygiene", "Rumours", "Health reporting", "Duty roster",
          "Quarantine and travel", "Prevention knowledge"]


@pytest.fixture(autouse=True)
def _kb(bot_app: object) -> None:
    use_fixture_kb(bot_app)


async def test_the_menu_goes_topic_question_answer_and_back(sb: SandboxClient) -> None:
    await sb.create_user(3201, "Ann", language_code="en")
    menu = await one_reply(sb, 3201, "/rules")
    assert menu["text"].startswith("Rules and answers")
    assert labels(menu) == TOPICS
    mid = menu["message_id"]

    _answer, topic = await pressed(sb, 3201, mid, button="Gatherings and shared meals")
    assert topic["edited"] and topic["text"].startswith("Gatherings and shared meals")
    assert labels(topic) == ["Can I have dinner with colleagues after work?",
                             "Can we hold a birthday party in the office?", "⬅ Back"]

    _answer, answer = await pressed(sb, 3201, mid,
                                    button="Can I have dinner with colleagues after work?")
    assert "Shared meals and dinners with colleagues are suspended" in answer["text"]
    assert "Source: Epidemic prevention notice of the organisation" in answer["text"]
    assert labels(answer) == ["⬅ Back"]

    _answer, back = await pressed(sb, 3201, mid, button="⬅ Back")
    assert labels(back)[-1] == "⬅ Back"
    assert "Can we hold a birthday party in the office?" in labels(back)
    _answer, back = await pressed(sb, 3201, mid, button="⬅ Back")
    assert labels(back) == TOPICS
    # Everything happened in the one message.
    assert [m["from"] for m in await sb.chat(3201)] == ["user", "bot"]


async def test_the_menu_in_chinese(sb: SandboxClient) -> None:
    await sb.create_user(3202, "李", language_code="zh-hans")
    menu = await one_reply(sb, 3202, "/rules")
    assert labels(menu)[0] == "聚集与聚餐"
    _answer, topic = await pressed(sb, 3202, menu["message_id"], button="聚集与聚餐")
    assert "下班后可以和同事一起聚餐吗？" in labels(topic)
    assert "Back" not in " ".join(labels(topic))


@pytest.mark.parametrize("data", [
    "fq:e:no-such-entry",  # an id that is not (or no longer) in the knowledge base
    "fq:c:no-such-topic",
    "fq:v:gatherings-dinner:7",
    "fq:zz",
    "fq:e:GATHERINGS-DINNER",
    "fq:e:gatherings-dinner:extra",
    "fq:rs:999",  # a rumour draft that does not exist
    "fq:rs:abc",
    "fq:" + "a" * 61,
])
async def test_forged_callback_data_gets_a_short_alert_and_changes_nothing(
    sb: SandboxClient, db: Database, data: str
) -> None:
    await sb.create_user(3203, "Eve", language_code="en")
    menu = await one_reply(sb, 3203, "/rules")
    answer = await sb.press(3203, menu["message_id"], callback_data=data)
    assert answer["answered"] and answer["show_alert"]
    assert answer["text"] in ("This button is no longer valid.",
                              "This message was already sent, or it is no longer available.")
    assert not (await message_now(sb, 3203, menu["message_id"]))["edited"]
    async with db.transaction() as session:
        assert (await session.scalars(select(FaqVote))).all() == []


async def feedback_rows(db: Database) -> dict[tuple[str, str], tuple[int, int]]:
    async with db.transaction() as session:
        rows = (await session.scalars(select(FaqFeedback))).all()
    return {(r.entry_id, r.locale): (r.helpful, r.not_helpful) for r in rows}


async def test_votes_count_once_per_user_entry_and_day(sb: SandboxClient, db: Database) -> None:
    await sb.create_user(3204, "Ann", language_code="en")
    await sb.create_user(3205, "Bo", language_code="en")
    reply = await one_reply(sb, 3204, "How long should I wash my hands?")
    first = await sb.press(3204, reply["message_id"], button="👍 Helpful")
    assert first["text"] == "Thank you for your feedback!" and not first["show_alert"]
    second = await sb.press(3204, reply["message_id"], button="👎 Not helpful")
    assert second["text"] == "You have already rated this answer today. Thank you!"
    assert await feedback_rows(db) == {("hygiene-handwash", "en"): (1, 0)}

    other = await one_reply(sb, 3205, "How long should I wash my hands?")
    await sb.press(3205, other["message_id"], button="👎 Not helpful")
    assert await feedback_rows(db) == {("hygiene-handwash", "en"): (1, 1)}


@pytest.mark.parametrize(("locale", "language"), [("zh_CN", "zh-hans"), ("en", "en")])
async def test_the_shipped_knowledge_base_is_loaded_and_every_answer_renders(
    sb: SandboxClient, bot_app: object, locale: str, language: str
) -> None:
    """locales/*/faq.yaml loads; the menu shows it, and each answer is valid Telegram HTML."""
    from bot.i18n import LOCALES_DIR
    from bot.runtime.app import load_faq

    shipped = load_faq(LOCALES_DIR, "zh_CN")
    assert shipped is not None
    use_fixture_kb(bot_app, shipped)
    kb = shipped.kb(locale)
    assert kb is not None and kb.locale == locale
    await sb.create_user(3206, "User", language_code=language)
    menu = await one_reply(sb, 3206, "/rules")
    assert labels(menu) == [c.title for c in kb.categories]
    mid = menu["message_id"]
    for category in kb.categories:
        await pressed(sb, 3206, mid, button=category.title)
        for entry in kb.entries_in(category.id):
            answer, shown = await pressed(sb, 3206, mid, callback_data=f"fq:e:{entry.id}")
            assert answer["answered"] and not answer["show_alert"]
            assert shown["text"].startswith(entry.question), entry.id
        await pressed(sb, 3206, mid, callback_data="fq:m")
