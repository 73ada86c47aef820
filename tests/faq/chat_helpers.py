"""Shared by the chat tests of the rules Q&A: the fixture knowledge base, members, and
messages the sandbox's control API cannot send (replies, over-long texts)."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.db import Database
from bot.db.models import Account, Member, OutboxMessage, Role, UnitContact
from bot.sandbox import SandboxClient
from bot.services.faq.service import Faq
from bot.services.org import units as org
from tests.support.builders import NOW
from tests.support.chat import buttons, labels, message_now, say

__all__ = ["buttons", "labels", "message_now", "say"]

KB_DIR = Path(__file__).parent / "fixtures" / "chat_kb"

JSON = dict[str, Any]


@cache
def fixture_faq() -> Faq:
    """Loaded once per test process: the handlers only read it (the reload test has its own)."""
    return Faq.load(KB_DIR)


def use_fixture_kb(app: Any, faq: Faq | None = None) -> None:
    app.bot_data.faq = faq or fixture_faq()


async def add_linked(db: Database, unit_path: Sequence[str], name: str, user_id: int, *,
                     role: Role = Role.MEMBER, locale: str | None = None,
                     contact_of: bool = False) -> int:
    """A member linked to `user_id`; `contact_of` puts them in their unit's chain."""
    async with db.transaction() as session:
        unit = await org.ensure_unit(session, list(unit_path), now=NOW)
        member = Member(unit_id=unit.id, name=name, role=role, telegram_user_id=user_id)
        session.add(member)
        if await session.get(Account, user_id) is None:
            session.add(Account(telegram_user_id=user_id, chat_id=user_id, locale=locale))
        await session.flush()
        if contact_of:
            session.add(UnitContact(unit_id=unit.id, member_id=member.id))
        return member.id


async def one_reply(sb: SandboxClient, user_id: int, text: str) -> JSON:
    [reply] = await say(sb, user_id, text)
    return reply


def send_raw(sandbox: Any, user_id: int, content: JSON) -> int:
    """A user's message with fields the control API does not offer (a reply to a message,
    a text longer than Telegram allows); returns its message_id."""
    state = sandbox.state
    state.users[user_id].started = True
    message = state.add_message(user_id, "user", content)
    state.enqueue("message", copy.deepcopy(message.payload))
    return int(message.message_id)


def reply_to(sandbox: Any, user_id: int, message_id: int, text: str) -> int:
    replied = copy.deepcopy(sandbox.state.find_message(user_id, message_id).payload)
    replied.pop("reply_to_message", None)
    return send_raw(sandbox, user_id, {"text": text, "reply_to_message": replied})


async def wait_recorded_sent(db: Database, dedup_key: str, timeout: float = 10.0) -> None:
    """Until the dispatcher has recorded the message as sent (its Telegram id with it): the
    chat shows a message a moment before its outcome is committed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        async with db.transaction() as session:
            row = await session.scalar(
                select(OutboxMessage).where(OutboxMessage.dedup_key == dedup_key))
        if row is not None and row.telegram_message_id is not None:
            return
        if loop.time() > deadline:
            raise TimeoutError(f"{dedup_key} not recorded as sent within {timeout}s")
        await asyncio.sleep(0.05)
