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
    # Unwell as the leader said it: no symptom nobody named.
    assert report.temperature == Decimal("36.9") and report.symptoms == ["unwell"]
    assert report.note == ""
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


async def test_words_after_the_name_are_kept_as_written_and_no_symptom_is_made_up(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    o = await seed_org(db)
    started(sandbox, EVERYONE)
    bot_app.bot_data.clock = running_clock(NOW)
    ben = o.members[BEN]
    [asked] = await ask(sb, ALAN, "/report_for Ben  feels <b>dizzy</b>, stayed home ")
    assert asked["text"] == ("Ben, as you wrote: “feels <b>dizzy</b>, stayed home”.\n"
                             "What is Ben's temperature? For example 38.2. /cancel stops.")
    assert buttons(asked) == [("🌡 Not measured", f"rb:nt:{ben}:20261130")]
    assert await stored(db, ben) is None
    # "376" is offered as 37.6 to confirm, never stored as it is.
    [offer] = await ask(sb, ALAN, "376")
    assert "Did you mean 37.6 °C? Tap it below to confirm." in offer["text"]
    assert buttons(offer) == [("37.6 °C", f"rb:t:{ben}:20261130:376")]
    assert await stored(db, ben) is None
    _answer, messages = await press(sb, ALAN, offer, f"rb:t:{ben}:20261130:376", count=2)
    assert any(m["text"].startswith("Recorded: Ben is unwell (Nov 30).") for m in messages)
    report = await stored(db, ben)
    assert report is not None and report.status is ReportStatus.ABNORMAL
    assert (report.temperature, report.symptoms, report.note) == (
        Decimal("37.6"), ["unwell"], "feels <b>dizzy</b>, stayed home")
    [alert] = await sb.wait_for_bot_messages(DORA)
    assert "unwell, details not given" in alert["text"]
    assert "feels <b>dizzy</b>, stayed home" in alert["text"]


async def test_zh_unwell_without_a_temperature(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    o = await seed_org(db, locale="zh_CN")
    started(sandbox, EVERYONE, language_code="zh-hans")
    bot_app.bot_data.clock = running_clock(NOW)
    mia = o.members[MIA]
    async with db.transaction() as s:
        member = await s.get(Member, mia)
        assert member is not None
        member.name = "王五"
    [asked] = await ask(sb, ALAN, "/report_for 王五 身体不适")
    assert asked["text"].startswith("王五的情况：“身体不适”。\n")
    [(label, data)] = buttons(asked)
    assert label == "🌡 未测体温" and data == f"rb:nt:{mia}:20261130"
    _answer, messages = await press(sb, ALAN, asked, data, count=2)
    assert any(m["text"].startswith("已记录：王五") for m in messages), messages
    report = await stored(db, mia)
    assert report is not None and report.status is ReportStatus.ABNORMAL
    assert (report.temperature, report.symptoms, report.note) == (None, ["unwell"], "身体不适")
    [alert] = await sb.wait_for_bot_messages(DORA)
    assert "身体不适（未说明详情）" in alert["text"] and "发热" not in alert["text"]
    assert "其他症状" not in alert["text"]
