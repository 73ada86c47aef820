"""Asking to join with a number not on the roster, through the sandbox against the real
Application, on SQLite and PostgreSQL: name, unit from the tree, the unit's leader approves
(audited, the person is added and linked) or declines; nobody outside may decide."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.db.models import (
    Account,
    AuditEntry,
    JoinRequest,
    JoinStatus,
    Member,
    Membership,
    Role,
    UnitContact,
)
from bot.sandbox import SandboxClient, SandboxServer
from tests.onboarding.helpers import NOW, add_member, ask
from tests.support.builders import running_clock, started

LEADER, OUTSIDER, NEWCOMER, ZH_NEWCOMER, ADMIN = 7001, 7002, 7003, 7004, 7005


def inline(message: dict[str, Any]) -> list[tuple[str, str]]:
    markup = message.get("reply_markup") or {}
    return [(b["text"], b.get("callback_data", ""))
            for row in markup.get("inline_keyboard", []) for b in row]


async def tap(sb: SandboxClient, uid: int, message: dict[str, Any], label: str,
              count: int = 1) -> list[dict[str, Any]]:
    """Press the button whose label starts with `label`; the bot's next messages (an edited
    message counts as its new state)."""
    data = next(d for text, d in inline(message) if text.startswith(label))
    before = max(m["message_id"] for m in await sb.chat(uid))
    await sb.press(uid, message["message_id"], callback_data=data)
    if count == 0:
        return [m for m in await sb.chat(uid) if m["message_id"] == message["message_id"]]
    return await sb.wait_for_bot_messages(uid, after=before, count=count)


async def edited(sb: SandboxClient, uid: int, message_id: int, text_start: str) -> dict[str, Any]:
    await sb.wait_until(uid, lambda chat: any(
        m["message_id"] == message_id and (m.get("text") or "").startswith(text_start)
        for m in chat))
    return next(m for m in await sb.chat(uid) if m["message_id"] == message_id)


@pytest.fixture
async def org(bot_app: Any, sandbox: SandboxServer, sb: SandboxClient,
              db: Database) -> dict[str, int]:
    """G / A / B1 and G / B; Lee leads A and is on its chain; Ola leads B."""
    # A running clock: a 429 asks the outbox to retry a second later, which a frozen clock
    # never reaches.
    bot_app.bot_data.clock = running_clock(NOW)
    ids = {
        "lee": await add_member(db, ["G", "A"], "Lee", phone="+8613800138101",
                                telegram_user_id=LEADER, role=Role.LEADER),
        "ola": await add_member(db, ["G", "B"], "Ola", phone="+8613800138102",
                                telegram_user_id=OUTSIDER, role=Role.LEADER),
        "b1": await add_member(db, ["G", "A", "B1"], "Someone", phone="+8613800138103"),
    }
    async with db.transaction() as s:
        lee = await s.get(Member, ids["lee"])
        assert lee is not None
        s.add(UnitContact(unit_id=lee.unit_id, member_id=lee.id, position=0))
        s.add_all([Account(telegram_user_id=uid, chat_id=uid, locale="en")
                   for uid in (LEADER, OUTSIDER)])
    started(sandbox, (LEADER, OUTSIDER))
    return ids


async def share(sb: SandboxClient, uid: int, name: str, phone: str,
                language: str) -> dict[str, Any]:
    await sb.create_user(uid, name, language_code=language, phone_number=phone)
    sent = await sb.send_own_contact(uid)
    [reply] = await sb.wait_for_bot_messages(uid, after=sent["message_id"])
    return reply


async def test_a_newcomer_asks_to_join_and_the_units_leader_approves(
    sb: SandboxClient, db: Database, org: dict[str, int]
) -> None:
    offer = await share(sb, NEWCOMER, "Nina", "8613800138201", "en")
    assert offer["text"].startswith("Your phone number is not on the roster yet. You can ask "
                                    "to join")
    assert "leaders" in offer["text"] and inline(offer)[0][0] == "🙋 Ask to join"
    [name_q] = await tap(sb, NEWCOMER, offer, "🙋 Ask to join")
    assert name_q["text"] == "What is your full name, as it should appear in reports?"
    top = await ask(sb, NEWCOMER, "Nina Zhou")
    assert top["text"].startswith("Which unit do you belong to?")
    assert [t for t, _d in inline(top)] == ["📁 G", "✅ Choose"]
    [_] = await tap(sb, NEWCOMER, top, "📁 G", count=0)
    level = await edited(sb, NEWCOMER, top["message_id"], "G: which unit")
    assert [t for t, _d in inline(level)] == ["📁 A", "✅ Choose", "✅ B", "⬆️ Back to the top"]
    [_] = await tap(sb, NEWCOMER, level, "📁 A", count=0)
    level = await edited(sb, NEWCOMER, top["message_id"], "G / A: which unit")
    [_] = await tap(sb, NEWCOMER, level, "✅ B1", count=0)
    sent = await edited(sb, NEWCOMER, top["message_id"], "Your request to join")
    # It says who will answer: the chain of the nearest unit up that has one (A's: Lee).
    assert sent["text"] == ("Your request to join G / A / B1 has been sent to Lee. You will "
                            "hear their answer here.")
    [request] = await sb.wait_for_bot_messages(LEADER)
    assert request["text"].splitlines()[:3] == ["🙋 Request to join G / A / B1",
                                                "Name: Nina Zhou", "Phone: +8613800138201"]
    # A leader of another unit cannot decide, even with the button's data.
    data = next(d for t, d in inline(request) if t.startswith("✅ Approve"))
    own = await ask(sb, OUTSIDER, "/help")
    refused = await sb.press(OUTSIDER, own["message_id"], callback_data=data)
    assert refused["text"] == "You cannot answer requests to join that unit."
    # Asking again while it waits is answered, not doubled.
    again = await share(sb, NEWCOMER, "Nina", "8613800138201", "en")
    [pending] = await tap(sb, NEWCOMER, again, "🙋 Ask to join")
    assert pending["text"].startswith("Your request to join G / A / B1 is still waiting")
    [done] = await tap(sb, LEADER, request, "✅ Approve")
    assert done["text"] == "✅ Approved: Nina Zhou is now a member of G / A / B1."
    [welcome] = await sb.wait_for_bot_messages(NEWCOMER, after=pending["message_id"])
    assert welcome["text"].startswith("✅ Welcome! Lee approved your request: you are now a "
                                      "member of G / A / B1.")
    async with db.transaction() as s:
        member = await s.scalar(select(Member).where(Member.telegram_user_id == NEWCOMER))
        assert member is not None and (member.name, member.phone, member.role) == (
            "Nina Zhou", "+8613800138201", Role.MEMBER)
        [row] = (await s.scalars(select(JoinRequest))).all()
        assert (row.status, row.member_id) == (JoinStatus.APPROVED, member.id)
        # Their membership history starts today in B1 (past days do not count them).
        [stay] = (await s.execute(select(Membership.unit_id, Membership.end_day).where(
            Membership.member_id == member.id))).all()
        assert tuple(stay) == (member.unit_id, None)
        actions = [a.action for a in (await s.scalars(
            select(AuditEntry).order_by(AuditEntry.id))).all()]
    assert actions[-3:] == ["join_request", "join_denied", "join_approve"]
    # A second tap changes nothing.
    twice = await sb.press(LEADER, request["message_id"], callback_data=data)
    assert twice["text"] == "This request was already answered by Lee."
    assert "You are linked as" in (await ask(sb, NEWCOMER, "/start"))["text"]


async def test_in_chinese_a_declined_request_says_who_declined(
    sb: SandboxClient, db: Database, org: dict[str, int]
) -> None:
    offer = await share(sb, ZH_NEWCOMER, "小周", "8613800138202", "zh-hans")
    assert offer["text"].startswith("您的手机号还不在名册上。")
    [name_q] = await tap(sb, ZH_NEWCOMER, offer, "🙋 申请加入")
    assert name_q["text"] == "请问您的全名？（将显示在上报记录中）"
    top = await ask(sb, ZH_NEWCOMER, "周小敏")
    assert top["text"].startswith("您属于哪个单位？")
    [_] = await tap(sb, ZH_NEWCOMER, top, "📁 G", count=0)
    level = await edited(sb, ZH_NEWCOMER, top["message_id"], "G：")
    [_] = await tap(sb, ZH_NEWCOMER, level, "✅ B", count=0)
    sent = await edited(sb, ZH_NEWCOMER, top["message_id"], "您加入")
    assert sent["text"] == "您加入 G/B 的申请已发送给 Ola。对方答复后会在这里通知您。"
    [request] = await sb.wait_for_bot_messages(OUTSIDER)
    [done] = await tap(sb, OUTSIDER, request, "✖ Decline")
    assert done["text"] == "Declined: 周小敏 will not join G / B."
    [answer] = await sb.wait_for_bot_messages(ZH_NEWCOMER, after=top["message_id"])
    assert answer["text"].startswith("您加入 G/B 的申请已被 Ola 拒绝。")
    async with db.transaction() as s:
        assert await s.scalar(select(Member).where(
            Member.telegram_user_id == ZH_NEWCOMER)) is None
        [row] = (await s.scalars(select(JoinRequest))).all()
        assert row.status is JoinStatus.DECLINED


async def test_a_question_before_asking_to_join_is_not_taken_for_a_name(
    sb: SandboxClient, db: Database, org: dict[str, int]
) -> None:
    await share(sb, NEWCOMER, "Nina", "8613800138201", "en")
    reply = await ask(sb, NEWCOMER, "Can I gather for dinner?")
    assert not reply["text"].startswith("Which unit")
    async with db.transaction() as s:
        assert (await s.scalars(select(JoinRequest))).all() == []


@pytest.mark.parametrize(("uid", "language", "question", "words"), [
    (NEWCOMER, "en", "Where is the quasar telescope parked?",
     ("Your phone number is not on the roster: tap Ask to join", "🙋 Ask to join",
      "Your request to join G / B is still waiting for an answer")),
    (ZH_NEWCOMER, "zh-hans", "量子望远镜停在哪里？",
     ("您的手机号不在花名册中：请点“申请加入”", "🙋 申请加入", "您加入 G/B 的申请仍在等待答复")),
])
async def test_an_unanswered_question_from_an_unknown_number_does_not_loop_back_to_start(
    sb: SandboxClient, db: Database, org: dict[str, int], uid: int, language: str,
    question: str, words: tuple[str, str, str]
) -> None:
    offered, button, waiting = words
    await share(sb, uid, "Nina", "8613800138209", language)
    reply = await ask(sb, uid, question)
    assert offered in reply["text"] and "/start" not in reply["text"]
    [name_q] = await tap(sb, uid, reply, button)  # the button it mentions, right there
    top = await ask(sb, uid, "Nina Zhou")
    [_] = await tap(sb, uid, top, "📁 G", count=0)
    level = await edited(sb, uid, top["message_id"], "G")
    [_] = await tap(sb, uid, level, "✅ B", count=0)
    await sb.wait_for_bot_messages(OUTSIDER)  # Ola has the request
    reply = await ask(sb, uid, question)
    assert waiting in reply["text"] and "/start" not in reply["text"]
    assert inline(reply) == []
