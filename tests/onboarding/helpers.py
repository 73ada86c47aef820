"""Builders shared by the onboarding tests: rosters as bytes, members in the database."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.db import Database
from bot.db.models import HouseholdEntry, Member, Role
from bot.sandbox import SandboxClient
from bot.services.members.onboarding import create_invite
from bot.services.org import units as org
from bot.services.roster.apply import ImportSummary, import_roster
from bot.services.roster.file import read_roster

HEADER = ("unit", "name", "phone", "role", "household", "digest")
NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai, a Monday


def csv_bytes(rows: Sequence[Sequence[str]], header: Sequence[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


async def run_import(db: Database, data: bytes, *, dry_run: bool = False,
                     skip_bad: bool = False, now: datetime = NOW) -> ImportSummary:
    parsed = read_roster(data, filename="roster.csv")
    async with db.transaction() as session:
        return await import_roster(session, parsed, now=now, dry_run=dry_run,
                                   skip_bad=skip_bad, actor="test", source="roster.csv")


async def add_member(db: Database, unit_path: Sequence[str], name: str, *,
                     phone: str | None = None, telegram_user_id: int | None = None,
                     role: Role = Role.MEMBER, household: Sequence[tuple[str, str]] = (),
                     active: bool = True) -> int:
    async with db.transaction() as session:
        unit = await org.ensure_unit(session, list(unit_path), now=NOW)
        member = Member(unit_id=unit.id, name=name, phone=phone, role=role, active=active,
                        telegram_user_id=telegram_user_id)
        member.household = [HouseholdEntry(relation=r, name=n, position=i)
                            for i, (r, n) in enumerate(household)]
        session.add(member)
        await session.flush()
        return member.id


# --- talking to the bot through the sandbox --------------------------------------------------


async def ask(sb: SandboxClient, user_id: int, text: str, count: int = 1) -> dict[str, Any]:
    """Send `text`; the bot's (last of `count`) reply."""
    sent = await sb.send_text(user_id, text)
    replies = await sb.wait_for_bot_messages(user_id, after=sent["message_id"], count=count)
    return replies[-1]


async def last_id(sb: SandboxClient, user_id: int) -> int:
    messages = await sb.chat(user_id)
    return int(messages[-1]["message_id"]) if messages else 0


async def message(sb: SandboxClient, user_id: int, message_id: int) -> dict[str, Any]:
    """A message as it is now (edits applied)."""
    [found] = [m for m in await sb.chat(user_id) if m["message_id"] == message_id]
    return found


def inline_buttons(msg: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, callback_data) of every inline button of a message, row by row."""
    markup = msg.get("reply_markup") or {}
    return [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", [])
            for b in row]


async def make_invite(db: Database, unit_path: Sequence[str], *, role: Role = Role.MEMBER,
                      uses: int = 1, days: int = 7, now: datetime | None = None) -> str:
    async with db.transaction() as session:
        unit = await org.ensure_unit(session, list(unit_path), now=NOW)
        invite = await create_invite(session, unit=unit, role=role, uses=uses, days=days,
                                     created_by=None, now=now or datetime.now(UTC),
                                     actor="test")
        return invite.code
