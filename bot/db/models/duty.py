"""Duty rosters: shifts, swaps, and volunteers' offers."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models.base import Base, utcnow


class Shift(Base):
    """One person's turn at a duty post on a local date of the unit (times "HH:MM"; an end
    before the start ends the next day). Cancelled shifts are kept: reminders skip them."""

    __tablename__ = "shifts"
    __table_args__ = (
        UniqueConstraint("unit_id", "day", "start", "post", "member_id"),
        Index("ix_shifts_day", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    day: Mapped[date]
    start: Mapped[str] = mapped_column(String(5))
    end: Mapped[str] = mapped_column(String(5))
    post: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           index=True)
    confirmed_at: Mapped[datetime | None]
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SwapStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class SwapRequest(Base):
    """A member asks a colleague of the same unit to take over one of their shifts."""

    __tablename__ = "swap_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("shifts.id", ondelete="CASCADE"),
                                          index=True)
    from_member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    to_member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    status: Mapped[SwapStatus] = mapped_column(
        Enum(SwapStatus, name="swap_status", native_enum=False, length=16,
             values_callable=lambda e: [m.value for m in e]),
        default=SwapStatus.PENDING,
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]


class VolunteerOffer(Base):
    """A member's offer of front-line work: which posts (keys), which weekdays (0 = Monday)."""

    __tablename__ = "volunteer_offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           unique=True)
    posts: Mapped[list[str]] = mapped_column(JSON, default=list)
    days: Mapped[list[int]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]
