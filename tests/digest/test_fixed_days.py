"""Past days never change, and the zero report is said only when it is one — through the
sandbox, in English and Chinese: a branch at 2/3 yesterday keeps 2/3 after a member joins
today (digest, chart's figures, /status), the joiner's /history starts on the day they joined,
and "zero report" appears only once everyone expected has reported."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.db.models import DailyFigures, Member, Role, Unit
from bot.runtime.jobs import tick_now
from bot.sandbox import SandboxClient, SandboxServer
from bot.services.digest.compute import compute_digests
from bot.services.members.onboarding import create_invite
from tests.digest.helpers import MONDAY, SHANGHAI, SUNDAY, at, contact, members, report, unit
from tests.support.builders import running_clock, started

pytestmark = pytest.mark.usefixtures("bot_app")

LEAD, ANN, BOB, DAN = 701, 702, 703, 704

WORDS = {
    "en": {"code": "en", "reported_then": "Reported: 0 / 4 (0%)",
           "since": "Since yesterday: −66.7 points, −2 reports",
           "not_yet": "⏳ No zero report yet: 4 expected, 4 have not reported.",
           "zero": "✅ Zero report: all 4 members expected have reported, nothing abnormal.",
           "zero_word": "Zero report:", "welcome": "Welcome, Dan",
           "history": "Your reports since you joined on Nov 30"},
    "zh_CN": {"code": "zh-hans", "reported_then": "已上报：0 / 4（0%）",
              "since": "较昨日：上报率 −66.7 个百分点，上报人数 −2",
              "not_yet": "⏳ 尚不能零报告：应上报 4 人，还有 4 人未上报。",
              "zero": "✅ 零报告：应上报的 4 人均已上报，无异常情况。",
              "zero_word": "✅ 零报告", "welcome": "Dan",
              "history": "您自11月30日加入以来的报告"},
}


async def ask(sb: SandboxClient, uid: int, text: str) -> dict[str, Any]:
    sent = await sb.send_text(uid, text)
    [reply] = await sb.wait_for_bot_messages(uid, after=sent["message_id"])
    return reply


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
async def test_yesterday_stays_two_of_three_after_a_join_and_zero_report_waits_for_all(
    sb: SandboxClient, sandbox: SandboxServer, db: Database, bot_app: Any, locale: str
) -> None:
    words = WORDS[locale]
    async with db.transaction() as s:
        await unit(s, "Group", digest_time="18:00")
        branch = await unit(s, "Group", "Branch 1")
        [lead] = await members(s, branch, ["Lead"], first_uid=LEAD, role=Role.LEADER,
                               locale=locale)
        ann, bob = await members(s, branch, ["Ann", "Bob"], first_uid=ANN, locale=locale)
        await contact(s, branch, lead)
        await report(s, lead, SUNDAY)
        await report(s, ann, SUNDAY)
        invite = await create_invite(s, unit=branch, created_by=None, now=datetime.now(UTC))
    started(sandbox, [LEAD, ANN, BOB], language_code=words["code"])

    # Monday morning: Sunday's reporting has closed; the tick fixes its figures.
    bot_app.bot_data.clock = running_clock(at(MONDAY, "08:00"))
    await tick_now(bot_app)
    async with db.transaction() as s:
        [row] = (await s.scalars(select(DailyFigures).where(
            DailyFigures.unit_id == branch.id, DailyFigures.day == SUNDAY))).all()
        assert (row.expected, row.reported, row.abnormal, row.late) == (3, 2, 0, 0)

    # Dan joins Branch 1 by invite on Monday.
    await sb.create_user(DAN, "Dan", language_code=words["code"])
    await ask(sb, DAN, f"/start {invite.code}")
    assert words["welcome"] in (await ask(sb, DAN, "Dan"))["text"]
    history = await ask(sb, DAN, "/history")
    assert words["history"] in history["text"]
    days = [line for line in history["text"].split("\n")[1:]
            if line[:1] in ("—", "✓", "⚠") and "·" not in line]
    assert len(days) == 1  # Monday only: no "not reported" days before Dan joined

    # /status in the afternoon: today counts Dan; yesterday is still 2 of 3.
    bot_app.bot_data.clock = lambda: at(MONDAY, "15:00")
    await sb.create_user(LEAD, "Lead", language_code=words["code"])
    status = (await ask(sb, LEAD, "/status"))["text"]
    assert words["reported_then"] in status and words["since"] in status
    assert words["not_yet"] in status and words["zero_word"] not in status

    # The evening digest and its chart's figures: Sunday 2 of 3, Monday 0 of 4.
    bot_app.bot_data.clock = running_clock(at(MONDAY, "18:00"))
    assert (await tick_now(bot_app)).counts.get("digest", 0) >= 1
    text, _photo = await _digest(sb)
    assert words["not_yet"] in text and words["zero_word"] not in text
    async with db.transaction() as s:
        d = (await compute_digests(s, now=at(MONDAY, "18:00"), default_timezone=SHANGHAI,
                                   unit_ids=[branch.id]))[branch.id]
        assert [(f.expected, f.reported) for _day, f in d.history[-2:]] == [(3, 2), (4, 0)]

    # Everyone reports: now, and only now, the zero report.
    async with db.transaction() as s:
        dan = (await members_of(s, branch.id))["Dan"]
        for m in (lead, ann, bob, dan):
            await report(s, m, MONDAY, at_time=at(MONDAY, "18:30"))
    bot_app.bot_data.clock = lambda: at(MONDAY, "19:00")
    status = (await ask(sb, LEAD, "/status"))["text"]
    assert words["zero"] in status and "⏳" not in status.split("\n\n")[1]


async def _digest(sb: SandboxClient) -> tuple[str, dict[str, Any]]:
    """The digest's text and chart in the leader's chat (the text first)."""
    for _ in range(100):
        chat = await sb.chat(LEAD)
        texts = [m for m in chat if m["from"] == "bot" and "📊" in m.get("text", "")]
        photos = [m for m in chat if m["from"] == "bot" and m.get("photo")]
        if texts and photos:
            return texts[-1]["text"], photos[-1]
        await asyncio.sleep(0.1)
    raise TimeoutError(f"no digest in {await sb.chat(LEAD)}")


async def members_of(s: Any, unit_id: int) -> dict[str, Any]:
    return {m.name: m for m in await s.scalars(select(Member).where(Member.unit_id == unit_id))}


async def test_fixed_rows_are_not_rewritten_by_a_later_tick(
    sb: SandboxClient, db: Database, bot_app: Any
) -> None:
    async with db.transaction() as s:
        branch = await unit(s, "Group", "Branch 1")
        [ann] = await members(s, branch, ["Ann"])
        await report(s, ann, SUNDAY)
    bot_app.bot_data.clock = lambda: at(MONDAY, "08:00")
    await tick_now(bot_app)
    async with db.transaction() as s:
        await members(s, branch, ["Late joiner"])  # as if they had always been there
        await report(s, ann, SUNDAY - (MONDAY - SUNDAY))
    await tick_now(bot_app)
    async with db.transaction() as s:
        rows = (await s.execute(select(DailyFigures.expected, DailyFigures.reported).where(
            DailyFigures.unit_id == branch.id, DailyFigures.day == SUNDAY))).all()
        assert [tuple(r) for r in rows] == [(1, 1)]
        assert await s.get(Unit, branch.id) is not None
