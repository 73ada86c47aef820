"""/start, /help, /language and the error path, driven through the sandbox over HTTP against
the real Application, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.db import Database
from bot.db.models import Account, Member, Role
from bot.sandbox import SandboxClient
from bot.services.org import units as org

pytestmark = pytest.mark.usefixtures("bot_app")


async def ask(sb: SandboxClient, user_id: int, text: str, count: int = 1) -> list[dict[str, Any]]:
    sent = await sb.send_text(user_id, text)
    return await sb.wait_for_bot_messages(user_id, after=sent["message_id"], count=count)


async def test_start_greets_in_chinese_by_default(sb: SandboxClient) -> None:
    await sb.create_user(1001, "小明", language_code="zh-hans")
    [reply] = await ask(sb, 1001, "/start")
    assert "小明，您好" in reply["text"]
    assert "/help" in reply["text"]


async def test_start_greets_in_english_for_an_english_telegram(sb: SandboxClient) -> None:
    await sb.create_user(1002, "Alice", language_code="en-GB")
    [reply] = await ask(sb, 1002, "/start")
    assert reply["text"].startswith("Hello, Alice!")


async def test_a_name_with_html_is_shown_not_parsed(sb: SandboxClient) -> None:
    await sb.create_user(1003, "<b>Bob & co", language_code="en")
    [reply] = await ask(sb, 1003, "/start")
    assert reply["text"].startswith("Hello, <b>Bob & co!")


async def test_help_for_an_unlinked_user_lists_public_commands_and_says_how_to_link(
    sb: SandboxClient,
) -> None:
    await sb.create_user(1004, "Carol", language_code="en")
    [reply] = await ask(sb, 1004, "/help")
    assert "/start" in reply["text"] and "/language" in reply["text"]
    assert "not linked" in reply["text"]


async def test_help_for_a_linked_member_has_no_link_hint(sb: SandboxClient, db: Database) -> None:
    async with db.transaction() as s:
        unit = await org.ensure_unit(s, ["G"], now=_now())
        s.add(Member(unit_id=unit.id, name="Dan", phone="+8613800000005",
                     telegram_user_id=1005, role=Role.LEADER))
    await sb.create_user(1005, "Dan", language_code="zh-hans")
    [reply] = await ask(sb, 1005, "/help")
    assert "您可以使用的命令" in reply["text"]
    assert "尚未与所在单位绑定" not in reply["text"]


async def test_language_switch_is_stored_and_used_from_then_on(
    sb: SandboxClient, db: Database
) -> None:
    await sb.create_user(1006, "小红", language_code="zh-hans")
    [menu] = await ask(sb, 1006, "/language")
    assert menu["text"] == "请选择语言："
    answer = await sb.press(1006, menu["message_id"], button="English")
    assert answer["answered"]
    edited = await sb.wait_until(
        1006, lambda msgs: any(m["message_id"] == menu["message_id"] and m["edited"]
                               for m in msgs))
    assert any(m["text"] == "Language set to English." for m in edited)
    [reply] = await ask(sb, 1006, "/help")
    assert reply["text"].startswith("Commands you can use:")
    async with db.transaction() as s:
        account = await s.get(Account, 1006)
        assert account is not None and account.locale == "en"

    # And back: the choice beats Telegram's language_code either way.
    [menu] = await ask(sb, 1006, "/language")
    await sb.press(1006, menu["message_id"], button="中文")
    [reply] = await ask(sb, 1006, "/help")
    assert reply["text"].startswith("您可以使用的命令")


async def test_a_forged_language_button_changes_nothing(sb: SandboxClient, db: Database) -> None:
    await sb.create_user(1007, "Eve", language_code="en")
    [menu] = await ask(sb, 1007, "/language")
    answer = await sb.press(1007, menu["message_id"], callback_data="lang:xx")
    assert answer["answered"] and answer["show_alert"]
    assert answer["text"] == "This button is no longer valid."
    async with db.transaction() as s:
        account = await s.get(Account, 1007)
        assert account is not None and account.locale is None


async def test_an_unknown_button_is_answered_not_left_spinning(sb: SandboxClient) -> None:
    await sb.create_user(1008, "Fay", language_code="en")
    [menu] = await ask(sb, 1008, "/language")
    answer = await sb.press(1008, menu["message_id"], callback_data="x:old:thing")
    assert answer["answered"] and answer["show_alert"]
    assert answer["text"] == "This button is no longer valid."


async def test_unknown_command_and_odd_input_get_a_clear_reply(sb: SandboxClient) -> None:
    await sb.create_user(1009, "Gus", language_code="en")
    [reply] = await ask(sb, 1009, "/frobnicate")
    assert "don't know that command" in reply["text"]
    # Free text is a question for the rules Q&A: the longest message Telegram allows is
    # refused as a question, control characters and markup are taken as text.
    [reply] = await ask(sb, 1009, "x" * 4096)
    assert "too long for a question" in reply["text"]
    [reply] = await ask(sb, 1009, "\u0000\u202e<b>&amp;")
    assert reply["text"] and "<b>&amp;" not in reply["text"]


async def test_each_user_is_answered_in_their_own_language(sb: SandboxClient) -> None:
    # The locale is a ContextVar set per update: it must not leak from one user to the next.
    await sb.create_user(1010, "Hao", language_code="zh-hans")
    await sb.create_user(1011, "Ivy", language_code="en")
    for _ in range(3):
        [zh] = await ask(sb, 1010, "/frobnicate")
        [en] = await ask(sb, 1011, "/frobnicate")
        assert "没有这个命令" in zh["text"]
        assert "don't know that command" in en["text"]


async def test_an_unexpected_error_is_apologised_for_in_the_users_language(
    sb: SandboxClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import handlers.common

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom with secret 38.5 fever")

    monkeypatch.setattr(handlers.common, "role_of", broken)
    await sb.create_user(1012, "小李", language_code="zh-hans")
    [reply] = await ask(sb, 1012, "/help")
    assert reply["text"] == "抱歉，系统出了点问题，请稍后再试。"
    failures = [r for r in caplog.records if r.name == "handlers.errors"]
    assert failures and "1012" in failures[0].getMessage()
    assert "38.5" not in failures[0].getMessage()


async def test_accounts_are_recorded_once(sb: SandboxClient, db: Database) -> None:
    await sb.create_user(1013, "Jo", language_code="en")
    await ask(sb, 1013, "/start")
    await ask(sb, 1013, "/help")
    async with db.transaction() as s:
        rows = (await s.scalars(select(Account).where(Account.telegram_user_id == 1013))).all()
    assert len(rows) == 1 and rows[0].chat_id == 1013 and rows[0].language_code == "en"


def _now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.now(UTC)
