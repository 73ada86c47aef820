"""/remind: an extra reminder to the subtree's non-reporters, at most once an hour."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.db import Database
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
    NOW,
    ask,
    audit_rows,
    outbox,
    report,
    seed_org,
)
from tests.support.builders import running_clock, started


async def test_remind_reaches_only_the_subtrees_non_reporters_once_an_hour(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    o = await seed_org(db)
    started(sandbox, EVERYONE)
    bot_app.bot_data.clock = running_clock(NOW)
    await report(db, o.members[MIA])
    # Alan has not reported either: his own reminder and the reply, in either order.
    first = await ask(sb, ALAN, "/remind", count=2)
    [reply] = [m for m in first if not m["text"].startswith("⏰ ")]
    assert reply["text"] == "Reminder sent to 3 members who have not reported yet."
    for uid in (DORA, BEN):
        [reminder] = await sb.wait_for_bot_messages(uid)
        assert reminder["text"].startswith("⏰ ")
        assert "we have not received your health report" in reminder["text"]
    for uid in (MIA, GINA, BOB, CARA):
        assert await sb.chat(uid) == []
    [audit] = await audit_rows(db, "remind")
    assert audit.target == f"unit:{o.units['Company A']}" and audit.details == {"count": 3}

    [again] = await ask(sb, ALAN, "/remind")
    assert again["text"].startswith("A reminder already went out in the last hour.")
    assert "10:00" in again["text"]  # 09:00 + 1 h, in the unit's time
    assert len(await outbox(db, "reminder")) == 3

    # Another unit's leader is not held back by Company A's reminder. Bob has not reported
    # either: his own reminder comes too, before or after the reply.
    messages = await ask(sb, BOB, "/remind", count=2)
    [b] = [m for m in messages if not m["text"].startswith("⏰ ")]
    assert b["text"] == "Reminder sent to 2 members who have not reported yet."

    bot_app.bot_data.clock = running_clock(NOW + timedelta(minutes=61))
    await report(db, o.members[DORA], now=NOW + timedelta(minutes=61))
    # His reminder again, before or after the reply (the outbox and the reply each wait their
    # turn in his chat's 1/s).
    messages = await ask(sb, ALAN, "/remind", count=2)
    [later] = [m for m in messages if not m["text"].startswith("⏰ ")]
    assert later["text"] == "Reminder sent to 2 members who have not reported yet."
    assert len(await audit_rows(db, "remind")) == 3


async def test_nobody_to_remind_and_members_may_not(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    o = await seed_org(db)
    started(sandbox, EVERYONE)
    bot_app.bot_data.clock = running_clock(NOW)
    for uid in (BOB, CARA):
        await report(db, o.members[uid])
    [reply] = await ask(sb, BOB, "/remind")
    assert reply["text"].startswith("Nobody to remind")
    [refused] = await ask(sb, CARA, "/remind")
    assert refused["text"] == "Only unit leaders and administrators can do this."
    assert await audit_rows(db, "remind") == []
    # Before today's question has been asked, nobody is due.
    bot_app.bot_data.clock = running_clock(NOW - timedelta(hours=2))  # 07:00
    [early] = await ask(sb, ALAN, "/remind")
    assert early["text"].startswith("Nobody to remind")
