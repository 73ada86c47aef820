"""/faq_add: an admin turns a good answer into a knowledge-base entry, through the sandbox;
the entry answers members at once, survives /faq_reload, and the CLI exports it as faq.yaml
text the loader reads back, then drops it."""

from __future__ import annotations

import asyncio
import html
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from bot.cli.entry import main
from bot.db import Database
from bot.db.models import AuditEntry, Draft, FaqAddition, Role
from bot.render.faq_add import parse_faq_add_callback
from bot.sandbox import SandboxClient
from bot.services.faq.additions import Addition, check_entry
from bot.services.faq.kb import KnowledgeBase, load_faq_file
from bot.services.faq.promote import clean_question, parse_faq_add_args
from bot.services.faq.questions import clean_text
from bot.services.faq.service import Faq
from handlers.faq_add import sync_additions
from tests.faq.chat_helpers import JSON, KB_DIR, add_linked, labels, one_reply, say

ADMIN, LEADER, MEMBER, OTHER = 3601, 3602, 3603, 3604
ASKED = "Is the parking garage under building 5 open on Sundays?"
ANSWER = "Yes, from 8:00 to 20:00 & only with a pass."
BETTER = "Is the staff car park open at the weekend?"


@pytest.fixture
def faq(bot_app: Any, tmp_path: Path) -> Faq:
    """A knowledge base of this test's own (the flow changes it)."""
    kb_dir = tmp_path / "kb"
    shutil.copytree(KB_DIR, kb_dir)
    bot_app.bot_data.faq = Faq.load(kb_dir)
    return bot_app.bot_data.faq  # type: ignore[no-any-return]


async def _answered(sb: SandboxClient, db: Database, *, answer: bool = True) -> None:
    """Question #1 from a member, handed to their leader and (unless not) answered."""
    await add_linked(db, ["Group"], "The Admin", ADMIN, role=Role.ADMIN, locale="en")
    await add_linked(db, ["Group", "Company A"], "Leader A", LEADER, role=Role.LEADER,
                     locale="en", contact_of=True)
    await add_linked(db, ["Group", "Company A"], "Member A", MEMBER, locale="en")
    for uid in (ADMIN, LEADER, MEMBER, OTHER):
        await sb.create_user(uid, f"User {uid}", language_code="en")
    await one_reply(sb, LEADER, "/help")  # the leader has talked to the bot
    handed = await one_reply(sb, MEMBER, ASKED)
    assert "passed your question on" in handed["text"]
    if answer:
        await sb.wait_until(LEADER, lambda chat: any("Question #1" in (m.get("text") or "")
                                                     for m in chat))
        done = await one_reply(sb, LEADER, f"/answer 1 {ANSWER}")
        assert "on its way" in done["text"]
        # The answer reaches the member through the outbox: let it arrive before the test
        # talks to the member, or it would be taken for the reply to the member's next step.
        await sb.wait_until(MEMBER, lambda chat: any("Answer to your question #1"
                                                     in (m.get("text") or "") for m in chat))


async def _press(sb: SandboxClient, uid: int, message: JSON, button: str) -> JSON:
    """Press a button and return the bot's next message."""
    before = max(m["message_id"] for m in await sb.chat(uid))
    pressed = await sb.press(uid, message["message_id"], button=button)
    assert pressed["answered"] and not pressed.get("show_alert"), pressed
    [reply] = await sb.wait_for_bot_messages(uid, after=before)
    return reply


async def _additions(db: Database) -> list[FaqAddition]:
    async with db.transaction() as session:
        return list((await session.scalars(select(FaqAddition))).all())


