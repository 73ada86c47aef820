"""/quiet and /leave through the sandbox against the real Application, on SQLite and
PostgreSQL: who may do what, bad input, forged buttons."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.db.models import AuditEntry, Leave, LeaveKind, Member, Role
from bot.sandbox import SandboxClient
from tests.onboarding.helpers import NOW, add_member, ask, inline_buttons, last_id

LEADER, MEMBER, OUTSIDER_LEADER, ADMIN = 5001, 5002, 5003, 5004


@pytest.fixture
async def org(bot_app: Any, sb: SandboxClient, db: Database) -> dict[str, int]:
    """G/A (leader 5001) with branch B1; G/B (leader 5003); an admin at the top; the clock at
    Monday 2026-11-30 09:00 in Shanghai."""
    bot_app.bot_data.clock = lambda: NOW
    ids = {
        "leader": await add_member(db, ["G", "A"], "Leader A", phone="+8613800138001",
                                   telegram_user_id=LEADER, role=Role.LEADER),
        "wang": await add_member(db, ["G", "A", "B1"], "Wang Wei", phone="+8613800138002",
                                 telegram_user_id=MEMBER),
        "wang2": await add_member(db, ["G", "A", "B1"], "Wang Wei-Jun", phone="+8613800138005"),
        "zhao": await add_member(db, ["G", "B"], "Zhao Min", phone="+8613800138003"),
        "leader_b": await add_member(db, ["G", "B"], "Leader B", phone="+8613800138004",
                                     telegram_user_id=OUTSIDER_LEADER, role=Role.LEADER),
        "admin": await add_member(db, ["G"], "Admin", phone="+8613800138006",
                                  telegram_user_id=ADMIN, role=Role.ADMIN),
    }
    for uid in (LEADER, MEMBER, OUTSIDER_LEADER, ADMIN):
        await sb.create_user(uid, f"User {uid}", language_code="en")
    return ids


async def leaves(db: Database) -> list[tuple[int, date, date, LeaveKind]]:
    async with db.transaction() as s:
        rows = await s.scalars(select(Leave).order_by(Leave.id))
        return [(r.member_id, r.start_date, r.end_date, r.kind) for r in rows]


async def quiet(db: Database, uid: int) -> tuple[str | None, str | None]:
    async with db.transaction() as s:
        member = await s.scalar(select(Member).where(Member.telegram_user_id == uid))
        assert member is not None
        return member.quiet_start, member.quiet_end


# --- /quiet --------------------------------------------------------------------------------


async def test_quiet_set_show_and_clear(sb: SandboxClient, db: Database,
                                        org: dict[str, int]) -> None:
    reply = await ask(sb, MEMBER, "/quiet")
    assert "You have no quiet hours" in reply["text"] and "/quiet 22:00 07:00" in reply["text"]
    reply = await ask(sb, MEMBER, "/quiet 10pm to 7am")
    assert reply["text"].startswith("Quiet hours set: no reminders from 22:00 until 07:00.")
    assert await quiet(db, MEMBER) == ("22:00", "07:00")
    await ask(sb, MEMBER, "/quiet 晚上九点半到早上6点")
    assert await quiet(db, MEMBER) == ("21:30", "06:00")
    reply = await ask(sb, MEMBER, "/quiet 22:00 07:00")
    assert reply["text"].startswith("Quiet hours set: no reminders from 22:00 until 07:00.")
    assert await quiet(db, MEMBER) == ("22:00", "07:00")
    assert "Your quiet hours: 22:00–07:00" in (await ask(sb, MEMBER, "/quiet"))["text"]
    await ask(sb, MEMBER, "/quiet 21:30-6:45")
    assert await quiet(db, MEMBER) == ("21:30", "06:45")
    await ask(sb, MEMBER, "/quiet 22:00 到 7:00")
    assert await quiet(db, MEMBER) == ("22:00", "07:00")
    assert (await ask(sb, MEMBER, "/quiet off"))["text"] == "Quiet hours removed."
    assert await quiet(db, MEMBER) == (None, None)


async def test_quiet_by_buttons_in_english_and_chinese(sb: SandboxClient, db: Database,
                                                       org: dict[str, int]) -> None:
    shown = await ask(sb, MEMBER, "/quiet")
    assert [label for label, _d in inline_buttons(shown)][:2] == ["🌙 22:00–07:00",
                                                                  "🌙 21:00–06:00"]
    await sb.press(MEMBER, shown["message_id"], button="🌙 21:00–06:00")
    await sb.wait_until(MEMBER, lambda chat: any(
        m["message_id"] == shown["message_id"] and "Quiet hours set" in (m.get("text") or "")
        for m in chat))
    assert await quiet(db, MEMBER) == ("21:00", "06:00")
    await add_member(db, ["G", "A", "B1"], "李娜", phone="+8613800138012",
                     telegram_user_id=5012)
    await sb.create_user(5012, "李娜", language_code="zh-hans")
    shown = await ask(sb, 5012, "/quiet 晚上10点半到早上6点")
    assert await quiet(db, 5012) == ("22:30", "06:00")
    shown = await ask(sb, 5012, "/quiet")
    await sb.press(5012, shown["message_id"], button="🔔 不设免打扰")
    await sb.wait_until(5012, lambda chat: any(
        m["message_id"] == shown["message_id"] and "已取消免打扰时段" in (m.get("text") or "")
        for m in chat))
    assert await quiet(db, 5012) == (None, None)


@pytest.mark.parametrize(("text", "expected"), [
    ("25:00 07:00", "Please give two times"),
    ("22:00", "Please give two times"),
    ("22:00 07:00 09:00", "Please give two times"),
    ("tonight", "Please give two times"),
    ("22:00 22:00", "must differ"),
    ("9" * 4000, "Please give two times"),
])
async def test_quiet_bad_input_changes_nothing(sb: SandboxClient, db: Database,
                                               org: dict[str, int], text: str,
                                               expected: str) -> None:
    await ask(sb, MEMBER, "/quiet 22:00 07:00")
    reply = await ask(sb, MEMBER, f"/quiet {text}")
    assert expected in reply["text"]
    assert await quiet(db, MEMBER) == ("22:00", "07:00")


async def test_quiet_needs_a_linked_member(sb: SandboxClient, org: dict[str, int]) -> None:
    await sb.create_user(5099, "Stranger", language_code="en")
    assert "not linked" in (await ask(sb, 5099, "/quiet 22:00 07:00"))["text"]


# --- /leave --------------------------------------------------------------------------------


async def test_a_leader_records_leave_for_a_member_of_their_subtree(
    sb: SandboxClient, db: Database, org: dict[str, int]
) -> None:
    reply = await ask(sb, LEADER, "/leave Wang Wei 2026-12-01 2026-12-05")
    assert reply["text"].startswith("Recorded: Wang Wei (G / A / B1) is on leave")
    assert await leaves(db) == [(org["wang"], date(2026, 12, 1), date(2026, 12, 5),
                                 LeaveKind.LEAVE)]
    # The same again (a double send) records nothing new.
    assert (await ask(sb, LEADER, "/leave Wang Wei 2026-12-01 2026-12-05"))["text"] \
        .startswith("Already recorded")
    # By phone number, one day, exempt.
    reply = await ask(sb, LEADER, "/leave 138 0013 8005 2026-12-07 exempt")
    assert reply["text"].startswith("Recorded: Wang Wei-Jun (G / A / B1) is exempt")
    assert len(await leaves(db)) == 2
    # Without arguments: the usage and the current leaves, with buttons to cancel them.
    listing = await ask(sb, LEADER, "/leave")
    assert "Wang Wei (G / A / B1)" in listing["text"]
    buttons = [b for b in inline_buttons(listing) if b[1] != "ln"]  # ln: ➕ Record leave
    assert len(buttons) == 2 and all(data.startswith("lvx:") for _label, data in buttons)
    before = await last_id(sb, LEADER)
    await sb.press(LEADER, listing["message_id"], callback_data=buttons[0][1])
    [cancelled] = await sb.wait_for_bot_messages(LEADER, after=before)
    assert cancelled["text"].startswith("Cancelled: Wang Wei (G / A / B1), on leave")
    assert [row[0] for row in await leaves(db)] == [org["wang2"]]


async def test_days_in_words_are_read_back_before_they_count(
    sb: SandboxClient, db: Database, org: dict[str, int]
) -> None:
    """Monday 2026-11-30: "tomorrow to next Friday" and "明天到下周五" are shown in full, with
    their weekdays, and recorded only when the leader taps Record."""
    reply = await ask(sb, LEADER, "/leave Wang Wei tomorrow to next Friday")
    assert reply["text"] == ("Record this? Wang Wei (G / A / B1): on leave, Tue, "
                             "Dec 1 to Fri, Dec 4.")
    assert await leaves(db) == []
    before = await last_id(sb, LEADER)
    await sb.press(LEADER, reply["message_id"], button="✅ Record")
    [done] = await sb.wait_for_bot_messages(LEADER, after=before)
    assert done["text"].startswith("Recorded: Wang Wei (G / A / B1) is on leave")
    assert await leaves(db) == [(org["wang"], date(2026, 12, 1), date(2026, 12, 4),
                                 LeaveKind.LEAVE)]
    zh_leader = await add_member(db, ["G", "A"], "李组长", phone="+8613800138009",
                                 telegram_user_id=5010, role=Role.LEADER)
    assert zh_leader
    await sb.create_user(5010, "李组长", language_code="zh-hans")
    reply = await ask(sb, 5010, "/leave Wang Wei-Jun 明天到下周五 免报")
    assert reply["text"] == ("确认登记吗？Wang Wei-Jun（G/A/B1）：免报，"
                             "12月1日周二至12月11日周五。")
    before = await last_id(sb, 5010)
    await sb.press(5010, reply["message_id"], button="✅ 登记")
    [done] = await sb.wait_for_bot_messages(5010, after=before)
    assert done["text"].startswith("已登记：Wang Wei-Jun")
    assert (await leaves(db))[-1] == (org["wang2"], date(2026, 12, 1), date(2026, 12, 11),
                                      LeaveKind.EXEMPT)
    # A day that cannot be read is refused in the leader's language; nothing is written.
    reply = await ask(sb, 5010, "/leave Wang Wei 下周八")
    assert "请在姓名后写上日期" in reply["text"]
    assert len(await leaves(db)) == 2


async def test_leave_by_buttons_and_days_in_words(
    sb: SandboxClient, db: Database, org: dict[str, int]
) -> None:
    """➕ Record leave: the leader's unit, a sub-unit, the member, the days (tapped, or typed
    as people say them), then On leave / Exempt."""
    listing = await ask(sb, LEADER, "/leave")
    start = await press_and_wait(sb, LEADER, listing, "➕ Record leave")
    assert start["text"].startswith("G / A: whom is it for?")
    assert [label for label, _d in inline_buttons(start)] == ["📁 B1", "👤 Leader A",
                                                               "⬆️ Back to the top"]
    branch = await press_and_wait(sb, LEADER, start, "📁 B1")
    days = await press_and_wait(sb, LEADER, branch, "👤 Wang Wei")
    assert days["text"].startswith("Which days is Wang Wei (G / A / B1) away?")
    confirm = await press_and_wait(sb, LEADER, days, "Tomorrow")
    assert confirm["text"] == ("Record this? Wang Wei (G / A / B1): Tue, Dec 1.")
    done = await press_and_wait(sb, LEADER, confirm, "✅ Exempt")
    assert done["text"].startswith("Recorded: Wang Wei (G / A / B1) is exempt")
    # A name and the days typed.
    await press_and_wait(sb, LEADER, await ask(sb, LEADER, "/leave"), "➕ Record leave")
    days = await ask(sb, LEADER, "wang wei-jun")
    bad = await ask(sb, LEADER, "someday")
    assert bad["text"].startswith("I could not read that date or time.")
    confirm = await ask(sb, LEADER, "Dec 7 to Dec 9")
    assert confirm["text"] == ("Record this? Wang Wei-Jun (G / A / B1): Mon, Dec 7 "
                               "to Wed, Dec 9.")
    await press_and_wait(sb, LEADER, confirm, "✅ On leave")
    assert await leaves(db) == [
        (org["wang"], date(2026, 12, 1), date(2026, 12, 1), LeaveKind.EXEMPT),
        (org["wang2"], date(2026, 12, 7), date(2026, 12, 9), LeaveKind.LEAVE)]
    assert days["text"].startswith("Which days is Wang Wei-Jun")
    # In Chinese, the days written as people say them.
    await add_member(db, ["G", "A"], "张组长", phone="+8613800138011",
                     telegram_user_id=5011, role=Role.LEADER)
    await sb.create_user(5011, "张组长", language_code="zh-hans")
    start = await press_and_wait(sb, 5011, await ask(sb, 5011, "/leave"), "➕ 登记请假")
    await ask(sb, 5011, "Zhao")  # not in G / A: nobody found, nothing changes
    days = await ask(sb, 5011, "Wang Wei")
    assert days["text"].startswith("Wang Wei（G/A/B1）哪几天不在？")
    confirm = await ask(sb, 5011, "下周一到下周三")
    assert confirm["text"] == ("确认登记吗？Wang Wei（G/A/B1）：12月7日周一至"
                               "12月9日周三。")
    assert len(await leaves(db)) == 2  # nothing until a tap
    assert start


async def press_and_wait(sb: SandboxClient, uid: int, message: dict[str, Any],
                         label: str) -> dict[str, Any]:
    before = await last_id(sb, uid)
    await sb.press(uid, message["message_id"], button=label)
    [new] = await sb.wait_for_bot_messages(uid, after=before)
    return new


async def test_several_matches_offer_a_choice(sb: SandboxClient, db: Database,
                                              org: dict[str, int]) -> None:
    reply = await ask(sb, LEADER, "/leave wang 2026-12-01")
    assert reply["text"].startswith("Several members match")
    buttons = inline_buttons(reply)
    assert [label.split(" · ")[0] for label, _data in buttons] == ["Wang Wei", "Wang Wei-Jun"]
    before = await last_id(sb, LEADER)
    await sb.press(LEADER, reply["message_id"], button=buttons[1][0])
    [done] = await sb.wait_for_bot_messages(LEADER, after=before)
    assert done["text"].startswith("Recorded: Wang Wei-Jun")
    assert await leaves(db) == [(org["wang2"], date(2026, 12, 1), date(2026, 12, 1),
                                 LeaveKind.LEAVE)]
    # An exact name is not ambiguous.
    assert (await ask(sb, LEADER, "/leave Wang Wei 2026-12-02"))["text"].startswith(
        "Recorded: Wang Wei (")


async def test_a_leader_cannot_record_leave_outside_their_subtree(
    sb: SandboxClient, db: Database, org: dict[str, int]
) -> None:
    reply = await ask(sb, LEADER, "/leave Zhao Min 2026-12-01")
    assert "No active member of your units matches" in reply["text"]
    reply = await ask(sb, LEADER, "/leave 13800138003 2026-12-01")  # Zhao's phone
    assert "not in your units" in reply["text"]
    # A forged pick button naming Zhao is refused too, and the refusal is audited.
    listing = await ask(sb, LEADER, "/leave")
    answer = await sb.press(LEADER, listing["message_id"],
                            callback_data=f"lv:{org['zhao']}:20261201:20261201:l")
    assert "not in your units" in answer["text"]
    # Nor can the other unit's leader touch A's members.
    reply = await ask(sb, OUTSIDER_LEADER, "/leave 13800138002 2026-12-01")
    assert "not in your units" in reply["text"]
    assert await leaves(db) == []
    async with db.transaction() as s:
        denied = await s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "leave_denied"))
    assert denied == 3


async def test_an_admin_may_record_leave_anywhere(sb: SandboxClient, db: Database,
                                                  org: dict[str, int]) -> None:
    reply = await ask(sb, ADMIN, "/leave Zhao Min 2026-12-01 2026-12-02")
    assert reply["text"].startswith("Recorded: Zhao Min (G / B)")
    assert [row[0] for row in await leaves(db)] == [org["zhao"]]


async def test_members_and_strangers_may_not_record_leave(
    sb: SandboxClient, db: Database, org: dict[str, int]
) -> None:
    await sb.create_user(5099, "Stranger", language_code="en")
    for uid in (MEMBER, 5099):
        for text in ("/leave", "/leave Wang Wei 2026-12-01"):
            reply = await ask(sb, uid, text)
            assert reply["text"] == "Only unit leaders and administrators can record leave."
    listing = await ask(sb, LEADER, "/leave")
    answer = await sb.press(MEMBER, listing["message_id"],
                            callback_data=f"lv:{org['wang']}:20261201:20261201:l")
    assert "Only unit leaders" in answer["text"]
    assert await leaves(db) == []


@pytest.mark.parametrize(("args", "expected"), [
    ("Wang Wei 2026-02-30", "That date does not exist"),
    ("Wang Wei", "Please give the days after the name"),
    ("Wang Wei blursday", "Please give the days after the name"),
    ("2026-12-01 2026-12-05", "Whom do you mean?"),
    ("Wang Wei 2026-12-05 2026-12-01", "The last day is before the first day."),
    ("Wang Wei 2026-11-01 2026-11-29", "Those days are already over."),
    ("Wang Wei 2026-12-01 2027-12-05", "at most 366 days"),
    ("W" * 65 + " 2026-12-01", "That is too long"),
    ("x " * 1000 + "2026-12-01", "That is too long"),
    ("Nobody 2026-12-01", "No active member of your units matches"),
])
async def test_leave_bad_input_changes_nothing(sb: SandboxClient, db: Database,
                                               org: dict[str, int], args: str,
                                               expected: str) -> None:
    reply = await ask(sb, LEADER, f"/leave {args}")
    assert expected in reply["text"], reply["text"]
    assert await leaves(db) == []


@pytest.mark.parametrize("data", [
    "lv:abc:20261201:20261201:l", "lv:1:20261301:20261201:l", "lv:1:20261201:20261201:x",
    "lvx:", "lvx:abc", "lv:" + "9" * 60, "lvx:999999",
])
async def test_forged_leave_buttons_change_nothing(sb: SandboxClient, db: Database,
                                                   org: dict[str, int], data: str) -> None:
    listing = await ask(sb, LEADER, "/leave")
    answer = await sb.press(LEADER, listing["message_id"], callback_data=data)
    assert answer["answered"] and answer["text"]
    assert await leaves(db) == []
