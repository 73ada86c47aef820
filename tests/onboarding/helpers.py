"""Builders for the onboarding tests: rosters imported, members and invites in the database."""

from __future__ import annotations

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
from tests.support.builders import NOW, csv_bytes
from tests.support.chat import ask as say
from tests.support.chat import buttons as inline_buttons
from tests.support.chat import last_id
from tests.support.chat import message_now as message

__all__ = ["NOW", "csv_bytes", "inline_buttons", "last_id", "message"]


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
    return (await say(sb, user_id, text, count=count))[-1]


async def make_invite(db: Database, unit_path: Sequence[str], *, role: Role = Role.MEMBER,
                      uses: int = 1, days: int = 7, now: datetime | None = None) -> str:
    async with db.transaction() as session:
        unit = await org.ensure_unit(session, list(unit_path), now=NOW)
        invite = await create_invite(session, unit=unit, role=role, uses=uses, days=days,
                                     created_by=None, now=now or datetime.now(UTC),
                                     actor="test")
        return invite.code
