"""The notice being composed (/notice): a Draft row of kind "notice", and the schedule time.

The form's steps (bot.services.notices.compose) read and write it at every step, so a
restart or another instance carries on where the sender stopped.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Draft
from bot.services import drafts
from bot.services.drafts import DraftKind
from bot.services.when import parse_moment

NOTICE_DRAFT = DraftKind.NOTICE
DRAFT_TTL = timedelta(minutes=30)


class Step(enum.StrEnum):
    CONTENT = "content"
    TARGET = "target"
    ACK = "ack"
    WHEN = "when"
    PREVIEW = "preview"


@dataclass
class NoticeDraft:
    """The notice being composed; `data` of the Draft row, step in `step`."""

    step: Step = Step.CONTENT
    text: str = ""
    media_kind: str | None = None
    media_file_id: str | None = None
    # "org" (admins), "unit" (unit_id) or "leaders" (the sender's whole scope, leaders only)
    target: str | None = None
    unit_id: int | None = None
    ack: bool | None = None
    scheduled_at: datetime | None = None  # None: at once

    def as_data(self) -> dict[str, Any]:
        return {"text": self.text, "media_kind": self.media_kind,
                "media_file_id": self.media_file_id, "target": self.target,
                "unit_id": self.unit_id, "ack": self.ack,
                "at": self.scheduled_at.isoformat() if self.scheduled_at else None}

    @classmethod
    def from_row(cls, draft: Draft) -> NoticeDraft:
        d = draft.data
        at = d.get("at")
        return cls(Step(draft.step), str(d.get("text") or ""), d.get("media_kind"),
                   d.get("media_file_id"), d.get("target"), d.get("unit_id"), d.get("ack"),
                   datetime.fromisoformat(at) if at else None)


async def read_draft(session: AsyncSession, telegram_user_id: int,
                     now: datetime) -> NoticeDraft | None:
    """The user's notice draft; None when there is none (or it expired: then removed)."""
    draft = await session.get(Draft, telegram_user_id)
    if draft is None or draft.kind != NOTICE_DRAFT:
        return None
    if draft.expires_at <= now:
        await drop_draft(session, telegram_user_id)
        return None
    try:
        return NoticeDraft.from_row(draft)
    except (ValueError, TypeError):
        await drop_draft(session, telegram_user_id)
        return None


async def save_draft(session: AsyncSession, telegram_user_id: int, draft: NoticeDraft,
                     now: datetime) -> None:
    await drafts.put(session, telegram_user_id, kind=NOTICE_DRAFT, step=draft.step.value,
                     data=draft.as_data(), now=now, ttl=DRAFT_TTL)


async def drop_draft(session: AsyncSession, telegram_user_id: int) -> None:
    await session.execute(delete(Draft).where(Draft.telegram_user_id == telegram_user_id,
                                              Draft.kind == NOTICE_DRAFT))


# --- the schedule time ----------------------------------------------------------------------


MAX_AHEAD = timedelta(days=30)


def parse_when(text: str, *, now: datetime, timezone: str) -> datetime:
    """A time as people write it (`18:30`, `明晚8点`, `12月6日 08:00`, `tomorrow 8pm`), in
    `timezone`, as an aware UTC datetime between now and MAX_AHEAD from now; InvalidWhen
    otherwise (bot.services.when reads it)."""
    local_now = now.astimezone(ZoneInfo(timezone))
    return parse_moment(text, local_now, max_ahead=MAX_AHEAD).astimezone(UTC)
