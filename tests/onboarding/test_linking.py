"""Linking a Telegram account to its roster row by sharing a phone contact, through the
sandbox against the real Application, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.db.models import Member
from bot.sandbox import SandboxClient
from tests.onboarding.helpers import add_member

pytestmark = pytest.mark.usefixtures("bot_app")

PHONE = "+8613800138001"


async def ask(sb: SandboxClient, user_id: int, text: str) -> dict[str, Any]:
    sent = await sb.send_text(user_id, text)
    [reply] = await sb.wait_for_bot_messages(user_id, after=sent["message_id"])
    return reply


async def share_own(sb: SandboxClient, user_id: int) -> dict[str, Any]:
    sent = await sb.send_own_contact(user_id)
    [reply] = await sb.wait_for_bot_messages(user_id, after=sent["message_id"])
    return reply


async def linked_user(db: Database, member_id: int) -> int | None:
    async with db.transaction() as s:
        member = await s.get(Member, member_id)
        assert member is not None
        return member.telegram_user_id


def keyboard_buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    markup = message.get("reply_markup") or {}
    return [button for row in markup.get("keyboard", []) for button in row]


async def test_an_unlinked_user_gets_the_share_phone_button(sb: SandboxClient) -> None:
    await sb.create_user(2001, "Alice", language_code="en")
    reply = await ask(sb, 2001, "/start")
    assert reply["text"].startswith("Hello, Alice!")
    assert "/help" in reply["text"]
    [button] = keyboard_buttons(reply)
    assert button["text"] == "📱 Share my phone number" and button["request_contact"] is True


async def test_sharing_ones_own_contact_links_and_greets_by_name_and_unit(
    sb: SandboxClient, db: Database
) -> None:
    member_id = await add_member(db, ["Group", "Company A", "Branch 3"], "Wang Wei",
                                 phone=PHONE)
    # Telegram sends the number international, without "+".
    await sb.create_user(2002, "Wei", language_code="en", phone_number="8613800138001")
    await ask(sb, 2002, "/start")
    reply = await share_own(sb, 2002)
    assert "Welcome, Wang Wei!" in reply["text"]
    assert "Group / Company A / Branch 3" in reply["text"]
    assert (reply["reply_markup"] or {}).get("remove_keyboard") is True
    assert await linked_user(db, member_id) == 2002

    again = await ask(sb, 2002, "/start")
    assert again["text"].startswith("You are linked as Wang Wei in Group / Company A / Branch 3")
    assert keyboard_buttons(again) == []


@pytest.mark.parametrize("written", ["+86 138-0013-8001", "13800138001", "008613800138001"])
async def test_the_numbers_match_after_normalisation(
    sb: SandboxClient, db: Database, written: str
) -> None:
    member_id = await add_member(db, ["Group"], "Li Na", phone=PHONE)
    await sb.create_user(2003, "Na", language_code="en", phone_number=written)
    reply = await share_own(sb, 2003)
    assert "Welcome, Li Na!" in reply["text"]
    assert await linked_user(db, member_id) == 2003


async def test_someone_elses_contact_is_refused_and_links_nothing(
    sb: SandboxClient, db: Database
) -> None:
    member_id = await add_member(db, ["Group"], "Wang Wei", phone=PHONE)
    await sb.create_user(2004, "Mallory", language_code="en", phone_number="8613900139000")
    # With another user's id, and with no user id at all (a contact typed into the phone book).
    for contact_user_id in (2099, None):
        sent = await sb.send_contact(2004, "8613800138001", contact_user_id=contact_user_id,
                                     first_name="Wang")
        [reply] = await sb.wait_for_bot_messages(2004, after=sent["message_id"])
        assert "someone else's contact" in reply["text"]
        assert keyboard_buttons(reply)[0]["request_contact"] is True  # try again, properly
    assert await linked_user(db, member_id) is None


async def test_an_unknown_number_is_told_whom_to_ask(sb: SandboxClient, db: Database) -> None:
    await add_member(db, ["Group"], "Wang Wei", phone=PHONE)
    await sb.create_user(2005, "Stranger", language_code="en", phone_number="8613700137000")
    reply = await share_own(sb, 2005)
    assert "not on the roster" in reply["text"]
    assert "leader" in reply["text"] and "administrator" in reply["text"]
    async with db.transaction() as s:
        assert await s.scalar(select(Member).where(Member.telegram_user_id == 2005)) is None


async def test_a_deactivated_members_number_is_unknown(sb: SandboxClient, db: Database) -> None:
    await add_member(db, ["Group"], "Gone", phone=PHONE, active=False)
    await sb.create_user(2006, "Gone", language_code="en", phone_number="8613800138001")
    reply = await share_own(sb, 2006)
    assert "not on the roster" in reply["text"]


async def test_a_number_linked_to_another_account_is_refused(
    sb: SandboxClient, db: Database
) -> None:
    member_id = await add_member(db, ["Group"], "Wang Wei", phone=PHONE, telegram_user_id=2007)
    await sb.create_user(2008, "Other phone", language_code="en", phone_number="8613800138001")
    reply = await share_own(sb, 2008)
    assert "already linked to another Telegram account" in reply["text"]
    assert await linked_user(db, member_id) == 2007


async def test_a_linked_user_sharing_again_is_told_who_they_are(
    sb: SandboxClient, db: Database
) -> None:
    await add_member(db, ["Group"], "Wang Wei", phone=PHONE, telegram_user_id=2009)
    await sb.create_user(2009, "Wei", language_code="en", phone_number="8613800138001")
    reply = await share_own(sb, 2009)
    assert reply["text"].startswith("You are linked as Wang Wei")


async def test_linking_in_chinese(sb: SandboxClient, db: Database) -> None:
    await add_member(db, ["集团", "一公司"], "王伟", phone=PHONE)
    await sb.create_user(2010, "伟", language_code="zh-hans", phone_number="8613800138001")
    greeting = await ask(sb, 2010, "/start")
    [button] = keyboard_buttons(greeting)
    assert button["text"] == "📱 分享我的手机号"
    reply = await share_own(sb, 2010)
    assert "王伟" in reply["text"] and "集团/一公司" in reply["text"]
    assert "欢迎" in reply["text"]


async def test_a_contact_with_garbage_for_a_number_changes_nothing(
    sb: SandboxClient, db: Database
) -> None:
    await sb.create_user(2011, "Odd", language_code="en", phone_number="not a number")
    reply = await share_own(sb, 2011)
    assert "could not read a phone number" in reply["text"]
    async with db.transaction() as s:
        assert await s.scalar(select(Member).where(Member.telegram_user_id == 2011)) is None
