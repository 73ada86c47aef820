"""The notice being composed (/notice): a Draft row of kind "notice", and the schedule time.

The form's steps (bot.services.notices.compose) read and write it at every step, so a
restart or another instance carries on where the sender stopped.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Draft
from bot.services import drafts
from bot.services.drafts import DraftKind

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
_WHEN = re.compile(r"(?:(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\s+)?(\d{1,2}):(\d{2})")


class WhenError(enum.StrEnum):
    FORMAT = "format"
    PAST = "past"
    TOO_FAR = "too_far"


class InvalidWhen(ValueError):
    def __init__(self, code: WhenError) -> None:
        super().__init__(code.value)
        self.code = code


def parse_when(text: str, *, now: datetime, timezone: str) -> datetime:
    """`HH:MM` (the next such time) or `YYYY-MM-DD HH:MM`, in `timezone`, as an aware UTC
    datetime between now and MAX_AHEAD from now; InvalidWhen otherwise."""
    cleaned = " ".join(unicodedata.normalize("NFKC", text[:64]).split())
    match = _WHEN.fullmatch(cleaned)
    if match is None or len(text) > 64:
        raise InvalidWhen(WhenError.FORMAT)
    zone = ZoneInfo(timezone)
    local_now = now.astimezone(zone)
    try:
        hhmm = time(int(match[4]), int(match[5]))
        day = (date(int(match[1]), int(match[2]), int(match[3])) if match[1]
               else local_now.date())
    except ValueError:
        raise InvalidWhen(WhenError.FORMAT) from None
    moment = datetime.combine(day, hhmm, tzinfo=zone)
    if not match[1] and moment <= local_now:
        moment = datetime.combine(day + timedelta(days=1), hhmm, tzinfo=zone)
    if moment <= local_now:
        raise InvalidWhen(WhenError.PAST)
    if moment - local_now > MAX_AHEAD:
        raise InvalidWhen(WhenError.TOO_FAR)
    return moment.astimezone(UTC)
