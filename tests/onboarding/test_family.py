"""/family (add, rename, remove, the limit, bad input at each step, forged buttons) and /me,
through the sandbox against the real Application, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.db.models import Draft, HouseholdEntry, Member, Role
from bot.sandbox import SandboxClient
from tests.onboarding.helpers import add_member, ask, inline_buttons, last_id, message

pytestmark = pytest.mark.usefixtures("bot_app")

UID = 4001


async def household(db: Database, member_id: int) -> list[tuple[str, str]]:
    async with db.transaction() as s:
        rows = await s.scalars(select(HouseholdEntry).where(HouseholdEntry.member_id == member_id)
                               .order_by(HouseholdEntry.position, HouseholdEntry.id))
        return [(e.relation, e.name) for e in rows]


async def entry_ids(db: Database, member_id: int) -> list[int]:
    async with db.transaction() as s:
        rows = await s.scalars(select(HouseholdEntry.id).where(
            HouseholdEntry.member_id == member_id).order_by(HouseholdEntry.position))
        return list(rows)


async def linked(sb: SandboxClient, db: Database, household: tuple[tuple[str, str], ...] = (),
                 uid: int = UID, role: Role = Role.MEMBER) -> int:
    member_id = await add_member(db, ["Group", "Company A"], f"Member {uid}",
                                 phone=f"+86138001{uid:05d}", telegram_user_id=uid,
                                 household=household, role=role)
    await sb.create_user(uid, f"User {uid}", language_code="en")
    return member_id


async def press(sb: SandboxClient, msg: dict[str, Any], label: str | None = None, *,
                data: str | None = None, uid: int = UID) -> dict[str, Any]:
    """Press, then let the edit that follows the answer land (under Telegram's per-chat limit
    it comes a moment after the answer); a press that changes nothing waits 3 s for nothing."""
    before = await sb.chat(uid)
    result: dict[str, Any] = await sb.press(uid, msg["message_id"], button=label,
                                            callback_data=data)
    assert result["answered"], result
    try:
        await sb.wait_until(uid, lambda now: now != before, timeout=3)
    except TimeoutError:
        pass
    return result


async def press_for_reply(sb: SandboxClient, msg: dict[str, Any], label: str,
                          uid: int = UID) -> dict[str, Any]:
    """Press a button that makes the bot send a new message; that message."""
    before = await last_id(sb, uid)
    await press(sb, msg, label, uid=uid)
    [reply] = await sb.wait_for_bot_messages(uid, after=before)
    return reply


async def test_unlinked_users_are_sent_to_start(sb: SandboxClient) -> None:
    await sb.create_user(4000, "Nobody", language_code="en")
    for command in ("/family", "/me"):
        reply = await ask(sb, 4000, command)
        assert "not linked to your unit yet" in reply["text"] and "/start" in reply["text"]


async def test_add_with_a_quick_relation_and_with_a_typed_one(
    sb: SandboxClient, db: Database
) -> None:
    member_id = await linked(sb, db)
    listing = await ask(sb, UID, "/family")
    assert "no household members" in listing["text"]
    assert inline_buttons(listing) == [("➕ Add someone", "fam:add")]

    question = await press_for_reply(sb, listing, "➕ Add someone")
    assert "Who is the new household member to you?" in question["text"]
    assert [b[0] for b in inline_buttons(question)] == ["spouse", "child", "father", "mother",
                                                        "Cancel"]
    name_question = await press_for_reply(sb, question, "spouse")
    assert name_question["text"] == "What is the name of your spouse?"
    added = await ask(sb, UID, "Li Na")
    assert added["text"].startswith("Added spouse: Li Na.")
    assert "1. spouse: Li Na" in added["text"]

    question = await press_for_reply(sb, added, "➕ Add someone")
    assert "name of your grandmother" in (await ask(sb, UID, "grandmother"))["text"]
    added = await ask(sb, UID, "Zhang <Gran> & co")
    assert "2. grandmother: Zhang <Gran> & co" in added["text"]  # HTML escaped, shown as typed
    assert await household(db, member_id) == [("spouse", "Li Na"),
                                              ("grandmother", "Zhang <Gran> & co")]
    # The relation button of a step that is over is stale, and adds nothing.
    answer = await press(sb, question, data="fam:rel:child")
    assert answer["show_alert"] and "no longer valid" in answer["text"]
    assert len(await household(db, member_id)) == 2


async def test_rename_and_remove(sb: SandboxClient, db: Database) -> None:
    member_id = await linked(sb, db, (("spouse", "Li Na"), ("child", "Wang Bo")))
    spouse, child = await entry_ids(db, member_id)
    listing = await ask(sb, UID, "/family")
    assert "1. spouse: Li Na\n2. child: Wang Bo" in listing["text"]
    assert (("✏️ spouse: Li Na", f"fam:ren:{spouse}") in inline_buttons(listing)
            and ("🗑", f"fam:del:{child}") in inline_buttons(listing))

    question = await press_for_reply(sb, listing, "✏️ spouse: Li Na")
    assert "new name for spouse: Li Na" in question["text"]
    renamed = await ask(sb, UID, "Li Nana")
    assert renamed["text"].startswith("Renamed to Li Nana.")
    assert await household(db, member_id) == [("spouse", "Li Nana"), ("child", "Wang Bo")]
    assert (await entry_ids(db, member_id))[0] == spouse  # same entry: reports stay linked

    await press(sb, renamed, data=f"fam:del:{child}")
    confirm = await message(sb, UID, renamed["message_id"])
    assert "Remove child: Wang Bo from your household?" in confirm["text"]
    assert inline_buttons(confirm) == [("Yes, remove", f"fam:rm:{child}"), ("No", "fam:list")]
    await press(sb, confirm, "No")  # back to the list, nothing removed
    listed = await message(sb, UID, renamed["message_id"])
    assert listed["text"].startswith("Your household") and "2. child: Wang Bo" in listed["text"]
    assert len(await household(db, member_id)) == 2
    await press(sb, listed, data=f"fam:del:{child}")
    await press(sb, confirm, "Yes, remove")
    done = await message(sb, UID, renamed["message_id"])
    assert done["text"].startswith("Removed Wang Bo.") and "Wang Bo" not in \
        done["text"].split("\n", 1)[1]
    assert await household(db, member_id) == [("spouse", "Li Nana")]
    # Pressing "Yes, remove" again (a double tap) finds nothing to remove.
    again = await press(sb, done, data=f"fam:rm:{child}")
    assert again["show_alert"] and "no longer exists" in again["text"]


async def test_cancel_at_the_name_step_saves_nothing(sb: SandboxClient, db: Database) -> None:
    member_id = await linked(sb, db)
    listing = await ask(sb, UID, "/family")
    question = await press_for_reply(sb, listing, "➕ Add someone")
    name_question = await press_for_reply(sb, question, "mother")
    await press(sb, name_question, "Cancel")
    cancelled = await message(sb, UID, name_question["message_id"])
    assert cancelled["text"].startswith("Cancelled; nothing was changed.")
    assert await household(db, member_id) == []
    async with db.transaction() as s:
        assert await s.get(Draft, UID) is None
    reply = await ask(sb, UID, "Liu Fang")  # not taken for a name any more
    assert "Added" not in reply["text"]
    assert await household(db, member_id) == []


async def test_the_ten_entry_limit(sb: SandboxClient, db: Database) -> None:
    ten = tuple(("child", f"Child {i}") for i in range(10))
    member_id = await linked(sb, db, ten)
    listing = await ask(sb, UID, "/family")
    answer = await press(sb, listing, "➕ Add someone")
    assert answer["show_alert"] and "at most 10 household members" in answer["text"]
    assert len(await household(db, member_id)) == 10


async def test_the_limit_is_checked_again_when_the_name_arrives(
    sb: SandboxClient, db: Database
) -> None:
    member_id = await linked(sb, db, tuple(("child", f"Child {i}") for i in range(9)))
    listing = await ask(sb, UID, "/family")
    question = await press_for_reply(sb, listing, "➕ Add someone")
    # Meanwhile (another device, an import) the tenth entry appears.
    async with db.transaction() as s:
        s.add(HouseholdEntry(member_id=member_id, relation="child", name="Child 9", position=9))
    await press_for_reply(sb, question, "child")
    reply = await ask(sb, UID, "Child 10")
    assert "at most 10 household members" in reply["text"]
    assert len(await household(db, member_id)) == 10


async def test_bad_input_at_each_step(sb: SandboxClient, db: Database) -> None:
    member_id = await linked(sb, db, (("spouse", "Li Na"),))
    listing = await ask(sb, UID, "/family")
    await press_for_reply(sb, listing, "➕ Add someone")
    # The relation step.
    for text, expected in [("r" * 33, "at most 32 characters"),
                           ("🙂", "letters"), ("a\tb", "plain text on one line"),
                           ("x" * 4096, "at most 32 characters")]:
        reply = await ask(sb, UID, text)
        assert expected in reply["text"], (text, reply["text"])
        assert inline_buttons(reply) == [("Cancel", "fam:cancel")]
    await ask(sb, UID, "spouse")
    # The name step.
    for text, expected in [("n" * 65, "at most 64 characters"), ("🙂🙂", "letters"),
                           ("LI NA", "already on your list")]:
        reply = await ask(sb, UID, text)
        assert expected in reply["text"], (text, reply["text"])
    assert await household(db, member_id) == [("spouse", "Li Na")]
    assert (await ask(sb, UID, "Li Na 2"))["text"].startswith("Added spouse: Li Na 2.")


@pytest.mark.parametrize("data", [
    "fam:zzz", "fam:ren:abc", "fam:ren:", "fam:del:-1", "fam:rel:uncle", "fam:rel:",
    "fam:add:1:2", "fam:" + "9" * 60, "fam:ren:9999999999999",
])
async def test_forged_buttons_are_refused_and_change_nothing(
    sb: SandboxClient, db: Database, data: str
) -> None:
    member_id = await linked(sb, db, (("spouse", "Li Na"),))
    listing = await ask(sb, UID, "/family")
    answer = await press(sb, listing, data=data)
    assert answer["show_alert"] and "no longer valid" in answer["text"]
    assert await household(db, member_id) == [("spouse", "Li Na")]


async def test_someone_elses_entries_cannot_be_touched(sb: SandboxClient, db: Database) -> None:
    other = await linked(sb, db, (("spouse", "Their Spouse"),), uid=4002)
    [theirs] = await entry_ids(db, other)
    await linked(sb, db, (("spouse", "Li Na"),))
    listing = await ask(sb, UID, "/family")
    for data in (f"fam:ren:{theirs}", f"fam:rm:{theirs}", f"fam:del:{theirs}"):
        answer = await press(sb, listing, data=data)
        assert answer["show_alert"] and "no longer exists" in answer["text"], data
    assert await household(db, other) == [("spouse", "Their Spouse")]
    async with db.transaction() as s:
        assert await s.get(Draft, UID) is None


async def test_an_unlinked_user_pressing_an_old_family_button_is_sent_to_start(
    sb: SandboxClient, db: Database
) -> None:
    await linked(sb, db)
    listing = await ask(sb, UID, "/family")
    async with db.transaction() as s:  # removed from the roster meanwhile
        row = await s.scalar(select(Member).where(Member.telegram_user_id == UID))
        assert row is not None
        row.active = False
    answer = await press(sb, listing, "➕ Add someone")
    assert answer["show_alert"] and "not linked" in answer["text"]


async def test_me_shows_unit_role_household_language_and_quiet_hours(
    sb: SandboxClient, db: Database
) -> None:
    await linked(sb, db, (("spouse", "Li <Na>"),), role=Role.LEADER)
    reply = await ask(sb, UID, "/me")
    text = reply["text"]
    assert text.startswith(f"Member {UID}\n")
    for part in ("Unit: Group / Company A", "Role: leader", "Language: English",
                 "Quiet hours: none", "spouse: Li <Na>"):
        assert part in text, part
    await ask(sb, UID, "/quiet 22:00 07:00")
    assert "Quiet hours: 22:00–07:00" in (await ask(sb, UID, "/me"))["text"]


async def test_me_in_chinese(sb: SandboxClient, db: Database) -> None:
    await add_member(db, ["集团"], "王伟", telegram_user_id=4003, household=(("配偶", "李娜"),))
    await sb.create_user(4003, "伟", language_code="zh-hans")
    text = (await ask(sb, 4003, "/me"))["text"]
    assert "集团" in text and "中文" in text and "配偶：李娜" in text
    assert "Unit" not in text and "Role" not in text
