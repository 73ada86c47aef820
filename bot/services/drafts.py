"""The one open form per Telegram user: a Draft row (kind, step, data, expiry).

Every guided form keeps its state here, so a restart or another instance can carry on where
the member stopped; starting a form replaces whatever other form the user had open.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Draft

DEFAULT_TTL = timedelta(minutes=30)


class DraftKind(enum.StrEnum):
    """Every guided form there is. An update's text, contact, document or photo goes to the
    handler registered for the kind of its sender's open form (handlers/__init__.py)."""

    INVITE = "invite"  # the invite's "what is your name" step (services.members.onboarding)
    FAMILY = "family"  # /family add and rename (services.members.family)
    REPORT = "report"  # the report form (services.reports.form)
    CONTACT = "contact_add"  # /contacts add (services.digest.actions)
    REPORT_FOR = "report_for"  # /report_for (services.digest.actions)
    NOTICE = "notice"  # /notice (services.notices.broadcast)
    FAQ_ADD = "faq_add"  # /faq_add (services.faq.promote)
    ROSTER_IMPORT = "roster_import"  # /import (services.org.admin)
    DUTY_IMPORT = "duty_import"  # /duty_import
    DUTY_SWAP = "duty_swap"  # a shift swap's colleague
    VOLUNTEER = "volunteer"  # /volunteer's note (services.duty.volunteers)
    SHIFT_ADD = "shift_add"  # a shift added by buttons (services.duty.shift_form)
    HOLIDAY = "holiday"  # /holidays' day and name (services.reports.holiday_form)
    LEAVE = "leave"  # /leave by buttons: the name or the days typed (services.members.leave_form)
    SCHEDULE = "schedule"  # /setschedule's typed value (services.org.schedule_form)
    JOIN = "join"  # asking to join, for a number not on the roster (services.members.joining)


async def put(session: AsyncSession, telegram_user_id: int, *, kind: DraftKind, step: str,
              data: dict[str, Any], now: datetime, ttl: timedelta = DEFAULT_TTL) -> Draft:
    """Start or advance the user's form: it expires `ttl` after this step."""
    draft = await session.get(Draft, telegram_user_id)
    if draft is None:
        draft = Draft(telegram_user_id=telegram_user_id)
        session.add(draft)
    draft.kind, draft.step, draft.data = kind, step, data
    draft.expires_at, draft.updated_at = now + ttl, now
    return draft


async def current_data(session: AsyncSession, telegram_user_id: int, kind: DraftKind,
                       now: datetime) -> dict[str, Any] | None:
    """A copy of the data of the user's form of `kind`; None when there is none or it has
    expired (an expired one is removed)."""
    draft = await session.get(Draft, telegram_user_id)
    if draft is None or draft.kind != kind:
        return None
    if draft.expires_at <= now:
        await session.delete(draft)
        return None
    return dict(draft.data)


async def drop(session: AsyncSession, telegram_user_id: int,
               kind: DraftKind | None = None) -> None:
    """Remove the user's form (only if it is of `kind`, when given)."""
    stmt = delete(Draft).where(Draft.telegram_user_id == telegram_user_id)
    if kind is not None:
        stmt = stmt.where(Draft.kind == kind)
    await session.execute(stmt)
