"""/invite, /setschedule and /members through the sandbox: admins everywhere, leaders in
their own subtree, members nowhere; bad values refused with what is expected."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.db import Database
from bot.db.models import AuditEntry, Invite, Member, Role, Unit
from bot.sandbox import SandboxClient, SandboxServer
from tests.admin.conftest import ADMIN
from tests.support.builders import (
    ALAN,
    BOB,
    EVERYONE,
    GINA,
    MIA,
    QUIET,
    audit_rows,
    running_clock,
    seed_org,
    started,
)
from tests.support.chat import ask, buttons


async def prepare(bot_app: Any, sandbox: SandboxServer, db: Database) -> Any:
    o = await seed_org(db)
    started(sandbox, [*EVERYONE, ADMIN])
    bot_app.bot_data.clock = running_clock(QUIET)
    return o


async def invites(db: Database) -> list[Invite]:
    async with db.transaction() as s:
        return list((await s.scalars(select(Invite).order_by(Invite.id))).all())


async def test_invite_links_within_scope_and_role(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    o = await prepare(bot_app, sandbox, db)
    [reply] = await ask(sb, ALAN, "/invite")  # a leader: their own unit, as member
    [invite] = await invites(db)
    assert f"https://t.me/selfreport_bot?start={invite.code}" in reply["text"]
    assert reply["text"].startswith("Invite to Group / Company A as member")
    assert invite.unit_id == o.units["Company A"] and invite.uses_left == 1

    [reply] = await ask(sb, ALAN, "/invite Branch 1 leader 5 3")
    assert reply["text"].startswith("Invite to Group / Company A / Branch 1 as leader")
    assert "5 uses" in reply["text"]
    latest = (await invites(db))[-1]
    assert (latest.unit_id, latest.role, latest.uses_left) == (o.units["Branch 1"],
                                                                Role.LEADER, 5)
    # Above their own role, outside their subtree, bad numbers, a member: refused.
    [reply] = await ask(sb, ALAN, "/invite Branch 1 admin")
    assert "role up to your own" in reply["text"]
    [reply] = await ask(sb, ALAN, "/invite Company B")
    assert "outside your own units" in reply["text"]
    [reply] = await ask(sb, ALAN, "/invite Branch 1 member 0")
    assert "uses from 1 to 10000" in reply["text"]
    [reply] = await ask(sb, ALAN, "/invite " + "x" * 4000)
    assert "too long" in reply["text"]
    [reply] = await ask(sb, MIA, "/invite")
    assert reply["text"] == "Only unit leaders and administrators can do this."
    assert len(await invites(db)) == 2
    assert len(await audit_rows(db, "invite_denied")) == 2

    # The admin (ADMIN_TELEGRAM_IDS, no roster row): anywhere, any role.
    [reply] = await ask(sb, ADMIN, "/invite Company B admin 1 30")
    assert reply["text"].startswith("Invite to Group / Company B as admin")
    [reply] = await ask(sb, ADMIN, "/invite Nowhere")
    assert "No unit by that name" in reply["text"]
    assert len(await invites(db)) == 3
    assert len(await audit_rows(db, "invite_create")) == 3


async def test_setschedule_shows_sets_and_refuses(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    o = await prepare(bot_app, sandbox, db)
    [shown] = await ask(sb, ALAN, "/setschedule")
    assert shown["text"].startswith("Schedule of Group / Company A")
    assert "Daily question: 07:30 (default)" in shown["text"]

    [saved] = await ask(sb, ALAN, "/setschedule prompt=08:00 reminders=10:00,11:00 "
                                  "weekends=skip")
    assert saved["text"].startswith("✅ Saved.")
    assert "Daily question: 08:00 (set here)" in saved["text"]
    assert "Reminders: 10:00,11:00 (set here)" in saved["text"]
    assert "Weekends: no reports (set here)" in saved["text"]
    # The branch below inherits it, and says from where.
    [branch] = await ask(sb, ALAN, "/setschedule Branch 1")
    assert "Daily question: 08:00 (from Group / Company A)" in branch["text"]
    assert "Time zone: Asia/Shanghai (default)" in branch["text"]
    [saved] = await ask(sb, ALAN, "/setschedule Branch 1 deadline=13:00 tz=Asia/Tokyo")
    assert "Deadline: 13:00 (set here)" in saved["text"]
    assert "Digest: 13:30 (default)" in saved["text"]

    async def unit(name: str) -> Unit:
        async with db.transaction() as s:
            found = await s.get(Unit, o.units[name])
            assert found is not None
            return found

    before = await unit("Company A")
    for args, expected in [
        ("prompt=7.30", "prompt=“7.30” is not a time: use HH:MM"),
        ("reminders=10,11", "is not a list of times"),
        ("tz=Mars/Olympus", "“Mars/Olympus” is not a time zone"),
        ("weekends=maybe", "use weekends=skip"),
        ("colour=red", "Unknown setting “colour”"),
        ("prompt=12:30", "must come before the deadline"),
        ("reminders=06:00", "Reminders 06:00 are not between"),
        ("prompt=08:00 prompt=09:00", "“prompt” is given twice"),
    ]:
        [reply] = await ask(sb, ALAN, f"/setschedule {args}")
        assert expected in reply["text"], (args, reply["text"])
        assert "Nothing was changed." in reply["text"]
    after = await unit("Company A")
    assert (after.prompt_time, after.reminder_times, after.timezone, after.skip_weekends) == (
        before.prompt_time, before.reminder_times, before.timezone, before.skip_weekends)
    # inherit clears the unit's own value.
    [saved] = await ask(sb, ALAN, "/setschedule prompt=inherit")
    assert "Daily question: 07:30 (default)" in saved["text"]
    assert (await unit("Company A")).prompt_time is None

    [reply] = await ask(sb, BOB, "/setschedule Company A prompt=06:00")
    assert "outside your own units" in reply["text"]
    [reply] = await ask(sb, MIA, "/setschedule prompt=06:00")
    assert reply["text"] == "Only unit leaders and administrators can do this."
    [reply] = await ask(sb, ADMIN, "/setschedule Group digest=13:00")
    assert "Digest: 13:00 (set here)" in reply["text"]
    assert [a.target for a in await audit_rows(db, "schedule_change")] == [
        f"unit:{o.units['Company A']}", f"unit:{o.units['Branch 1']}",
        f"unit:{o.units['Company A']}", f"unit:{o.units['Group']}"]
    assert len(await audit_rows(db, "schedule_denied")) == 1


async def test_members_pages_and_audited_drill_down(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    o = await prepare(bot_app, sandbox, db)
    async with db.transaction() as s:
        for i in range(25):
            s.add(Member(unit_id=o.units["Branch 1"], name=f"Extra {i:02d}",
                         phone=f"+861380013{i:04d}"))
    sandbox.state.upsert_user(MIA, "Mia").blocked = True
    async with db.transaction() as s:
        from bot.db.models import Account

        account = await s.get(Account, MIA)
        assert account is not None
        account.blocked_at = QUIET

    [first] = await ask(sb, ALAN, "/members")
    assert first["text"].startswith("Members of Group / Company A (29)")
    assert "Page 1 of 2." in first["text"]
    assert "Extra 00 — Branch 1 ⚪" in first["text"]
    nav = [d for label, d in buttons(first) if d.startswith("mb:p:")]
    assert nav == [f"mb:p:{o.units['Company A']}:1"]
    await sb.press(ALAN, first["message_id"], callback_data=nav[0])
    second = await sb.wait_until(
        ALAN, lambda chat: any("Page 2 of 2." in (m.get("text") or "") for m in chat))
    page2 = next(m for m in second if "Page 2 of 2." in (m.get("text") or ""))
    assert "Mia — Branch 1 ⛔" in page2["text"]
    assert "21. " in page2["text"]

    last = (await sb.chat(ALAN))[-1]["message_id"]
    mia = o.members[MIA]
    answer = await sb.press(ALAN, first["message_id"], callback_data=f"mb:m:{mia}")
    assert not answer.get("show_alert")
    [detail] = await sb.wait_for_bot_messages(ALAN, after=last)
    assert detail["text"].startswith("Mia\nUnit: Group / Company A / Branch 1")
    assert "Has blocked the bot" in detail["text"] and "spouse" in detail["text"]
    assert [a.target for a in await audit_rows(db, "member_view")] == [f"member:{mia}"]

    # Forged: Bob (Company B) asks for Mia, and for Company A's pages.
    [bobs] = await ask(sb, BOB, "/members")
    assert bobs["text"].startswith("Members of Group / Company B (2)")
    answer = await sb.press(BOB, bobs["message_id"], callback_data=f"mb:m:{mia}")
    assert answer["show_alert"] and "not in your units" in answer["text"]
    answer = await sb.press(BOB, bobs["message_id"],
                            callback_data=f"mb:p:{o.units['Company A']}:0")
    assert answer["show_alert"]
    assert len(await audit_rows(db, "member_view")) == 1
    assert len(await audit_rows(db, "member_view_denied")) == 1
    [reply] = await ask(sb, MIA, "/members")
    assert reply["text"] == "Only unit leaders and administrators can do this."
    [everyone] = await ask(sb, GINA, "/members")
    assert everyone["text"].startswith("Members of Group (32)")
    async with db.transaction() as s:
        assert await s.scalar(select(AuditEntry.id).where(
            AuditEntry.action == "member_view", AuditEntry.actor == f"tg:{BOB}")) is None


async def test_setschedule_refuses_what_breaks_a_unit_below(
    bot_app: Any, sandbox: SandboxServer, sb: SandboxClient, db: Database
) -> None:
    o = await prepare(bot_app, sandbox, db)
    [saved] = await ask(sb, ALAN, "/setschedule Branch 1 prompt=09:00 reminders=none")
    assert "Daily question: 09:00 (set here)" in saved["text"]
    # Branch 1 asks at 09:00: Company A's deadline may not move before it.
    [refused] = await ask(sb, ALAN, "/setschedule deadline=08:30 reminders=none")
    assert "must come before the deadline" in refused["text"]
    async with db.transaction() as s:
        unit = await s.get(Unit, o.units["Company A"])
        assert unit is not None and unit.deadline_time is None and unit.reminder_times is None
