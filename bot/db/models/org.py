"""The unit tree, members and their households, reporting chains, invites, accounts, the
audit log, holidays and leaves. Nothing here is sensitive beyond names and phones."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db.models.base import ROLE_TYPE, Base, Role, utcnow


class Unit(Base):
    """A node of the organisation's tree. `path` is the ids from the root, e.g. "/1/4/9/"."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("parent_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(512), index=True, default="")
    # Unset schedule fields are inherited from the parent (see services.reports.schedule).
    timezone: Mapped[str | None] = mapped_column(String(64))
    prompt_time: Mapped[str | None] = mapped_column(String(5))
    reminder_times: Mapped[str | None] = mapped_column(String(64))
    deadline_time: Mapped[str | None] = mapped_column(String(5))
    digest_time: Mapped[str | None] = mapped_column(String(5))
    skip_weekends: Mapped[bool | None] = mapped_column(Boolean)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[Member]] = relationship(back_populates="unit")

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1


class Member(Base):
    __tablename__ = "members"
    # Each unit's active members, counted from the index alone (the digests' expected: 30 →
    # 9 ms on SQLite, 13 → 6 ms on PostgreSQL at 100,000 members); SQLite writes the
    # condition as its queries do ("active = 1"), so that it may use the index for them.
    __table_args__ = (Index("ix_members_active_unit", "unit_id",
                            sqlite_where=text("active = 1"), postgresql_where=text("active")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    # E.164; null for members who joined by invite without sharing a phone.
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    role: Mapped[Role] = mapped_column(ROLE_TYPE, default=Role.MEMBER)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # No reminders before quiet_end or after quiet_start ("HH:MM", unit time); null = none.
    quiet_start: Mapped[str | None] = mapped_column(String(5))
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit] = relationship(back_populates="members")
    household: Mapped[list[HouseholdEntry]] = relationship(
        back_populates="member", order_by="HouseholdEntry.position", cascade="all, delete-orphan"
    )


class Membership(Base):
    """Which unit a member belonged to from `start_day` to `end_day` (inclusive, unit-local
    dates; null: still). Written only by services.members.history.assign, with Member.unit_id
    and Member.active, so that a join, move or departure changes today and later only."""

    __tablename__ = "memberships"
    __table_args__ = (Index("ix_memberships_member_start", "member_id", "start_day"),
                      Index("ix_memberships_unit_days", "unit_id", "start_day", "end_day"))

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    start_day: Mapped[date]
    end_day: Mapped[date | None]


class DailyFigures(Base):
    """A unit's whole-subtree figures for one past day, written once when that day's
    reporting closed (services.digest.fixing) and never changed."""

    __tablename__ = "daily_figures"
    __table_args__ = (UniqueConstraint("unit_id", "day"), Index("ix_daily_figures_day", "day"))

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    day: Mapped[date]
    expected: Mapped[int] = mapped_column(Integer)
    reported: Mapped[int] = mapped_column(Integer)
    abnormal: Mapped[int] = mapped_column(Integer)
    late: Mapped[int] = mapped_column(Integer)
    on_leave: Mapped[int] = mapped_column(Integer)
    fixed_at: Mapped[datetime] = mapped_column(default=utcnow)


class HouseholdEntry(Base):
    __tablename__ = "household"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), index=True
    )
    relation: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Given by a roster file (a later import may change it) rather than added by the member
    # in the chat (/family), which an import keeps.
    from_roster: Mapped[bool] = mapped_column(Boolean, default=False)

    member: Mapped[Member] = relationship(back_populates="household")


class UnitContact(Base):
    """A link of a unit's reporting chain: who gets its digest and alerts, in `position` order."""

    __tablename__ = "unit_contacts"
    __table_args__ = (UniqueConstraint("unit_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)


class Invite(Base):
    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(ROLE_TYPE, default=Role.MEMBER)
    expires_at: Mapped[datetime]
    uses_left: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Account(Base):
    """A Telegram user who has written to the bot, linked to a member or not (yet).

    The language choice lives here rather than on Member: it belongs to whoever uses the
    chat, and a person picks it before they are linked to a roster row.
    """

    __tablename__ = "accounts"
    # Who blocked the bot: a few of the accounts, found without reading the others ("blocked"
    # beside each missing member of a digest: digest.queries.missing).
    __table_args__ = (Index("ix_accounts_blocked", "telegram_user_id",
                            sqlite_where=text("blocked_at IS NOT NULL"),
                            postgresql_where=text("blocked_at IS NOT NULL")),)

    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    locale: Mapped[str | None] = mapped_column(String(8))
    language_code: Mapped[str | None] = mapped_column(String(16))
    blocked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEntry(Base):
    """Who viewed, exported, broadcast or changed what. Never holds health details."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL")
    )
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(128), default="")
    details: Mapped[dict] = mapped_column(default=dict)


class Holiday(Base):
    """A day off for a unit and its whole subtree: nobody is prompted or expected."""

    __tablename__ = "holidays"
    __table_args__ = (UniqueConstraint("unit_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    day: Mapped[date]
    name: Mapped[str] = mapped_column(String(64), default="")


class LeaveKind(enum.StrEnum):
    LEAVE = "leave"
    EXEMPT = "exempt"


class Leave(Base):
    """A member on leave or exempt for a date range (inclusive): not prompted, not missing."""

    __tablename__ = "leaves"
    __table_args__ = (Index("ix_leaves_member_span", "member_id", "start_date", "end_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    start_date: Mapped[date]
    end_date: Mapped[date]
    kind: Mapped[LeaveKind] = mapped_column(
        Enum(LeaveKind, name="leave_kind", native_enum=False, length=16,
             values_callable=lambda e: [m.value for m in e]),
        default=LeaveKind.LEAVE,
    )
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class JoinStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class JoinRequest(Base):
    """Someone whose number is not on the roster asks to join a unit; a contact of the unit
    (else an admin) approves, which adds and links them, or declines."""

    __tablename__ = "join_requests"
    __table_args__ = (Index("ix_join_requests_user_status", "telegram_user_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(64))
    # E.164, from the contact they shared: Telegram vouches that it is their own number.
    phone: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    status: Mapped[JoinStatus] = mapped_column(
        Enum(JoinStatus, name="join_status", native_enum=False, length=16,
             values_callable=lambda e: [m.value for m in e]), default=JoinStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
