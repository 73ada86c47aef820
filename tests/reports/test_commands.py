"""/report, /history and /cancel: unlinked users, Chinese and English, Babel dates."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from bot.db import Database
from bot.sandbox import SandboxClient
from bot.services.reports.store import PersonHealth, ReportInput, save_report
from tests.reports.helpers import MONDAY, at, callbacks, member, says, seed_member, send, tap
from tests.support.builders import running_clock


@pytest.fixture(autouse=True)
def morning(bot_app: Any) -> None:
    bot_app.bot_data.clock = running_clock(at(MONDAY, "09:00"))


async def seed_history(db: Database, member_id: int) -> None:
    m = await member(db, member_id)
    entries = {
        MONDAY: (ReportInput((PersonHealth(None, "", m.name),)), "08:00"),
        MONDAY - timedelta(days=1): (ReportInput((PersonHealth(None, "", m.name,
                                                               Decimal("38.0")),)), "13:00"),
        MONDAY - timedelta(days=3): (ReportInput((PersonHealth(None, "", m.name),)), "09:00"),
    }
    for day, (entry, hhmm) in entries.items():
        async with db.transaction() as s:
            await save_report(s, member=m, day=day, entry=entry, now=at(day, hhmm),
                              default_timezone="Asia/Shanghai")


async def test_history_in_english(sb: SandboxClient, db: Database) -> None:
    mid = await seed_member(db, 3301)
    await seed_history(db, mid)
    await sb.create_user(3301, "Ann", language_code="en")
    reply = await send(sb, 3301, "/history")
    lines = reply["text"].splitlines()
    assert lines[0] == "Your reports for the last 14 days"
    assert lines[1:6] == ["✓ Nov 30", "⚠ Nov 29 (late)", "— Nov 28",
                          "✓ Nov 27", "— Nov 26"]
    assert lines[14] == "— Nov 17" and len(lines) == 17
    assert lines[-1] == "✓ all well · ⚠ something to watch · — no report"


async def test_history_in_chinese(sb: SandboxClient, db: Database) -> None:
    mid = await seed_member(db, 3302, locale="zh_CN")
    await seed_history(db, mid)
    await sb.create_user(3302, "小明", language_code="zh-hans")
    reply = await send(sb, 3302, "/history")
    lines = reply["text"].splitlines()
    assert lines[0] == "最近14天的报告"
    assert lines[1:3] == ["✓ 11月30日", "⚠ 11月29日（迟报）"]


async def test_report_in_chinese(sb: SandboxClient, db: Database) -> None:
    await seed_member(db, 3303, locale="zh_CN", household=[("配偶", "李娜")])
    await sb.create_user(3303, "小明", language_code="zh-hans")
    reply = await send(sb, 3303, "/report")
    assert reply["text"].startswith("<b>每日健康报告") is False  # parsed, no tags
    assert reply["text"].startswith("每日健康报告 · 11月30日周一")
    await tap(sb, 3303, "🤒 有人身体不适")
    step = await says(sb, 3303, "谁身体不适？")
    assert "⬜ 配偶 李娜" in [b for row in step["reply_markup"]["inline_keyboard"]
                           for b in [x["text"] for x in row]]
    await tap(sb, 3303, "⬜ 您本人")
    await tap(sb, 3303, "下一步 ➡")
    await says(sb, 3303, "您的体温是多少？")
    bad = await send(sb, 3303, "abc")
    assert "这不是体温" in bad["text"]
    await send(sb, 3303, "37.4")
    await tap(sb, 3303, "完成 ➡")
    await tap(sb, 3303, "跳过 ➡")
    summary = await says(sb, 3303, "请核对您11月30日的报告")
    assert "• 您本人：37.4℃" in summary["text"]
    await tap(sb, 3303, "✅ 确认")
    await says(sb, 3303, "✅ 已于 09:00 上报")


@pytest.mark.parametrize("command", ["/report", "/history"])
async def test_unlinked_users_are_told_to_link_first(sb: SandboxClient, command: str) -> None:
    await sb.create_user(3304, "Stranger", language_code="en")
    reply = await send(sb, 3304, command)
    assert reply["text"] == ("You are not linked to your unit yet: send /start to link your "
                             "account.")


async def test_an_unlinked_user_pressing_a_report_button_changes_nothing(
    sb: SandboxClient, db: Database
) -> None:
    await seed_member(db, 3305)
    await sb.create_user(3305, "Member", language_code="en")
    await sb.create_user(3306, "Stranger", language_code="en")
    shown = await send(sb, 3305, "/report")
    await send(sb, 3306, "/help")
    answer = await sb.press(3306, (await sb.chat(3306))[-1]["message_id"],
                            callback_data=callbacks(shown)[0])
    assert answer["show_alert"] and answer["text"].startswith("You are not linked")
