"""/status and its drill-down through the sandbox, in English and Chinese; forged buttons
for a sibling's unit refused and audited; the daily digest delivered as text then chart."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.db.models import AuditEntry, Role
from bot.runtime.jobs import tick_now
from bot.sandbox import SandboxClient, SandboxServer
from tests.digest.helpers import MONDAY, at, contact, members, report, unit
from tests.support.builders import running_clock, started

pytestmark = pytest.mark.usefixtures("bot_app")


async def seed(db: Database) -> dict[str, Any]:
    async with db.transaction() as s:
        group = await unit(s, "Group", digest_time="18:00")
        a = await unit(s, "Group", "Company A")
        b1 = await unit(s, "Group", "Company A", "Branch 1")
        b = await unit(s, "Group", "Company B")
        [leader] = await members(s, a, ["Lead A"], first_uid=501, role=Role.LEADER)
        [admin] = await members(s, group, ["Admin"], first_uid=502, role=Role.ADMIN)
        await members(s, b, ["Plain"], first_uid=503)
        staff = await members(s, b1, ["Ann", "Bob"], first_uid=511)
        await report(s, staff[0], MONDAY)
        await report(s, staff[1], MONDAY, abnormal=True, temperature="38.4")
        await contact(s, group, admin)
    return {"group": group, "a": a, "b1": b1, "b": b, "leader": leader}


async def ask(sb: SandboxClient, uid: int, text: str) -> dict[str, Any]:
    sent = await sb.send_text(uid, text)
    [reply] = await sb.wait_for_bot_messages(uid, after=sent["message_id"])
    return reply


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    markup = message.get("reply_markup") or {}
    return [(b["text"], b["callback_data"]) for row in markup.get("inline_keyboard", [])
            for b in row]


async def audit(db: Database) -> list[tuple[str, str]]:
    async with db.transaction() as s:
        rows = await s.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(r.action, r.target) for r in rows]


async def test_a_leader_sees_their_unit_and_drills_down_but_not_sideways(
    sb: SandboxClient, db: Database, bot_app: Any
) -> None:
    t = await seed(db)
    bot_app.bot_data.clock = lambda: at(MONDAY, "15:00")
    await sb.create_user(501, "Lead", language_code="en")
    reply = await ask(sb, 501, "/status")
    assert reply["text"].startswith("📋 Status so far: Company A")
    assert "Reported: 2 / 3 (66.7%)" in reply["text"]  # the leader counts too
    assert "⚠️ 1 abnormal case" in reply["text"] and "Bob — Branch 1; 38.4 °C" in reply["text"]
    # Lead A has not reported: the next step first, then the sub-units.
    assert buttons(reply) == [("🔔 Remind those not reported", f"nx:r:{t['a'].id}:20261130"),
                              ("Branch 1 · 100%", f"st:{t['b1'].id}")]

    answer = await sb.press(501, reply["message_id"], callback_data=f"st:{t['b1'].id}")
    assert answer["answered"] is True and not answer.get("show_alert")
    edited = await sb.wait_until(
        501, lambda chat: "Status so far: Branch 1" in chat[-1].get("text", ""))
    assert buttons(edited[-1]) == [("⬆️ Up", f"st:{t['a'].id}")]

    for forged in (f"st:{t['b'].id}", f"st:{t['group'].id}", "st:999999"):
        refused = await sb.press(501, reply["message_id"], callback_data=forged)
        assert refused["show_alert"] is True
        assert refused["text"] == ("You can only see the status of your own unit and the "
                                   "units under it.")
    stale = await sb.press(501, reply["message_id"], callback_data="st:abc")
    assert stale["text"] == "This button is no longer valid."
    chat = await sb.chat(501)
    assert "Status so far: Branch 1" in chat[-1]["text"]  # the refusals changed nothing
    assert await audit(db) == [
        ("status_view", f"unit:{t['a'].id}"), ("status_view", f"unit:{t['b1'].id}"),
        ("status_refused", f"unit:{t['b'].id}"), ("status_refused", f"unit:{t['group'].id}"),
        ("status_refused", "unit:999999"),
    ]


async def test_an_admin_sees_the_root_in_chinese_and_a_member_is_refused(
    sb: SandboxClient, db: Database, bot_app: Any
) -> None:
    t = await seed(db)
    bot_app.bot_data.clock = lambda: at(MONDAY, "15:00")
    await sb.create_user(502, "管理员", language_code="zh-hans")
    reply = await ask(sb, 502, "/status")
    assert reply["text"].startswith("📋 当前上报情况：Group")
    assert "已上报：2 / 5（40%）" in reply["text"]
    assert "3 人未上报" in reply["text"] and "Company B：Plain" in reply["text"]
    assert buttons(reply)[0] == ("🔔 提醒未上报的人", f"nx:r:{t['group'].id}:20261130")
    assert [data for _label, data in buttons(reply)][1:] == [f"st:{t['b'].id}",
                                                            f"st:{t['a'].id}"]

    await sb.create_user(503, "Plain", language_code="en")
    refused = await ask(sb, 503, "/status")
    assert refused["text"] == "Only unit leaders and admins can see the reporting status."
    answer = await sb.press(503, refused["message_id"], callback_data=f"st:{t['b'].id}")
    assert answer["show_alert"] is True


async def test_the_daily_digest_arrives_as_text_then_chart(
    sb: SandboxClient, sandbox: SandboxServer, db: Database, bot_app: Any
) -> None:
    await seed(db)
    started(sandbox, [502], language_code="zh-hans")
    bot_app.bot_data.clock = running_clock(at(MONDAY, "18:00"))
    assert (await tick_now(bot_app)).counts.get("digest") == 1
    text, photo = await sb.wait_for_bot_messages(502, count=2)
    assert text["text"].startswith("📊 日报：Group")
    assert "⚠️ 1 例异常" in text["text"]
    assert photo.get("photo") and "近14天" in photo["caption"]
    await asyncio.sleep(0.2)
    assert (await tick_now(bot_app)).counts.get("digest", 0) == 0


async def test_ninety_eight_sub_units_come_in_pages_telegram_accepts(
    sb: SandboxClient, sandbox: SandboxServer, db: Database, bot_app: Any
) -> None:
    # With 98 long Chinese names one keyboard was 18 kB: Telegram (and now the sandbox)
    # refuses it with "reply markup is too long" and the leader saw nothing.
    async with db.transaction() as s:
        root = await unit(s, "总部")
        subs = [await unit(s, "总部", f"{i:02d}" + "第一医院发热门诊预检分诊临时工作组" * 2)
                for i in range(98)]
        await members(s, root, ["管理员"], first_uid=502, role=Role.ADMIN)
    bot_app.bot_data.clock = lambda: at(MONDAY, "15:00")
    await sb.create_user(502, "管理员", language_code="zh-hans")
    reply = await ask(sb, 502, "/status")
    seen = [data for _label, data in buttons(reply) if data.startswith("st:")]
    [turn] = [(label, data) for label, data in buttons(reply) if data.startswith("sp:")]
    assert turn == ("下一页 2/5 ▶️", f"sp:{root.id}:1")
    for page in range(1, 5):
        last = await sb.chat(502)
        await sb.press(502, reply["message_id"], button=[
            label for label, data in buttons(last[-1]) if data == f"sp:{root.id}:{page}"][0])
        chat = await sb.wait_until(502, lambda c, page=page: any(
            data == f"sp:{root.id}:{page - 1}" for _label, data in buttons(c[-1])))
        seen += [data for _label, data in buttons(chat[-1]) if data.startswith("st:")]
    assert sorted(seen) == sorted(f"st:{u.id}" for u in subs)
    assert sandbox.state.stats.errors.get("400", 0) == 0


async def test_quick_taps_under_telegrams_limits_are_all_answered_and_end_on_the_last(
    sb: SandboxClient, sandbox: SandboxServer, db: Database, bot_app: Any
) -> None:
    # Each tap is an answer and an edit in one chat: four taps in a second are eight calls
    # against Telegram's 1/s (after a burst of 3). The bot waits out the 429s (retry_after)
    # instead of dropping answers or edits, and the message ends on the last tap's unit.
    t = await seed(db)
    bot_app.bot_data.clock = lambda: at(MONDAY, "15:00")
    await sb.create_user(501, "Lead", language_code="en")
    reply = await ask(sb, 501, "/status")
    taps = [t["b1"].id, t["a"].id, t["b1"].id, t["a"].id]
    answers = []
    for unit_id in taps:  # in order, without waiting for the answers
        answers.append(asyncio.create_task(
            sb.press(501, reply["message_id"], callback_data=f"st:{unit_id}", timeout=25)))
        await asyncio.sleep(0.05)
    assert all(a["answered"] for a in await asyncio.gather(*answers))
    chat = await sb.wait_until(
        501, lambda c: "Status so far: Company A" in c[-1].get("text", "") and c[-1]["edited"])
    assert buttons(chat[-1])[1:] == [("Branch 1 · 100%", f"st:{t['b1'].id}")]
    stats = await sb.stats()
    assert stats["flood_limited"].get("501", 0) > 0  # the limits were reached...
    assert stats["errors"]["400"] == 0  # ...and nothing was refused or lost


async def test_a_large_subtree_lists_its_first_units_and_counts_the_rest(
    sb: SandboxClient, db: Database, bot_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over HEAD missing (made 1 here), /status reads the first units' missing members only:
    the chat shows those names, the count of all, the rest counted, and the remind button."""
    from bot.services.digest import missing

    t = await seed(db)
    monkeypatch.setattr(missing, "HEAD", 1)
    bot_app.bot_data.clock = lambda: at(MONDAY, "15:00")
    await sb.create_user(502, "Admin", language_code="en")
    reply = await ask(sb, 502, "/status")
    assert "Reported: 2 / 5 (40%)" in reply["text"]
    # Admin (the group's own member) is the first unit's; Lead A and Plain are not read.
    assert "3 not reported" in reply["text"] and "Group: Admin" in reply["text"]
    assert "Lead A" not in reply["text"] and "Plain" not in reply["text"]
    assert "+2 more" in reply["text"]
    assert buttons(reply)[0] == ("🔔 Remind those not reported",
                                 f"nx:r:{t['group'].id}:20261130")
