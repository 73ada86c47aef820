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


class Alert(Base):
    """The alert about one abnormal report: which chain it has reached and who handled it.

    One row per report (so one alert per member and day); `unit_id` is the unit whose chain
    got it last, `level` how many escalations that took. Never holds health details itself.
    """

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_open", "handled_at", "escalated_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    level: Mapped[int] = mapped_column(Integer, default=0)
    # The report revision last sent, and a hash of what it said: an amendment that changes
    # the details sends an update, one that changes nothing sends nothing.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    fingerprint: Mapped[str] = mapped_column(String(64), default="")
    # No unit above has a chain: escalation stops.
    top: Mapped[bool] = mapped_column(Boolean, default=False)
    # False while the alert has reached nobody (raised when no chain existed anywhere): the
    # tick sends it once a chain exists.
    reached: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    escalated_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_by: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"))
    handled_at: Mapped[datetime | None]


class FaqFeedback(Base):
    """Helpful / not helpful counts of one knowledge-base entry in one language (/faq_stats)."""

    __tablename__ = "faq_feedback"

    entry_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    locale: Mapped[str] = mapped_column(String(8), primary_key=True)
    helpful: Mapped[int] = mapped_column(Integer, default=0)
    not_helpful: Mapped[int] = mapped_column(Integer, default=0)


class FaqVote(Base):
    """One vote per user, entry and day: the unique key makes a second tap count nothing."""

    __tablename__ = "faq_votes"
    __table_args__ = (UniqueConstraint("telegram_user_id", "entry_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger)
    entry_id: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(8))
    day: Mapped[date]
    helpful: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuestionKind(enum.StrEnum):
    QUESTION = "question"
    RUMOUR = "rumour"  # a forwarded claim the rumour list does not know, sent for a look


class QuestionStatus(enum.StrEnum):
    DRAFT = "draft"  # an unknown rumour kept until the member taps "send it for a look"
    OPEN = "open"
    ANSWERED = "answered"


class Question(Base):
    """A question the knowledge base could not answer, handed to a person, and its answer."""

    __tablename__ = "questions"
    __table_args__ = (Index("ix_questions_status_unit", "status", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[QuestionKind] = mapped_column(
        Enum(QuestionKind, name="question_kind", native_enum=False, length=16,
             values_callable=lambda e: [m.value for m in e]),
        default=QuestionKind.QUESTION,
    )
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), index=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger)
    # Where the answer goes (a private chat: the user id, unless Telegram said otherwise).
    chat_id: Mapped[int] = mapped_column(BigInteger)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(String(1000))
    status: Mapped[QuestionStatus] = mapped_column(
        Enum(QuestionStatus, name="question_status", native_enum=False, length=16,
             values_callable=lambda e: [m.value for m in e]),
        default=QuestionStatus.OPEN,
    )
    answer: Mapped[str | None] = mapped_column(String(3000))
    answered_by: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"))
    # Admins listed only in ADMIN_TELEGRAM_IDS have no member row: their Telegram id.
    answered_by_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    answered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


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


class FaqAddition(Base):
    """A knowledge-base entry an admin promoted from an answered question (/faq_add).

    The YAML files in the image are the source of truth; these rows are loaded on top of them
    until `selfreport faq export-additions` has been merged into the files and the rows are
    dropped (`selfreport faq drop-additions`).
    """

    __tablename__ = "faq_additions"
    __table_args__ = (UniqueConstraint("locale", "entry_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    locale: Mapped[str] = mapped_column(String(8))
    entry_id: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(40))
    question: Mapped[str] = mapped_column(String(300))
    paraphrases: Mapped[list[str]] = mapped_column(JSON, default=list)
    answer: Mapped[str] = mapped_column(String(3500))
    source: Mapped[str | None] = mapped_column(String(300))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    # Admins listed only in ADMIN_TELEGRAM_IDS have no member row: their Telegram id.
    created_by_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # One entry per question: promoting the same question twice is refused.
    from_question_id: Mapped[int | None] = mapped_column(
        ForeignKey("questions.id", ondelete="SET NULL"), unique=True)


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