async def test_an_admin_turns_an_answer_into_an_entry_that_answers_at_once(
        sb: SandboxClient, db: Database, faq: Faq) -> None:
    await _answered(sb, db)
    before = await one_reply(sb, OTHER, BETTER)
    assert "Matched" not in before["text"]

    start = await one_reply(sb, ADMIN, "/faq_add 1")
    assert "New rules entry from question #1" in start["text"]
    assert ASKED in start["text"] and ANSWER in start["text"]
    assert "Personal hygiene" in labels(start) and "✖ Cancel" in labels(start)

    step2 = await _press(sb, ADMIN, start, "Gatherings and shared meals")
    assert "Step 2 of 4" in step2["text"] and ASKED in step2["text"]
    # A question another entry already has is refused with the loader's reason.
    [clash] = await say(sb, ADMIN, "Can I have dinner with colleagues after work?")
    assert "would not take this" in clash["text"]
    assert "is also a question of entry gatherings-dinner" in clash["text"]
    [step3] = await say(sb, ADMIN, BETTER)
    assert "Step 3 of 4" in step3["text"] and ANSWER in step3["text"]
    preview = await _press(sb, ADMIN, step3, "✅ Keep it")
    assert "Step 4 of 4: entry gatherings-q1" in preview["text"]
    assert BETTER in preview["text"] and ANSWER in preview["text"]
    assert labels(preview) == ["💾 Save", "✏️ Question", "✏️ Answer", "✖ Cancel"]

    saved = await _press(sb, ADMIN, preview, "💾 Save")
    assert "Saved as entry gatherings-q1 (en)" in saved["text"]
    [row] = await _additions(db)
    assert (row.locale, row.entry_id, row.category, row.question) == (
        "en", "gatherings-q1", "gatherings", BETTER)
    assert row.paraphrases == [ASKED]  # the member's own words find it too
    assert row.answer == "Yes, from 8:00 to 20:00 &amp; only with a pass."
    assert row.from_question_id == 1
    async with db.transaction() as session:
        assert await session.get(Draft, ADMIN) is None
        [entry] = (await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "faq_add"))).all()
        assert entry.target == "faq:en:gatherings-q1" and entry.details == {"question": 1}

    for question in (BETTER, ASKED, "is the staff car park open at weekends"):
        got = await one_reply(sb, OTHER, question)
        assert got["text"].startswith(f"Matched: {BETTER}\n\n{ANSWER}"), question
        assert labels(got) == ["👍 Helpful", "👎 Not helpful"]

    again = await one_reply(sb, ADMIN, "/faq_add 1")
    assert again["text"] == ("Question #1 is already in the knowledge base as entry "
                             "gatherings-q1.")
    # Old buttons of the finished form change nothing.
    stale = await sb.press(ADMIN, preview["message_id"], callback_data="fa:s:1")
    assert stale["show_alert"] and "no longer valid" in stale["text"]

    # /faq_reload lays the stored additions on the files again.
    reloaded = await one_reply(sb, ADMIN, "/faq_reload")
    assert "en: 11 entries" in reloaded["text"]
    kb = faq.kb("en")
    assert kb is not None and kb.entry("gatherings-q1") is not None


async def test_reload_leaves_out_an_addition_the_files_now_hold(
        sb: SandboxClient, db: Database, faq: Faq) -> None:
    await _answered(sb, db)
    start = await one_reply(sb, ADMIN, "/faq_add 1 parking-weekend")
    step2 = await _press(sb, ADMIN, start, "Quarantine and travel")
    step3 = await _press(sb, ADMIN, step2, "✅ Keep it")
    [first] = await say(sb, ADMIN, "Yes.")
    assert "Step 4 of 4: entry parking-weekend" in first["text"]
    again = await _press(sb, ADMIN, first, "✏️ Answer")  # back from the preview
    assert "Step 3 of 4" in again["text"]
    [preview] = await say(sb, ADMIN, "Yes, with a pass.")
    assert "Yes, with a pass." in preview["text"] and "Step 4 of 4" in preview["text"]
    await _press(sb, ADMIN, preview, "💾 Save")
    assert "Step 3 of 4" in step3["text"]
    assert (await one_reply(sb, OTHER, ASKED))["text"].startswith(f"Matched: {ASKED}")

    # The entry was merged into the files (same id, reworded) and the bot reloaded them: the
    # files win, and the stored addition is left out, with a word to the admin.
    for locale, question, answer in (("en", "Is the car park open on Sundays?", "Yes (files)."),
                                     ("zh_CN", "周末停车场开放吗？", "开放。")):
        path = faq.locales_dir / locale / "faq.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["entries"].append({"id": "parking-weekend", "category": "quarantine-travel",
                                "question": question, "answer": answer})
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
    reloaded = await one_reply(sb, ADMIN, "/faq_reload")
    assert "Knowledge base reloaded." in reloaded["text"]
    assert "en: 11 entries" in reloaded["text"]
    assert "Promoted entries left out" in reloaded["text"]
    assert "parking-weekend: the id is already in the knowledge base" in reloaded["text"]
    assert faq.additions == ()
    got = await one_reply(sb, OTHER, "Is the car park open on Sundays?")
    assert got["text"].startswith("Matched: Is the car park open on Sundays?\n\nYes (files).")


