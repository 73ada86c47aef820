"""Rights and the admin commands of the rules Q&A: /questions, /answer outside one's subtree,
/faq_stats, /faq_reload (a broken file keeps the loaded knowledge base)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.db.models import Question, QuestionStatus, Role
from bot.sandbox import SandboxClient
from bot.services.faq.service import Faq
from tests.faq.chat_helpers import KB_DIR, add_linked, one_reply, use_fixture_kb
from tests.support.chat import says

pytestmark = pytest.mark.usefixtures("bot_app")

QUESTION = "Is the parking garage under building 5 open on Sundays?"


@pytest.fixture(autouse=True)
def _kb(bot_app: object) -> None:
    use_fixture_kb(bot_app)


async def _two_companies(sb: SandboxClient, db: Database) -> None:
    await add_linked(db, ["Group", "Company A"], "Leader A", 3401, role=Role.LEADER,
                     locale="en", contact_of=True)
    await add_linked(db, ["Group", "Company B"], "Leader B", 3402, role=Role.LEADER,
                     locale="en", contact_of=True)
    await add_linked(db, ["Group", "Company A", "Branch 1"], "Member A", 3403, locale="en")
    await add_linked(db, ["Group"], "The Admin", 3404, role=Role.ADMIN, locale="en")
    for uid in (3401, 3402, 3403, 3404):
        await sb.create_user(uid, f"User {uid}", language_code="en")
    await one_reply(sb, 3401, "/help")
    await one_reply(sb, 3403, QUESTION)
    await sb.wait_until(3401, lambda chat: "Question #1" in (chat[-1].get("text") or ""))


async def test_a_member_cannot_list_or_answer_questions(sb: SandboxClient, db: Database) -> None:
    await _two_companies(sb, db)
    for command in ("/questions", "/answer 1 Yes."):
        reply = await one_reply(sb, 3403, command)
        assert reply["text"] == ("Only unit leaders, their reporting contacts and "
                                 "administrators can do this.")


async def test_leaders_see_and_answer_only_their_subtree(sb: SandboxClient, db: Database) -> None:
    await _two_companies(sb, db)
    listed = await one_reply(sb, 3401, "/questions")
    assert "1 open question" in listed["text"] and "#1" in listed["text"]
    assert QUESTION in listed["text"] and "Member A" in listed["text"]
    other = await one_reply(sb, 3402, "/questions")
    assert other["text"] == "There are no open questions in your units."

    refused = await one_reply(sb, 3402, "/answer 1 Yes, always.")
    assert refused["text"] == "Question #1 was asked outside your units: you cannot answer it."
    async with db.transaction() as session:
        [row] = (await session.scalars(select(Question))).all()
        assert row.status is QuestionStatus.OPEN and row.answer is None

    admin = await one_reply(sb, 3404, "/questions")
    assert "#1" in admin["text"]
    for bad, expected in [("/answer", "Send /answer ID your answer"),
                          ("/answer 1", "Send /answer ID your answer"),
                          ("/answer x Yes", "Send /answer ID your answer"),
                          ("/answer 99 Yes", "There is no question #99."),
                          ("/answer 1 " + "y" * 3001, "Your answer is too long")]:
        reply = await one_reply(sb, 3404, bad)
        assert reply["text"].startswith(expected), bad
    done = await one_reply(sb, 3404, "/answer 1 Yes.")
    assert "on its way" in done["text"]


async def test_faq_stats_for_admins_weakest_first(sb: SandboxClient, db: Database) -> None:
    await add_linked(db, ["Group"], "The Admin", 3411, role=Role.ADMIN, locale="en")
    await add_linked(db, ["Group"], "A Member", 3412, locale="en")
    await sb.create_user(3411, "Ad", language_code="en")
    await sb.create_user(3412, "Me", language_code="en")
    assert (await one_reply(sb, 3411, "/faq_stats"))["text"] == "No one has rated an answer yet."
    good = await one_reply(sb, 3412, "How long should I wash my hands?")
    await sb.press(3412, good["message_id"], button="👍 Helpful")
    bad = await one_reply(sb, 3412, "What should I do if I have a fever?")
    await sb.press(3412, bad["message_id"], button="👎 Not helpful")
    # A 👎 is answered with the offer to ask a person; the next command waits for it.
    await says(sb, 3412, "Sorry that did not help.")

    refused = await one_reply(sb, 3412, "/faq_stats")
    assert refused["text"] == "Only administrators can do this."
    stats = (await one_reply(sb, 3411, "/faq_stats"))["text"]
    lines = stats.splitlines()
    assert lines[1].startswith("👍 0 / 👎 1 · reporting-fever [en]")
    assert lines[2].startswith("👍 1 / 👎 0 · hygiene-handwash [en]")
    assert "How long should I wash my hands?" in lines[2]


async def test_faq_reload_keeps_the_old_knowledge_base_when_the_files_are_broken(
    sb: SandboxClient, db: Database, bot_app: object, tmp_path: Path
) -> None:
    kb_dir = tmp_path / "kb"
    shutil.copytree(KB_DIR, kb_dir)
    use_fixture_kb(bot_app, Faq.load(kb_dir))
    await add_linked(db, ["Group"], "The Admin", 3421, role=Role.ADMIN, locale="en")
    await sb.create_user(3421, "Ad", language_code="en")
    await sb.create_user(3422, "Me", language_code="en")
    refused = await one_reply(sb, 3422, "/faq_reload")
    assert refused["text"] == "Only administrators can do this."

    faq_file = kb_dir / "en" / "faq.yaml"
    original = faq_file.read_text(encoding="utf-8")
    faq_file.write_text(original.replace("category: duty-roster", "category: no-such-topic"),
                        encoding="utf-8")
    reply = await one_reply(sb, 3421, "/faq_reload")
    assert reply["text"].startswith("Not reloaded: the files have errors.")
    assert "unknown category 'no-such-topic'" in reply["text"]
    still = await one_reply(sb, 3422, "Can I swap my duty shift with someone?")
    assert "Only with your leader's consent" in still["text"]

    faq_file.write_text(original.replace("Only with your leader's consent.",
                                         "Only with your leader's written consent."),
                        encoding="utf-8")
    reloaded = await one_reply(sb, 3421, "/faq_reload")
    assert reloaded["text"].startswith("Knowledge base reloaded.")
    assert "en: 10 entries, 2 rumours" in reloaded["text"]
    now = await one_reply(sb, 3422, "Can I swap my duty shift with someone?")
    assert "Only with your leader's written consent" in now["text"]
