"""Once a member has reported for a day, that day's prompt and reminders they were sent stop
asking: each is edited (through the outbox, once, under `answered:<outbox id>`) to say the
day is reported, without buttons. The outbox recorded the message id of every one it sent.

The message the member tapped is left to the handler, which shows the report on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Account, Member, OutboxMessage, OutboxStatus
from bot.locales import resolve_locale
from bot.services.outgoing import Outgoing
from bot.services.reports.prompts import prompt_key, reminder_key
from bot.services.reports.schedule import Schedule
from bot.services.reports.store import member_schedule

KIND_ANSWERED = "answered"


@dataclass(frozen=True)
class PromptAnswered:
    """The edit of a sent prompt or reminder: the day is reported (at `reported_at`)."""

    message_id: int
    day: date
    reported_at: datetime
    timezone: str


async def answered_prompts(session: AsyncSession, *, member: Member, day: date,
                           schedule: Schedule, reported_at: datetime, default_locale: str,
                           except_message_id: int | None = None) -> list[Outgoing]:
    """The edits of the day's prompt and reminders sent to `member` (found by their dedup
    keys, so by the unique index), except the message the member tapped."""
    keys = [prompt_key(day, member.id)] + [reminder_key(day, slot, member.id)
                                           for slot in schedule.reminders]
    rows = (await session.scalars(select(OutboxMessage).where(
        OutboxMessage.dedup_key.in_(keys), OutboxMessage.status == OutboxStatus.SENT,
        OutboxMessage.telegram_message_id.is_not(None)))).all()
    rows = [r for r in rows if r.telegram_message_id != except_message_id]
    if not rows:
        return []
    account = (await session.get(Account, member.telegram_user_id)
               if member.telegram_user_id is not None else None)
    locale = resolve_locale(account.locale if account else None,
                            account.language_code if account else None, default_locale)
    return [Outgoing(f"{KIND_ANSWERED}:{r.id}", KIND_ANSWERED, r.chat_id, locale,
                     PromptAnswered(int(r.telegram_message_id or 0), day, reported_at,
                                    schedule.timezone), member_id=member.id)
            for r in sorted(rows, key=lambda r: r.id)]


async def answered_for(session: AsyncSession, *, member_id: int, day: date,
                       reported_at: datetime, default_timezone: str, default_locale: str,
                       except_message_id: int | None = None) -> list[Outgoing]:
    """`answered_prompts` for a member by id (a handler has the saved report, not the row)."""
    member = await session.get(Member, member_id)
    if member is None:
        return []
    unit_schedule = await member_schedule(session, member, default_timezone)
    return await answered_prompts(session, member=member, day=day, schedule=unit_schedule,
                                  reported_at=reported_at, default_locale=default_locale,
                                  except_message_id=except_message_id)