async def test_a_non_admin_is_refused(sb: SandboxClient, db: Database, faq: Faq) -> None:
    await _answered(sb, db)
    for uid in (LEADER, MEMBER, OTHER):
        reply = await one_reply(sb, uid, "/faq_add 1")
        assert reply["text"] == "Only administrators can do this."
    # A forged button changes nothing either.
    message = (await sb.chat(LEADER))[-1]
    for data in ("fa:c:1:gatherings", "fa:s:1", "fa:x:1"):
        pressed = await sb.press(LEADER, message["message_id"], callback_data=data)
        assert pressed["show_alert"] and pressed["text"] == "Only administrators can do this."
    assert await _additions(db) == []
    assert len(faq.kb("en").entries) == 10  # type: ignore[union-attr]


async def test_an_open_question_and_bad_arguments_are_refused(
        sb: SandboxClient, db: Database, faq: Faq) -> None:
    await _answered(sb, db, answer=False)
    cases = {
        "/faq_add 1": "Question #1 has not been answered yet.",
        "/faq_add 99": "There is no question #99.",
        "/faq_add": "Send /faq_add ID",
        "/faq_add one": "Send /faq_add ID",
        "/faq_add 1 Bad_Id!": "Bad_Id! cannot be an entry id",
        "/faq_add 1 " + "x" * 41: "x" * 41 + " cannot be an entry id",
    }
    for command, expected in cases.items():
        reply = await one_reply(sb, ADMIN, command)
        assert reply["text"].startswith(expected), (command, reply["text"])
    async with db.transaction() as session:
        assert await session.get(Draft, ADMIN) is None
    assert await _additions(db) == []
    # In Chinese, the default language.
    await add_linked(db, ["Group"], "管理员", 3605, role=Role.ADMIN, locale="zh_CN")
    await sb.create_user(3605, "管理员", language_code="zh-hans")
    assert (await one_reply(sb, 3605, "/faq_add"))["text"].startswith("请发送 /faq_add 编号")
    assert (await one_reply(sb, 3605, "/faq_add 1"))["text"].startswith("问题 #1 尚未答复。")


async def test_an_id_clash_is_refused(sb: SandboxClient, db: Database, faq: Faq) -> None:
    await _answered(sb, db)
    clash = await one_reply(sb, ADMIN, "/faq_add 1 hygiene-handwash")
    assert clash["text"].startswith("There already is an entry hygiene-handwash: nothing was "
                                    "added.")
    # A forged category and an over-long answer are refused; cancelling leaves nothing.
    start = await one_reply(sb, ADMIN, "/faq_add 1")
    forged = await sb.press(ADMIN, start["message_id"], callback_data="fa:c:1:no-such-topic")
    assert forged["show_alert"] and "no longer valid" in forged["text"]
    other = await sb.press(ADMIN, start["message_id"], callback_data="fa:c:2:gatherings")
    assert other["show_alert"]
    step2 = await _press(sb, ADMIN, start, "Duty roster")
    step3 = await _press(sb, ADMIN, step2, "✅ Keep it")
    [long] = await say(sb, ADMIN, "y" * 3600)
    assert "answer: 3600 characters, at most 3500" in long["text"]
    assert "Step 3 of 4" in long["text"]
    cancelled = await _press(sb, ADMIN, step3, "✖ Cancel")
    assert cancelled["text"] == "Cancelled: nothing was added to the knowledge base."
    assert await _additions(db) == []
    # The form is gone: text is a question again.
    got = await one_reply(sb, ADMIN, "How long should I wash my hands?")
    assert "Matched" in got["text"]


