"""Alerts about abnormal reports: once per report, updates on amendment, the "handled"
button, escalation up the tree after ALERT_ESCALATE_MINUTES, open alerts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.db import Database
from bot.db.models import Alert, OutboxStatus
from bot.runtime.jobs import tick_now
from bot.runtime.tick import run_tick
from bot.sandbox import SandboxClient, SandboxServer
from bot.services.digest import alerts
from bot.services.digest.open_alerts import open_alerts
from tests.leaders.helpers import (
    ALAN,
    BOB,
    DORA,
    EVERYONE,
    GINA,
    MIA,
    MIA_LINK,
    NOW,
    QUIET,
    TZ,
    ask,
    audit_rows,
    buttons,
    outbox,
    report,
    seed_org,
)
from tests.support.builders import running_clock, started


async def tick(db: Database, now: Any, minutes: int = 60) -> int:
    async with db.transaction() as s:
        result = await run_tick(s, now=now, default_timezone=TZ, default_locale="en",
                                alert_escalate=timedelta(minutes=minutes))
    return result.counts.get("alert", 0)


def keys(rows: list[Any]) -> list[str]:
    return sorted(r.dedup_key for r in rows)


async def test_an_abnormal_report_alerts_its_units_chain_once(db: Database) -> None:
    o = await seed_org(db)
    saved = await report(db, o.members[MIA], temperature="38.2", symptoms=("cough",))
    rid = saved.report.id
    # The report handler's call was cut off: the tick's scan queues the alert (2 messages).
    assert await tick(db, NOW) == 2
    assert await tick(db, NOW + timedelta(minutes=1)) == 0
    async with db.transaction() as s:  # and the handler's call, late, changes nothing
        result = await alerts.alert_report(s, report_id=rid, now=NOW, default_timezone=TZ,
                                           default_locale="en")
    assert result == alerts.AlertResult(alerts.AlertOutcome.NONE, 0)
    rows = await outbox(db, "alert")
    # Branch 1 has no contacts: Company A's chain, in order.
    assert keys(rows) == [f"alert:{rid}:0:{o.members[ALAN]}", f"alert:{rid}:0:{o.members[DORA]}"]
    text = rows[0].payload["text"]
    assert MIA_LINK.format("Abnormal health report:") in text
    assert "Group / Company A / Branch 1" in text
    assert "<b>38.2 °C</b>" in text and "cough" in text
    assert "Li Na" not in text  # a well household member is not listed
    assert rows[0].payload["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == \
        f"al:h:{(await open_ids(db))[0]}"


async def open_ids(db: Database) -> list[int]:
    async with db.transaction() as s:
        return [a.alert_id for a in await open_alerts(s, "/")]


async def test_a_well_report_alerts_nobody_and_an_amendment_making_it_abnormal_does(
    db: Database
) -> None:
    o = await seed_org(db)
    await report(db, o.members[MIA])
    assert await tick(db, NOW) == 0
    saved = await report(db, o.members[MIA], spouse="38.6", now=NOW + timedelta(minutes=5))
    assert saved.became_abnormal
    assert await tick(db, NOW + timedelta(minutes=5)) == 2
    [alan, _dora] = await outbox(db, "alert")
    assert "spouse Li Na: <b>38.6 °C</b>" in alan.payload["text"]


async def test_an_amendment_sends_an_update_not_a_second_alert(db: Database) -> None:
    o = await seed_org(db)
    saved = await report(db, o.members[MIA], temperature="38.2")
    await tick(db, NOW)
    # The same answers again: nothing is written, nobody is told.
    await report(db, o.members[MIA], temperature="38.2", now=NOW + timedelta(minutes=3))
    assert await tick(db, NOW + timedelta(minutes=3)) == 0
    await report(db, o.members[MIA], temperature="39.0", symptoms=("breath",),
                 now=NOW + timedelta(minutes=10))
    assert await tick(db, NOW + timedelta(minutes=10)) == 2
    assert await tick(db, NOW + timedelta(minutes=11)) == 0
    rid = saved.report.id
    rows = await outbox(db, "alert")
    assert keys(rows) == sorted([f"alert:{rid}:0:{o.members[ALAN]}",
                                 f"alert:{rid}:0:{o.members[DORA]}",
                                 f"alert_update:{rid}:2:{o.members[ALAN]}",
                                 f"alert_update:{rid}:2:{o.members[DORA]}"])
    update = next(r for r in rows if r.dedup_key.startswith("alert_update"))
    assert MIA_LINK.format("Update to the alert:") in update.payload["text"]
    assert "39.0 °C" in update.payload["text"] and "shortness of breath" in update.payload["text"]
    async with db.transaction() as s:
        assert len((await s.scalars(select(Alert))).all()) == 1


async def test_an_unhandled_alert_goes_up_to_the_parent_chain_after_the_timeout(
    db: Database
) -> None:
    o = await seed_org(db)
    saved = await report(db, o.members[MIA], temperature="38.2")
    await tick(db, NOW)
    assert await tick(db, NOW + timedelta(minutes=59)) == 0
    assert await tick(db, NOW + timedelta(minutes=60)) == 1
    rid = saved.report.id
    key = f"alert:{rid}:1:{o.members[GINA]}"
    up = [r for r in await outbox(db, "alert") if r.dedup_key == key]
    assert len(up) == 1 and "passed up to you" in up[0].payload["text"]
    # The root has no parent: it stays open at the top, nothing more is sent.
    assert await tick(db, NOW + timedelta(minutes=200)) == 0
    async with db.transaction() as s:
        [alert] = (await s.scalars(select(Alert))).all()
        assert (alert.level, alert.unit_id, alert.top) == (1, o.units["Group"], True)
        [open_alert] = await open_alerts(s, f"/{o.units['Group']}/")
        assert open_alert.member_name == "Mia" and open_alert.level == 1
        # Company B's subtree has none of it.
        assert await open_alerts(s, f"/{o.units['Group']}/{o.units['Company B']}/") == []


async def test_the_escalation_minutes_are_a_setting(db: Database) -> None:
    o = await seed_org(db)
    await report(db, o.members[MIA], temperature="38.2")
    await tick(db, NOW, minutes=5)
    assert await tick(db, NOW + timedelta(minutes=5), minutes=5) == 1


async def test_the_handled_button_records_who_edits_the_alert_and_tells_the_others(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    o = await seed_org(db)
    started(sandbox, EVERYONE)
    bot_app.bot_data.clock = running_clock(QUIET)
    await report(db, o.members[MIA], temperature="38.2")
    assert (await tick_now(bot_app)).counts == {"alert": 2}
    [alert_msg] = await sb.wait_for_bot_messages(ALAN)
    await sb.wait_for_bot_messages(DORA)
    [(label, data)] = buttons(alert_msg)
    assert label == "✅ Handled"

    # Someone outside the chain forges the button: refused, nothing changes.
    [help_msg] = await ask(sb, BOB, "/help")
    answer = await sb.press(BOB, help_msg["message_id"], callback_data=data)
    assert answer["show_alert"] and "not in this unit's reporting chain" in answer["text"]
    assert [a.target for a in await audit_rows(db, "alert_denied")] == [f"alert:{data[5:]}"]

    answer = await sb.press(ALAN, alert_msg["message_id"], callback_data=data)
    assert answer["text"] == "Marked as handled. Thank you."
    chat = await sb.wait_until(ALAN, lambda msgs: msgs[0].get("edited"))
    assert "✅ Handled by Alan at" in chat[0]["text"]
    assert buttons(chat[0]) == []
    [_alert, notice] = await sb.wait_for_bot_messages(DORA, count=2)
    assert notice["text"].startswith("✅ The alert about Mia")
    assert "handled by Alan" in notice["text"]
    async with db.transaction() as s:
        [alert] = (await s.scalars(select(Alert))).all()
        assert alert.handled_by == o.members[ALAN] and alert.handled_at is not None
    assert await open_ids(db) == []

    # Dora presses her (now stale) button too: already handled, no second notice.
    answer = await sb.press(DORA, _alert["message_id"], callback_data=data)
    assert answer["text"] == "This alert was already handled."
    answer = await sb.press(ALAN, alert_msg["message_id"], callback_data=data)
    assert answer["text"] == "This alert was already handled."
    # A handled alert is not escalated.
    bot_app.bot_data.clock = running_clock(QUIET + timedelta(hours=3))
    async with db.transaction() as s:
        assert len(await alerts.escalate_due(s, now=QUIET + timedelta(hours=3),
                                             after=timedelta(minutes=60), default_timezone=TZ,
                                             default_locale="en")) == 0
    assert all(r.status != OutboxStatus.FAILED for r in await outbox(db))
    assert len(await outbox(db, "alert")) == 3
    assert len(await sb.chat(ALAN)) == 1 and len(await sb.chat(DORA)) == 2


async def test_a_restart_sends_nothing_twice(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database, settings: Any
) -> None:
    from bot.runtime.runner import start_bot, stop_bot

    o = await seed_org(db)
    started(sandbox, EVERYONE)
    await report(db, o.members[MIA], temperature="38.2")
    bot_app.bot_data.clock = running_clock(QUIET)
    await tick_now(bot_app)
    await sb.wait_for_bot_messages(ALAN)
    await stop_bot(bot_app)
    again = await start_bot(settings, db, poll_timeout=1)
    try:
        again.bot_data.clock = running_clock(QUIET + timedelta(minutes=2))
        assert (await tick_now(again)).counts.get("alert", 0) == 0
        [alert_msg] = await sb.chat(ALAN)
        answer = await sb.press(ALAN, alert_msg["message_id"], button="✅ Handled")
        assert answer["text"] == "Marked as handled. Thank you."
    finally:
        await stop_bot(again)
    assert len(await sb.chat(ALAN)) == 1


async def test_alerts_are_in_the_recipients_language(db: Database) -> None:
    o = await seed_org(db, locale="zh_CN")
    await report(db, o.members[MIA], temperature="38.2", symptoms=("cough",))
    await tick(db, NOW)
    [alan, _dora] = await outbox(db, "alert")
    assert "异常" in alan.payload["text"]
    assert alan.payload["reply_markup"]["inline_keyboard"][0][0]["text"] != "✅ Handled"


async def test_a_members_own_abnormal_report_alerts_at_once_without_a_tick(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    o = await seed_org(db)
    started(sandbox, EVERYONE)
    bot_app.bot_data.clock = running_clock(NOW)
    await report(db, o.members[MIA], symptoms=("cough",), day=NOW.date() - timedelta(days=1),
                 now=NOW - timedelta(days=1))
    [help_msg] = await ask(sb, MIA, "/help")
    # "Same as yesterday" on today's question: the report handler saves, then alerts.
    await sb.press(MIA, help_msg["message_id"], callback_data="r:2026-11-30:same")
    [alert_msg] = await sb.wait_for_bot_messages(ALAN)
    assert MIA_LINK.format("Abnormal health report:") in alert_msg["html"]
    assert "Report for Nov 30" in alert_msg["text"]


async def test_escalation_reaches_the_parent_chain_through_the_bot(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    o = await seed_org(db)
    started(sandbox, EVERYONE)
    await report(db, o.members[MIA], symptoms=("fatigue",))
    bot_app.bot_data.clock = running_clock(QUIET)
    await tick_now(bot_app)
    await sb.wait_for_bot_messages(ALAN)
    assert await sb.chat(GINA) == []
    # 13:11: past the digest time too; the digests go out beside the alert.
    bot_app.bot_data.clock = running_clock(QUIET + timedelta(minutes=61))
    assert (await tick_now(bot_app)).counts["alert"] == 1
    up = await wait_for_text(sb, GINA, "passed up to you")
    assert "fatigue" in up["text"]
    answer = await sb.press(GINA, up["message_id"], button="✅ Handled")
    assert answer["text"] == "Marked as handled. Thank you."
    # Alan and Dora, who were sent it first, are told who handled it.
    for uid in (ALAN, DORA):
        await wait_for_text(sb, uid, "handled by Gina")


async def wait_for_text(sb: SandboxClient, uid: int, text: str) -> dict[str, Any]:
    chat = await sb.wait_until(uid, lambda msgs: any(text in (m.get("text") or "") for m in msgs))
    return next(m for m in chat if text in (m.get("text") or ""))
