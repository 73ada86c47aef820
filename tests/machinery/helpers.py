"""Seeding and clocks for the machinery tests: units with schedules, linked members."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Account, Member, OutboxMessage, OutboxStatus, Report, ReportStatus, Unit
from bot.services.org import units as org

if TYPE_CHECKING:
    from bot.db import Database
    from bot.sandbox import SandboxServer

ROOT = Path(__file__).resolve().parents[2]

SHANGHAI = "Asia/Shanghai"
MONDAY = date(2026, 11, 30)
SATURDAY = date(2026, 12, 5)


def at(day: date, hhmm: str, tz: str = SHANGHAI) -> datetime:
    """The instant `hhmm` on `day` in `tz`, as UTC."""
    h, m = (int(x) for x in hhmm.split(":"))
    return datetime.combine(day, time(h, m), tzinfo=ZoneInfo(tz)).astimezone(UTC)


def running_clock(start: datetime) -> Callable[[], datetime]:
    """A clock that starts at `start` and runs in real time (a frozen clock freezes retries)."""
    origin = datetime.now(UTC)
    return lambda: start + (datetime.now(UTC) - origin)


async def seed_unit(session: AsyncSession, path: Sequence[str] = ("Group",),
                    **fields: Any) -> Unit:
    unit = await org.ensure_unit(session, list(path), now=at(MONDAY, "00:00"))
    for key, value in fields.items():
        setattr(unit, key, value)
    await session.flush()
    return unit


async def seed_members(
    session: AsyncSession,
    unit: Unit,
    user_ids: Sequence[int],
    *,
    linked: bool = True,
    locale: str | None = None,
    language_code: str | None = None,
    **fields: Any,
) -> list[Member]:
    members = []
    for uid in user_ids:
        member = Member(unit_id=unit.id, name=f"Member {uid}",
                        telegram_user_id=uid if linked else None, **fields)
        session.add(member)
        if linked and (locale or language_code):
            session.add(Account(telegram_user_id=uid, chat_id=uid, locale=locale,
                                language_code=language_code))
        members.append(member)
    await session.flush()
    return members


async def add_report(session: AsyncSession, member: Member, day: date,
                     status: ReportStatus = ReportStatus.OK) -> None:
    session.add(Report(member_id=member.id, unit_id=member.unit_id, report_date=day,
                       status=status))
    await session.flush()


async def outbox_rows(session: AsyncSession, kind: str | None = None) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind is not None:
        stmt = stmt.where(OutboxMessage.kind == kind)
    return list((await session.scalars(stmt)).all())


async def pretend_sent(session: AsyncSession, kind: str = "prompt", *,
                       now: datetime | None = None) -> None:
    """What the dispatcher would record: every pending row of `kind` is SENT."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.kind == kind, OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.SENT, sent_at=now or datetime.now(UTC))
    )


def members_of(rows: Sequence[OutboxMessage]) -> set[int]:
    return {r.member_id for r in rows if r.member_id is not None}


def zone_where_it_is(hour: int, now: datetime | None = None) -> str:
    """A fixed-offset zone in which the real clock now reads `hour` o'clock (the minutes as in
    UTC): lets a test put a unit inside its prompt window without touching any clock."""
    utc_hour = (now or datetime.now(UTC)).hour
    offset = (hour - utc_hour + 12) % 24 - 12
    if offset == 0:
        return "Etc/GMT"
    # The Etc zones' signs are POSIX's: Etc/GMT-8 is UTC+8.
    return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def started(sandbox: Any, user_ids: Sequence[int], *, language_code: str = "en") -> None:
    """Users who pressed Start long ago, created without an update for the bot to answer."""
    for uid in user_ids:
        user = sandbox.state.upsert_user(uid, f"User {uid}", language_code=language_code)
        user.started = True


def bot_env(sandbox: SandboxServer, db: Database, home: Path, **settings: str) -> dict[str, str]:
    """The environment of a `python -m bot run` subprocess: this checkout, the sandbox's Bot
    API, the test's database, and `settings` (SEND_RATE="20", ...)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": sandbox.config.token,
        "TELEGRAM_API_BASE_URL": sandbox.url,
        "DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
        **settings,
    }
