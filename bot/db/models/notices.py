"""Notices and their recipients."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models.base import Base, utcnow


class NoticeStatus(enum.StrEnum):
    SCHEDULED = "scheduled"  # confirmed; fanned out into the outbox once scheduled_at is reached
    QUEUED = "queued"  # one outbox row per reachable recipient written
    CANCELLED = "cancelled"


class Notice(Base):
    """A notice an admin or leader broadcast to a subtree (or the organisation, or its leaders).

    The text is the author's own, in their words; the frame around it is rendered in each
    recipient's language when the outbox rows are written. Deliveries are outbox rows with
    the dedup key ``notice:<id>:<member>``; the audience and acknowledgements are
    NoticeRecipient rows.
    """

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_due", "status", "scheduled_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    author_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"))
    # Admins listed only in ADMIN_TELEGRAM_IDS have no member row.
    author_telegram_id: Mapped[int] = mapped_column(BigInteger)
    author_name: Mapped[str] = mapped_column(String(64))
    author_locale: Mapped[str] = mapped_column(String(8))
    # The target unit (shown) and its path (what the audience is drawn from): null path means
    # the whole organisation. The path is kept apart so a deleted unit never widens a notice.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"))
    scope_path: Mapped[str | None] = mapped_column(String(512))
    leaders_only: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(String(4096), default="")
    # "photo" | "document" with the Telegram file_id of the author's upload; null: text only.
    media_kind: Mapped[str | None] = mapped_column(String(16))
    media_file_id: Mapped[str | None] = mapped_column(String(256))
    ack_required: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[NoticeStatus] = mapped_column(
        Enum(NoticeStatus, name="notice_status", native_enum=False, length=16,
             values_callable=lambda e: [m.value for m in e]),
        default=NoticeStatus.SCHEDULED,
    )
    scheduled_at: Mapped[datetime]
    queued_at: Mapped[datetime | None]
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    # The sender's progress message, edited as the outbox drains; closed once nothing is
    # pending any more.
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_text: Mapped[str] = mapped_column(String(512), default="")
    progress_done: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NoticeRecipient(Base):
    """One member a notice was meant for (reachable or not), and when they acknowledged it."""

    __tablename__ = "notice_recipients"
    __table_args__ = (Index("ix_notice_recipients_member", "member_id"),)

    notice_id: Mapped[int] = mapped_column(
        ForeignKey("notices.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    # The member's unit when the notice went out: the drill-down groups by it.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    acknowledged_at: Mapped[datetime | None]
    # The copy's outcome (an OutboxStatus value), kept here once retention has purged its
    # outbox row: the notice's figures must not change when the outbox is emptied.
    delivery: Mapped[str | None] = mapped_column(String(16))
