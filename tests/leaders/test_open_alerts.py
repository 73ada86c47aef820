"""Open alerts: shown in /status and the daily digest until someone marks them handled, and
an alert raised while no chain existed anywhere is sent once one does."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update

from bot.db import Database
from bot.db.models import Alert, Member, OutboxMessage, Role, UnitContact
from bot.runtime.jobs import tick_now
from bot.runtime.tick import run_tick
from bot.sandbox import SandboxClient, SandboxServer
from bot.services.digest import alerts
from bot.services.digest.open_alerts import open_alerts
from bot.services.org.permissions import resolve_actor
from tests.leaders.helpers import (
    ALAN,
    BEN,
    BOB,
    EVERYONE,
    GINA,
    MIA,
    MIA_LINK,
    NOW,
    QUIET,
    TZ,
    Org,
    ask,
    outbox,
    report,
    seed_org,
)
from tests.support.builders import MONDAY, at, running_clock, started


async def tick(db: Database, now: Any) -> Any:
    async with db.transaction() as s:
        return await run_tick(s, now=now, default_timezone=TZ, default_locale="en",
                              alert_escalate=timedelta(minutes=60))


async def test_status_shows_the_open_alert_to_its_chain_until_it_is_handled(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    o = await seed_org(db)
    started(sandbox, EVERYONE)
    bot_app.bot_data.clock = running_clock(QUIET)
    await report(db, o.members[MIA], temperature="38.2")
    assert (await tick_now(bot_app)).counts == {"alert": 2}
    [alert_msg] = await sb.wait_for_bot_messages(ALAN)

    [status] = await ask(sb, ALAN, "/status")
    assert "🔔 1 open alert (not marked handled):" in status["text"]
    [line] = [x for x in status["text"].splitlines() if "open since" in x]
    assert line.startswith("• Mia — Branch 1; open since") and line.endswith("; not escalated")
    [root] = await ask(sb, GINA, "/status")
    assert "• Mia — Company A / Branch 1; open since" in root["text"]
    # Company B's leader sees the sibling subtree only: not Mia's alert.
    [sibling] = await ask(sb, BOB, "/status")
    assert "open alert" not in sibling["text"] and "Mia" not in sibling["text"]

    answer = await sb.press(ALAN, alert_msg["message_id"], button="✅ Handled")
    assert answer["text"] == "Marked as handled. Thank you."
    [after] = await ask(sb, ALAN, "/status")
    assert "open alert" not in after["text"]
    assert "Mia — Branch 1; 38.2 °C" in after["text"]  # still today's abnormal case


async def test_the_daily_digest_lists_open_alerts_in_the_recipients_language(
    db: Database
) -> None:
    o = await seed_org(db, locale="zh_CN")
    await report(db, o.members[MIA], temperature="38.2")
    await tick(db, NOW)
    await tick(db, at(MONDAY, "12:30"))  # the default digest time: deadline + 30 minutes
    digests = {r.member_id: r.payload["text"] for r in await outbox(db, "digest")}
    gina, bob = digests[o.members[GINA]], digests[o.members[BOB]]
    assert "🔔 <b>1 条预警未处理</b>" in gina
    assert "<b>Mia</b> — Company A/Branch 1；11月30日 09:00 起未处理；未升级" in gina
    assert "预警" not in bob and "Mia" not in bob


async def no_chain_anywhere(db: Database) -> None:
    async with db.transaction() as s:
        await s.execute(delete(UnitContact))
        await s.execute(update(Member).values(role=Role.MEMBER))


async def add_contact(db: Database, o: Org, unit: str, uid: int) -> None:
    async with db.transaction() as s:
        s.add(UnitContact(unit_id=o.units[unit], member_id=o.members[uid], position=0))


async def test_an_alert_raised_with_no_chain_is_sent_once_a_chain_exists(db: Database) -> None:
    o = await seed_org(db)
    await no_chain_anywhere(db)
    mia = (await report(db, o.members[MIA], temperature="38.2")).report.id
    ben = (await report(db, o.members[BEN], symptoms=("cough",))).report.id
    assert (await tick(db, NOW)).counts.get("alert", 0) == 0
    assert (await tick(db, NOW + timedelta(minutes=1))).counts.get("alert", 0) == 0
    async with db.transaction() as s:
        assert [(a.reached, a.top) for a in await s.scalars(select(Alert))] == [
            (False, True), (False, True)]
        assert [a.member_name for a in await open_alerts(s, "/")] == ["Mia", "Ben"]
        # An admin handles Ben's alert meanwhile: it is not sent later.
        [ben_alert] = await s.scalars(select(Alert.id).where(Alert.report_id == ben))
        handled = await alerts.mark_handled(
            s, alert_id=ben_alert, actor=await resolve_actor(s, 9999, {9999}),
            now=NOW + timedelta(minutes=2), default_timezone=TZ, default_locale="en")
        assert handled.status is alerts.HandleStatus.HANDLED

    later = NOW + timedelta(minutes=30)
    await add_contact(db, o, "Company A", ALAN)
    assert (await tick(db, later)).counts.get("alert", 0) == 1
    assert (await tick(db, later + timedelta(minutes=1))).counts.get("alert", 0) == 0
    [sent] = await outbox(db, "alert")
    assert sent.dedup_key == f"alert:{mia}:0:{o.members[ALAN]}"
    assert MIA_LINK.format("Abnormal health report:") in sent.payload["text"]
    assert "passed up" not in sent.payload["text"]
    async with db.transaction() as s:
        alert = await s.scalar(select(Alert).where(Alert.report_id == mia))
        assert alert is not None
        assert (alert.reached, alert.top, alert.level, alert.unit_id, alert.escalated_at) == (
            True, False, 0, o.units["Company A"], later)

    # Escalation counts from the late send, up to the chain that exists above by then.
    await add_contact(db, o, "Group", GINA)
    assert (await tick(db, later + timedelta(minutes=59))).counts.get("alert", 0) == 0
    assert (await tick(db, later + timedelta(minutes=60))).counts.get("alert", 0) == 1
    async with db.transaction() as s:
        keys = (await s.scalars(select(OutboxMessage.dedup_key).where(
            OutboxMessage.kind == "alert").order_by(OutboxMessage.id))).all()
    assert keys == [f"alert:{mia}:0:{o.members[ALAN]}", f"alert:{mia}:1:{o.members[GINA]}"]


async def test_the_late_send_also_happens_through_the_bot(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    o = await seed_org(db)
    await no_chain_anywhere(db)
    started(sandbox, EVERYONE)
    await report(db, o.members[MIA], temperature="38.2")
    bot_app.bot_data.clock = running_clock(QUIET)
    assert (await tick_now(bot_app)).counts.get("alert", 0) == 0
    await add_contact(db, o, "Company A", ALAN)
    bot_app.bot_data.clock = running_clock(QUIET + timedelta(minutes=5))
    assert (await tick_now(bot_app)).counts.get("alert", 0) == 1
    [alert_msg] = await sb.wait_for_bot_messages(ALAN)
    assert "Abnormal health report:" in alert_msg["text"] and "Mia" in alert_msg["text"]
    answer = await sb.press(ALAN, alert_msg["message_id"], button="✅ Handled")
    assert answer["text"] == "Marked as handled. Thank you."
    async with db.transaction() as s:
        assert await open_alerts(s, "/") == []
