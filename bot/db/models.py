"""The data model: the unit tree, members and their households, the reporting chain, invites.

Health data (reports) lives in its own tables; nothing here is sensitive beyond names and phones.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.db.types import UTCDateTime

# Explicit names: Alembic's batch mode on SQLite needs them to alter constraints.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime, dict: JSON}


class Role(enum.StrEnum):
    MEMBER = "member"
    LEADER = "leader"
    ADMIN = "admin"


ROLE_TYPE = Enum(Role, name="role", native_enum=False, length=16,
                 values_callable=lambda e: [m.value for m in e])


class Unit(Base):
    """A node of the organisation's tree. `path` is the ids from the root, e.g. "/1/4/9/"."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("parent_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(512), index=True, default="")
    # Unset schedule fields are inherited from the parent (see services.schedule).
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


class ReportStatus(enum.StrEnum):
    OK = "ok"
    ABNORMAL = "abnormal"


class Report(Base):
    """One member's report for one local date; reporting again amends it (see revisions)."""

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("member_id", "report_date"),
        Index("ix_reports_date_unit", "report_date", "unit_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    # The member's unit when they reported: digests count a report where it was made.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    report_date: Mapped[date]
    status: Mapped[ReportStatus] = mapped_column(
        Enum(ReportStatus, name="report_status", native_enum=False, length=16,
             values_callable=lambda e: [m.value for m in e])
    )
    temperature: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    symptoms: Mapped[list[str]] = mapped_column(JSON, default=list)
    contact_case: Mapped[bool] = mapped_column(Boolean, default=False)
    travel: Mapped[bool] = mapped_column(Boolean, default=False)
    isolation: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(String(500), default="")
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when a leader recorded it for the member (report on behalf).
    entered_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    household: Mapped[list[HouseholdReport]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="HouseholdReport.id"
    )


class HouseholdReport(Base):
    __tablename__ = "household_reports"
    __table_args__ = (UniqueConstraint("report_id", "household_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("household.id", ondelete="SET NULL")
    )
    # Copied from the household entry: the report stays readable if the entry changes.
    relation: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    temperature: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    symptoms: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(String(500), default="")

    report: Mapped[Report] = relationship(back_populates="household")


class ReportRevision(Base):
    """What a report said before an amendment, who changed it and when."""

    __tablename__ = "report_revisions"
    __table_args__ = (UniqueConstraint("report_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    previous: Mapped[dict] = mapped_column(default=dict)


class Draft(Base):
    """A form in progress, one per Telegram user: survives restarts and other instances."""

    __tablename__ = "drafts"

    telegram_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict] = mapped_column(default=dict)
    expires_at: Mapped[datetime]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


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
