"""/report_for: a leader records today's report for a member of their subtree."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bot.db import Database
from bot.db.models import Member, Report, ReportStatus
from bot.runtime.jobs import tick_now
from bot.sandbox import SandboxClient, SandboxServer
from tests.leaders.helpers import (
    ALAN,
    BEN,
    CARA,
    DORA,
    EVERYONE,
    MIA,
    MIA_LINK,
    NOW,
    ask,
    audit_rows,
    buttons,
    outbox,
    press,
    seed_org,
)
from tests.support.builders import MONDAY, running_clock, started


async def stored(db: Database, member_id: int) -> Report | None:
    async with db.transaction() as s:
        report: Report | None = await s.scalar(select(Report).where(
            Report.member_id == member_id, Report.report_date == MONDAY))
        return report


async def test_all_well_on_behalf_counts_as_reported(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    o = await seed_org(db)
    started(sandbox, EVERYONE)
    bot_app.bot_data.clock = running_clock(NOW)
    [usage] = await ask(sb, ALAN, "/report_for")
    assert "/report_for NAME" in usage["text"]
    [choice] = await ask(sb, ALAN, "/report_for ben")
    assert choice["text"] == ("Today's report (Nov 30) for Ben "
                              "(Group / Company A / Branch 1):")
    member = o.members[BEN]
    assert buttons(choice) == [("✅ All well", f"rb:ok:{member}:20261130"),
                               ("🤒 Unwell", f"rb:sick:{member}:20261130")]
    _answer, [done] = await press(sb, ALAN, choice, f"rb:ok:{member}:20261130")
    assert done["text"] == "Recorded: Ben and their household are well (Nov 30)."
    report = await stored(db, member)
    assert report is not None and report.status is ReportStatus.OK
    assert report.entered_by == o.members[ALAN]
    [audit] = await audit_rows(db, "report_for")
    assert audit.target == f"member:{member}"
    # Pressing again changes nothing.
    _answer, [again] = await press(sb, ALAN, choice, f"rb:ok:{member}:20261130")
    assert again["text"] == "Ben's report for Nov 30 already says this."
    # Counts as reported: Ben gets no prompt.
    assert (await tick_now(bot_app)).counts.get("prompt") == 6  # everyone else
    assert member not in {r.member_id for r in await outbox(db, "prompt")}


async def test_unwell_asks_the_temperature_and_alerts_the_chain(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    o = await seed_org(db)
    started(sandbox, EVERYONE)
    bot_app.bot_data.clock = running_clock(NOW)
    [picks] = await ask(sb, ALAN, "/report_for a")  # Dora, Mia (and Alan himself)
    assert picks["text"] == "Several members match. Whom do you mean?"
    mia = o.members[MIA]
    assert f"rb:m:{mia}" in [d for _label, d in buttons(picks)]
    _answer, [choice] = await press(sb, ALAN, picks, f"rb:m:{mia}")
    _answer, [asked] = await press(sb, ALAN, choice, f"rb:sick:{mia}:20261130")
    assert asked["text"].startswith("What is Mia's temperature?")
    for bad in ("abc", "45", "-", "3" * 4000):
        [problem] = await ask(sb, ALAN, bad)
        assert "body temperature between 34.0 and 43.0" in problem["text"], bad
    assert await stored(db, mia) is None
    # Alan is a contact: the alert comes to him too, before or after the reply.
    messages = await ask(sb, ALAN, "36,9", count=2)
    [done] = [m for m in messages if "Abnormal health report" not in m["text"]]
    assert done["text"] == ("Recorded: Mia is unwell (Nov 30). "
                            "The unit's contacts are alerted.")
    report = await stored(db, mia)
    assert report is not None and report.status is ReportStatus.ABNORMAL
    assert report.temperature == Decimal("36.9") and report.symptoms == ["other"]
    assert report.entered_by == o.members[ALAN]
    [alert] = await sb.wait_for_bot_messages(DORA)
    assert MIA_LINK.format("Abnormal health report:") in alert["html"]
    assert "Entered by Alan" in alert["text"]


async def test_outside_the_subtree_is_refused(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    o = await seed_org(db)
    started(sandbox, EVERYONE)
    bot_app.bot_data.clock = running_clock(NOW)
    [none] = await ask(sb, ALAN, "/report_for Cara")
    assert none["text"] == "No active member of your units matches that name or number."
    cara = o.members[CARA]
    for data in (f"rb:m:{cara}", f"rb:ok:{cara}:20261130", f"rb:sick:{cara}:20261130"):
        _answer, [reply] = await press(sb, ALAN, none, data)
        assert reply["text"] == "That member is not in your units.", data
    assert await stored(db, cara) is None
    assert len(await audit_rows(db, "report_for_denied")) == 3
    # Yesterday's button, a forged one, a member's attempt.
    ben = o.members[BEN]
    _answer, [stale] = await press(sb, ALAN, none, f"rb:ok:{ben}:20261129")
    assert stale["text"].startswith("This button is from another day.")
    answer = await sb.press(ALAN, none["message_id"], callback_data=f"rb:ok:{ben}")
    assert answer["show_alert"]
    [refused] = await ask(sb, MIA, "/report_for Ben")
    assert refused["text"] == "Only unit leaders and administrators can do this."
    assert await stored(db, ben) is None
    async with db.transaction() as s:
        assert (await s.get(Member, ben)) is not None
