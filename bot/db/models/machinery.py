"""The bot's own machinery: the outbox, update ids taken, and live instances."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models.base import Base, utcnow


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after retries, or Telegram refused the message itself
    BLOCKED = "blocked"  # Forbidden: the member blocked the bot or never pressed Start
    CANCELLED = "cancelled"  # no longer wanted when its turn came (e.g. already reported)


class OutboxMessage(Base):
    """Everything the bot sends on its own initiative, rendered, waiting for the dispatcher."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    # Prompts and reminders: cancelled at send time if the member has reported for this date.
    report_date: Mapped[date | None]
    # {"method": "sendMessage" | "sendPhoto" | "sendDocument", "text", "parse_mode", ...}
    payload: Mapped[dict] = mapped_column(default=dict)
    status: Mapped[OutboxStatus] = mapped_column(
        Enum(OutboxStatus, name="outbox_status", native_enum=False, length=16,
             values_callable=lambda e: [m.value for m in e]),
        default=OutboxStatus.PENDING,
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A claim's lease: a dispatcher that dies mid-send frees the row when it runs out.
    locked_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str] = mapped_column(String(256), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SeenUpdate(Base):
    """Telegram update ids already taken by some instance: a redelivered one is dropped.

    Pruned after a day (Telegram keeps updates for 24 hours, so none comes back later).
    """

    __tablename__ = "seen_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # A hash of the update's content: the same id with other content is a new update (a Bot
    # API server whose ids started again, as the sandbox's do when restarted), not a repeat.
    digest: Mapped[str] = mapped_column(String(16))
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class BotInstance(Base):
    """A running bot process's heartbeat: each dispatcher sends SEND_RATE / live instances."""

    __tablename__ = "bot_instances"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class WebAppLogin(Base):
    """Telegram initData the dashboard (bot.webapp) has signed someone in with: each is taken
    once, on whichever instance, so a copied one cannot be replayed. Rows older than
    WEBAPP_INIT_MAX_AGE are pruned (such initData is refused as expired anyway)."""

    __tablename__ = "webapp_logins"

    # SHA-256 of the initData's own hash field, hex
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger)
    used_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
