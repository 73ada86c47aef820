"""A report saved through the buttons reaches the alert service: the unit's reporting chain
hears of an abnormal report at once, and of nothing else."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.db import Database
from bot.db.models import Member, OutboxMessage, UnitContact
from bot.sandbox import SandboxClient, SandboxServer
from tests.reports.helpers import MONDAY, at, says, seed_member, send, tap
from tests.support.builders import running_clock, started


async def test_an_abnormal_report_alerts_the_chain_and_a_well_one_does_not(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    bot_app.bot_data.clock = running_clock(at(MONDAY, "08:00"))
    leader = await seed_member(db, 3401)
    await seed_member(db, 3402)
    await seed_member(db, 3403)
    async with db.transaction() as s:
        unit_id = (await s.get(Member, leader)).unit_id  # type: ignore[union-attr]
        s.add(UnitContact(unit_id=unit_id, member_id=leader, position=0))
    started(sandbox, [3401])
    for uid in (3402, 3403):
        await sb.create_user(uid, f"User {uid}", language_code="en")
        await send(sb, uid, "/report")

    await tap(sb, 3403, "✅ Me and my household are all well")
    await says(sb, 3403, "✅ Reported at")
    await tap(sb, 3402, "📝 Something else to report")
    await tap(sb, 3402, "⬜ Contact with a confirmed or suspected case")
    await sb.wait_until(3402, lambda ms: "☑️ Contact with a confirmed or suspected case" in [
        b["text"] for row in (ms[-1].get("reply_markup") or {}).get("inline_keyboard", [])
        for b in row])
    await tap(sb, 3402, "Next ➡")
    await tap(sb, 3402, "Skip ➡")
    await tap(sb, 3402, "✅ Confirm")
    await says(sb, 3402, "✅ Reported at")

    [alert] = await sb.wait_for_bot_messages(3401)
    assert "Member 3402" in alert["text"]
    async with db.transaction() as s:
        rows = (await s.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "alert"))).all()
    assert [r.member_id for r in rows] == [leader]