async def test_an_entry_promoted_on_another_instance_arrives_with_the_sync_job(
        sb: SandboxClient, db: Database, faq: Faq, bot_app: Any) -> None:
    await sb.create_user(OTHER, "Other", language_code="en")
    seen: dict[str, Any] = {}
    assert await sync_additions(bot_app, seen)  # the first look lays whatever is stored
    assert not await sync_additions(bot_app, seen)  # nothing changed: nothing rebuilt
    async with db.transaction() as session:  # what another instance's /faq_add writes
        session.add(FaqAddition(locale="en", entry_id="parking-weekend",
                                category="duty-roster", question=BETTER, paraphrases=[],
                                answer="Yes, with a pass."))
    assert await sync_additions(bot_app, seen)
    got = await one_reply(sb, OTHER, BETTER)
    assert got["text"].startswith(f"Matched: {BETTER}\n\nYes, with a pass.")
    async with db.transaction() as session:
        await session.execute(delete(FaqAddition))
    assert await sync_additions(bot_app, seen)
    assert faq.additions == () and faq.kb("en").entry("parking-weekend") is None  # type: ignore[union-attr]


# --- the command line ----------------------------------------------------------------------


def _seed(database_url: str) -> None:
    async def seed() -> None:
        db = Database.from_url(database_url)
        try:
            async with db.transaction() as session:
                session.add_all([
                    FaqAddition(locale="en", entry_id="parking-weekend", category="duty-roster",
                                question="Is the car park open at the weekend?",
                                paraphrases=["Can I park on Sundays?"],
                                answer="<b>Yes</b>, 8:00–20:00 &amp; with a pass.\nAsk the "
                                       "guard.", source="Site office"),
                    FaqAddition(locale="zh_CN", entry_id="parking-weekend",
                                category="duty-roster", question="周末停车场开放吗？",
                                paraphrases=[], answer="开放。"),
                ])
        finally:
            await db.dispose()

    asyncio.run(seed())


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _count(database_url: str) -> int:
    async def count() -> int:
        db = Database.from_url(database_url)
        try:
            async with db.transaction() as session:
                return len((await session.scalars(select(FaqAddition))).all())
        finally:
            await db.dispose()

    return asyncio.run(count())


