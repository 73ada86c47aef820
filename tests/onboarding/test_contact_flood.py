"""Three hundred members share their phone within seconds (as after a notice asking them
to link): Telegram answers some replies with 429 and a retry_after, and every member must
still get their welcome (bot.runtime.replies). The sandbox applies Telegram's overall limit
of 30 messages a second."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.db import Database
from bot.db.models import Member, Unit
from bot.sandbox import SandboxClient, SandboxConfig, SandboxServer

MEMBERS = 300


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    """Telegram's overall limit (30/s, a short burst), no per-chat one: each member sends once."""
    server = SandboxServer(SandboxConfig(global_rate=30.0, global_burst=5, per_chat_burst=50))
    await server.start(host="127.0.0.1", port=0)
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """As production runs it: updates of different chats handled eight at once."""
    return settings.model_copy(update={"update_concurrency": 8})


@pytest.mark.usefixtures("bot_app")
async def test_three_hundred_contacts_at_once_all_get_their_welcome(
    sb: SandboxClient, sandbox: SandboxServer, db: Database
) -> None:
    async with db.transaction() as s:
        unit = Unit(name="Group", path="")
        s.add(unit)
        await s.flush()
        unit.path = f"/{unit.id}/"
        s.add_all(Member(unit_id=unit.id, name=f"Member {i}", phone=f"+86138{i:08d}")
                  for i in range(MEMBERS))
    users = range(5000, 5000 + MEMBERS)
    for i, uid in enumerate(users):
        await sb.create_user(uid, f"M{i}", language_code="en", phone_number=f"86138{i:08d}")
    sent: dict[int, Any] = dict(zip(users, await asyncio.gather(
        *(sb.send_own_contact(uid) for uid in users)), strict=True))

    async def welcomed(uid: int) -> bool:
        replies = await sb.wait_for_bot_messages(uid, after=sent[uid]["message_id"],
                                                 timeout=180)
        return any("Welcome, Member" in (m.get("text") or "") for m in replies)

    answered = await asyncio.gather(*(welcomed(uid) for uid in users))
    assert answered.count(True) == MEMBERS
    async with db.transaction() as s:
        linked = await s.scalar(select(func.count()).select_from(Member).where(
            Member.telegram_user_id.is_not(None)))
    assert linked == MEMBERS
    # The welcomes take their turns within SEND_RATE (bot.runtime.replies shares the
    # dispatcher's pace), so Telegram has hardly a reason to push back; those it does push
    # back are waited out (tests/digest/test_status.py has the per-chat case).
    assert (await sb.stats())["errors"]["400"] == 0
