"""Seeding and chat helpers for the report tests: a linked member with a household, taps on
buttons by label, and waiting for the bot's message to say something."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select

from bot.db import Database
from bot.db.models import Draft, HouseholdEntry, Member, Report, Unit
from bot.sandbox import SandboxClient
from tests.machinery.helpers import MONDAY, at, seed_members, seed_unit

__all__ = ["MONDAY", "at"]

Message = dict[str, Any]


async def seed_member(db: Database, uid: int, *, household: Sequence[tuple[str, str]] = (),
                      locale: str = "en", unit_fields: dict[str, Any] | None = None) -> int:
    """A linked member of a fresh unit (Asia/Shanghai, default schedule) with a household."""
    async with db.transaction() as s:
        unit = await s.scalar(select(Unit).where(Unit.parent_id.is_(None)))
        if unit is None:
            unit = await seed_unit(s, **(unit_fields or {}))
        [member] = await seed_members(s, unit, [uid], locale=locale)
        for i, (relation, name) in enumerate(household):
            s.add(HouseholdEntry(member_id=member.id, relation=relation, name=name,
                                 position=i))
        await s.flush()
        return member.id


async def member(db: Database, member_id: int) -> Member:
    async with db.transaction() as s:
        m = await s.get(Member, member_id)
        assert m is not None
        return m


async def stored(db: Database, member_id: int, day: date = MONDAY) -> Report | None:
    from bot.services.reports.store import get_report

    async with db.transaction() as s:
        return await get_report(s, member_id, day)


async def report_count(db: Database) -> int:
    async with db.transaction() as s:
        return int(await s.scalar(select(func.count()).select_from(Report)) or 0)


async def draft_of(db: Database, uid: int) -> Draft | None:
    async with db.transaction() as s:
        return await s.get(Draft, uid)


def labels(message: Message) -> list[str]:
    keyboard = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["text"] for row in keyboard for b in row]


def callbacks(message: Message) -> list[str]:
    keyboard = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in keyboard for b in row]


def latest_bot(messages: list[Message]) -> Message | None:
    from_bot = [m for m in messages if m["from"] == "bot" and not m.get("deleted")]
    return from_bot[-1] if from_bot else None


async def says(sb: SandboxClient, uid: int, text: str, timeout: float = 10) -> Message:
    """The bot's latest message, once it contains `text` (sent or edited)."""
    def ok(messages: list[Message]) -> bool:
        last = latest_bot(messages)
        return last is not None and text in (last.get("text") or "")

    messages = await sb.wait_until(uid, ok, timeout=timeout)
    last = latest_bot(messages)
    assert last is not None
    return last


async def tap(sb: SandboxClient, uid: int, label: str) -> dict[str, Any]:
    """Press the button labelled `label` on the newest bot message that has one."""
    for message in reversed(await sb.chat(uid)):
        if message["from"] == "bot" and label in labels(message):
            answer: dict[str, Any] = await sb.press(uid, message["message_id"], button=label)
            assert answer["answered"], answer
            return answer
    raise AssertionError(f"no button {label!r} in chat {uid}: {await sb.chat(uid)}")


async def send(sb: SandboxClient, uid: int, text: str) -> Message:
    """Send text and return the bot's first reply to it."""
    sent = await sb.send_text(uid, text)
    [reply, *_rest] = await sb.wait_for_bot_messages(uid, after=sent["message_id"])
    return reply