def test_export_prints_faq_yaml_the_loader_reads_back_then_drop(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        database_url: str, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    code, out, err = _run(capsys, "faq", "export-additions", "--dir", str(KB_DIR))
    assert (code, out) == (0, "") and "no additions" in err
    _seed(database_url)

    code, out, _ = _run(capsys, "faq", "export-additions", "--locale", "en",
                        "--dir", str(KB_DIR))
    assert code == 0 and out.startswith("# 1 entry added in the chat")
    kb = load_faq_file(tmp_path / "export.yaml", "en", text=out)
    [entry] = kb.entries
    assert (entry.id, entry.category, entry.source) == ("parking-weekend", "duty-roster",
                                                        "Site office")
    assert entry.paraphrases == ["Can I park on Sundays?"]
    assert entry.answer.strip() == ("<b>Yes</b>, 8:00–20:00 &amp; with a pass.\n"
                                    "Ask the guard.")
    assert [c.title for c in kb.categories] == ["Duty roster"]

    code, out, _ = _run(capsys, "faq", "export-additions", "--dir", str(KB_DIR))
    docs = out.split("---\n")
    assert len(docs) == 2
    assert load_faq_file(tmp_path / "zh.yaml", "zh_CN", text=docs[1]).entries[0].question \
        == "周末停车场开放吗？"
    code, _, err = _run(capsys, "faq", "export-additions", "--locale", "fr")
    assert code == 2 and "unknown locale 'fr'" in err

    # Merge the export into a copy of the files: drop-additions drops what they now hold.
    kb_dir = tmp_path / "kb"
    shutil.copytree(KB_DIR, kb_dir)
    code, out, _ = _run(capsys, "faq", "drop-additions", "--dir", str(kb_dir))
    assert out.splitlines() == ["0 addition(s) dropped, 2 kept (not in the files yet; --all "
                                "drops them too)"]
    for locale, doc in (("en", docs[0]), ("zh_CN", docs[1])):
        merged = yaml.safe_load(doc)["entries"]
        path = kb_dir / locale / "faq.yaml"
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data["entries"].extend(merged)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
    code, out, _ = _run(capsys, "faq", "check", str(kb_dir))
    assert code == 0, out
    code, out, _ = _run(capsys, "faq", "drop-additions", "--locale", "en", "--dir", str(kb_dir))
    assert out.splitlines() == ["dropped en:parking-weekend", "1 addition(s) dropped, 0 kept"]
    assert _count(database_url) == 1
    code, out, _ = _run(capsys, "faq", "drop-additions", "--all")
    assert out.splitlines()[-1] == "1 addition(s) dropped, 0 kept"
    assert _count(database_url) == 0


# --- parsers -------------------------------------------------------------------------------


@given(st.text(max_size=80))
def test_callback_parser_takes_only_what_the_bot_sends(data: str) -> None:
    parsed = parse_faq_add_callback(data)
    if parsed is not None:
        action, qid, category = parsed
        assert action in "ckxsqa" and 0 <= qid < 10**9
        rebuilt = f"fa:c:{qid}:{category}" if action == "c" else f"fa:{action}:{qid}"
        assert len(rebuilt.encode()) <= 64 and parse_faq_add_callback(rebuilt) == parsed


@given(st.integers(0, 10**9 - 1), st.from_regex(r"[a-z0-9-]{1,40}", fullmatch=True))
def test_callback_round_trip(qid: int, category: str) -> None:
    assert parse_faq_add_callback(f"fa:c:{qid}:{category}") == ("c", qid, category)
    assert parse_faq_add_callback(f"fa:s:{qid}") == ("s", qid, "")


@given(st.text(max_size=200))
def test_args_parser_never_raises(text: str) -> None:
    parsed = parse_faq_add_args(text)
    if parsed is not None:
        assert parsed[0] >= 0 and (parsed[1] is None or parsed[1].strip() == parsed[1])


def test_args_parser_examples() -> None:
    assert parse_faq_add_args("12") == (12, None)
    assert parse_faq_add_args(" #12  gatherings-canteen ") == (12, "gatherings-canteen")
    assert parse_faq_add_args("12 two words") is None
    assert parse_faq_add_args("") is None


@settings(deadline=None)  # the first example loads jieba's dictionary
@given(st.text(min_size=1, max_size=320), st.text(min_size=1, max_size=400))
def test_any_typed_text_is_taken_as_written_or_refused_with_reasons(question: str,
                                                                    typed: str) -> None:
    """What an admin types goes through YAML and the loader: it comes back as written (the
    loader strips outer whitespace) or is refused with reasons, never raises."""
    kb = fixture_kb()
    question, answer = clean_question(question), clean_text(html.escape(typed))
    entry, problems = check_entry(kb, Addition("en", "typed-q1", "gatherings", question,
                                               answer))
    if entry is None:
        assert problems
    else:
        assert problems == []
        assert entry.question == question and entry.answer == answer


def fixture_kb() -> KnowledgeBase:
    from tests.faq.chat_helpers import fixture_faq

    kb = fixture_faq().kb("en")
    assert kb is not None
    return kb
