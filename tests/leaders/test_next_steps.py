"""The digest's next steps, tapped through the sandbox in English and Chinese: remind those
missing (as /remind: once an hour, the button says how many and when), the open alerts
listed and handled from the list, the sub-units; a leader of another subtree, a contact who
is no leader and an earlier day's button change nothing."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.db.models import Alert, Member
from bot.runtime.jobs import tick_now
from bot.sandbox import SandboxClient, SandboxServer
from tests.leaders.helpers import (
    ALAN,
    BEN,
    BOB,
    CARA,
    DORA,
    EVERYONE,
    GINA,
    MIA,
    QUIET,
    Org,
    audit_rows,
    buttons,
    outbox,
    report,
    seed_org,
)
from tests.support.builders import MONDAY, at, running_clock, started
from tests.support.chat import labels, message_now, press, pressed

DIGEST_TIME = at(MONDAY, "12:30")  # the default digest time: deadline + 30 minutes


@dataclass(frozen=True)
class Words:
    locale: str
    language_code: str
    remind: str
    alerts: str
    drill: str
    reminded: str  # the remind button after the tap, up to the minute's last digit
    sent: str
    too_soon: str
    next_from: str  # the remind button after a tap within the hour
    listed: str
    handled_button: str
    handled: str
    list_after: str
    status: str
    outside: str
    leaders_only: str
    earlier_day: str


EN = Words("en", "en", "🔔 Remind those not reported", "🚨 1 open alert", "🔍 Sub-units",
           "✅ Reminded 2 at 12:3", "Reminder sent to 2 members who have not reported yet.",
           "A reminder already went out in the last hour.",
           "⏳ Next reminder from 13:3{}", "🚨 1 open alert, listed at 12:3",
           "✅ Mia handled", "Marked as handled. Thank you.",
           "✅ Mia: marked handled\n\nNo open alerts in Company A.",
           "📋 Status so far: Company A",
           "You can only act on your own unit and the units under it.",
           "Only unit leaders and administrators can do this.",
           "This button is from an earlier day. Send /status for today's figures.")
ZH = Words("zh_CN", "zh-hans", "🔔 提醒未上报的人", "🚨 1 条预警待处理", "🔍 查看下级单位",
           "✅ 已提醒 2 人（12:3", "已向 2 名尚未上报的成员发送提醒。",
           "过去一小时内已发送过提醒", "⏳ 13:3{} 后可再次提醒", "🚨 1 条预警待处理（12:3",
           "✅ Mia 已处理",
           "已标记为已处理，谢谢。", "✅ Mia：已标记为已处理\n\nCompany A 没有待处理的预警。",
           "📋 当前上报情况：Company A", "您只能对本单位及下级单位进行操作。",
           "只有单位负责人和管理员可以执行此操作。",
           "这是之前日期的按钮，请发送 /status 查看今天的情况。")


@pytest.fixture(params=[EN, ZH], ids=["en", "zh"])
def words(request: pytest.FixtureRequest) -> Words:
    return request.param  # type: ignore[no-any-return]


async def digests(bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database,
                  w: Words) -> tuple[Org, dict[int, dict[str, Any]]]:
    """Mia reported a fever (Alan and Dora were alerted), Cara is well; the day's digests
    (text, then chart) of Company A (Alan, Dora) and Company B (Bob), by recipient."""
    o = await seed_org(db, locale=w.locale)
    started(sandbox, EVERYONE, language_code=w.language_code)
    await report(db, o.members[MIA], temperature="38.2")
    await report(db, o.members[CARA])
    bot_app.bot_data.clock = running_clock(QUIET)
    assert (await tick_now(bot_app)).counts == {"alert": 2}
    before = {uid: (await sb.wait_for_bot_messages(uid))[-1]["message_id"]
              for uid in (ALAN, DORA)}
    bot_app.bot_data.clock = running_clock(DIGEST_TIME)
    assert (await tick_now(bot_app)).counts.get("digest") == 4  # Gina, Alan, Dora, Bob
    texts = {}
    for uid in (ALAN, DORA, BOB):
        text, chart = await sb.wait_for_bot_messages(uid, after=before.get(uid, 0), count=2)
        assert chart.get("photo")
        texts[uid] = text
    return o, texts


async def test_remind_from_the_digest_reaches_exactly_the_missing_once(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database, words: Words
) -> None:
    w = words
    o, texts = await digests(bot_app, sandbox, sb, db, w)
    digest = texts[ALAN]
    a = o.units["Company A"]
    remind_data = f"nx:r:{a}:20261130"
    assert buttons(digest) == [(w.remind, remind_data), (w.alerts, f"nx:a:{a}"),
                               (w.drill, f"nx:d:{a}")]
    # Company B: Bob has not reported (Cara has), no alert, no sub-unit.
    assert buttons(texts[BOB]) == [(w.remind, f"nx:r:{o.units['Company B']}:20261130")]
    # /remind's rules hold: Dora's quiet hours keep her reminder back, Mia has reported.
    async with db.transaction() as s:
        dora = await s.get(Member, o.members[DORA])
        assert dora is not None
        dora.quiet_start, dora.quiet_end = "12:00", "14:00"

    answer, after = await pressed(sb, ALAN, digest["message_id"], button=w.remind)
    assert answer["text"] == w.sent
    assert after["text"] == digest["text"]  # the digest itself is not rewritten
    [(label, data), *rest] = buttons(after)
    assert label.startswith(w.reminded) and data == remind_data
    assert rest == buttons(digest)[1:]
    reminded = {r.member_id for r in await outbox(db, "reminder")}
    assert reminded == {o.members[uid] for uid in (ALAN, BEN)}
    [ben] = await sb.wait_for_bot_messages(BEN)
    assert ben["text"].startswith("⏰ ")
    for uid in (MIA, DORA, GINA, CARA):
        assert not [m for m in await sb.chat(uid) if (m.get("text") or "").startswith("⏰ ")]
    [audit] = await audit_rows(db, "remind")
    assert audit.target == f"unit:{a}" and audit.details == {"count": 2}

    # A second tap (the relabelled button) reminds nobody twice; /remind neither.
    again, held = await pressed(sb, ALAN, digest["message_id"], button=label)
    assert again["text"].startswith(w.too_soon) and again["show_alert"] is True
    minute = label.split(":3")[1][0]  # the minute of the reminder, an hour on
    assert buttons(held) == [(w.next_from.format(minute), remind_data), *rest]
    assert len(await outbox(db, "reminder")) == 2 and len(await audit_rows(db, "remind")) == 1
    sent = await sb.send_text(ALAN, "/remind")  # his own reminder may come before or after
    await sb.wait_until(ALAN, lambda chat: any(
        m["message_id"] > sent["message_id"] and (m.get("text") or "").startswith(w.too_soon)
        for m in chat))

    # An earlier day's button: refused, nothing sent.
    stale = await sb.press(ALAN, digest["message_id"], callback_data=f"nx:r:{a}:20261129")
    assert stale["text"] == w.earlier_day and stale["show_alert"] is True
    assert len(await outbox(db, "reminder")) == 2


async def test_another_subtree_and_a_contact_who_is_no_leader_cannot_use_them(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database, words: Words
) -> None:
    w = words
    o, texts = await digests(bot_app, sandbox, sb, db, w)
    a = o.units["Company A"]
    async with db.transaction() as s:
        [alert_id] = (await s.scalars(select(Alert.id))).all()
    bob_digest = texts[BOB]["message_id"]
    for forged in (f"nx:r:{a}:20261130", f"nx:a:{a}", f"nx:h:{a}:{alert_id}"):
        refused = await sb.press(BOB, bob_digest, callback_data=forged)
        assert refused["text"] == w.outside and refused["show_alert"] is True, forged
    drill = await sb.press(BOB, bob_digest, callback_data=f"nx:d:{a}")
    assert drill["show_alert"] is True and "Company A" not in (drill["text"] or "")
    assert len(await audit_rows(db, "next_step_denied")) == 3
    assert len(await audit_rows(db, "status_refused")) == 1
    # Dora is on Company A's chain (she gets its digest to read) but leads nothing: she is
    # not shown buttons she could not use, and the same steps forged are refused.
    dora = texts[DORA]
    assert labels(dora) == [] and labels(texts[ALAN])
    for forged in (f"nx:r:{a}:20261130", f"nx:a:{a}", f"nx:d:{a}"):
        refused = await sb.press(DORA, dora["message_id"], callback_data=forged)
        assert refused["show_alert"] is True, forged
        assert refused["text"] in (w.leaders_only, "Only unit leaders and admins can see the "
                                   "reporting status.", "只有单位负责人和管理员可以查看上报情况。")
    assert await outbox(db, "reminder") == [] and await audit_rows(db, "remind") == []
    async with db.transaction() as s:
        assert (await s.get(Alert, alert_id)).handled_at is None  # type: ignore[union-attr]
    for uid in (BOB, DORA):  # nothing was edited or sent to them
        assert [m["message_id"] for m in await sb.chat(uid) if m["from"] == "bot"
                and m.get("edited")] == []
    assert (await message_now(sb, BOB, bob_digest))["text"] == texts[BOB]["text"]


async def test_open_alerts_are_listed_and_handled_from_the_list_and_drill_down_shows_children(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database, words: Words
) -> None:
    w = words
    o, texts = await digests(bot_app, sandbox, sb, db, w)
    digest = texts[ALAN]
    a = o.units["Company A"]

    answer, [listing] = await press(sb, ALAN, digest, f"nx:a:{a}")
    assert answer["answered"] and not answer.get("show_alert")
    assert "Mia" in listing["text"] and "38.2" in listing["text"]
    assert buttons(listing) == [(w.handled_button, f"nx:h:{a}:{(await alert_ids(db))[0]}")]
    tapped = await message_now(sb, ALAN, digest["message_id"])
    assert buttons(tapped)[1][0].startswith(w.listed)  # the digest's button says it is done

    answer, after = await pressed(sb, ALAN, listing["message_id"], button=w.handled_button)
    assert answer["text"] == w.handled
    assert after["text"] == w.list_after and buttons(after) == []
    async with db.transaction() as s:
        [alert] = (await s.scalars(select(Alert))).all()
        assert alert.handled_at is not None and alert.handled_by == o.members[ALAN]
    # Dora, alerted too, is told who handled it.
    handled_notices = [r for r in await outbox(db, "alert")
                       if r.dedup_key.startswith("alert_handled:")]
    assert [r.member_id for r in handled_notices] == [o.members[DORA]]

    answer, [status] = await press(sb, ALAN, digest, f"nx:d:{a}")
    assert status["text"].startswith(w.status)
    branch = f"st:{o.units['Branch 1']}"
    assert branch in [data for _label, data in buttons(status)]
    _answer, drilled = await pressed(sb, ALAN, status["message_id"], callback_data=branch)
    assert "Branch 1" in drilled["text"].splitlines()[0]
    assert (await message_now(sb, ALAN, digest["message_id"]))["text"] == digest["text"]


async def alert_ids(db: Database) -> list[int]:
    async with db.transaction() as s:
        return list((await s.scalars(select(Alert.id).order_by(Alert.id))).all())


async def test_two_quick_taps_remind_once(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    o, texts = await digests(bot_app, sandbox, sb, db, EN)
    digest = texts[ALAN]
    answers = await asyncio.gather(*(sb.press(ALAN, digest["message_id"], button=EN.remind)
                                     for _ in range(2)))
    said = sorted(a["text"] for a in answers)
    assert said[0].startswith(EN.too_soon) and said[1] == (
        "Reminder sent to 3 members who have not reported yet.")
    reminded = sorted(r.member_id for r in await outbox(db, "reminder"))
    assert reminded == sorted(o.members[uid] for uid in (ALAN, DORA, BEN))
    assert len(await audit_rows(db, "remind")) == 1
