"""Daily reports (health data lives only here), their households' rows and revisions, the
alerts they raise, and every guided form's open Draft."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    literal_column,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db.models.base import Base, utcnow


class ReportStatus(enum.StrEnum):
    OK = "ok"
    ABNORMAL = "abnormal"


class Report(Base):
    """One member's report for one local date; reporting again amends it (see revisions)."""

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("member_id", "report_date"),
        Index("ix_reports_date_unit", "report_date", "unit_id"),
        # The day's abnormal reports (digests, /status): a few hundred of the day's 100,000,
        # found without reading the others (queries: ABNORMAL_REPORT). SQLite only: there
        # the day's reports cost 80 ms to read through; PostgreSQL does that in 20 and took
        # this index for every abnormal report of every day in the open alerts' plan (6 → 16
        # ms for a company's dashboard).
        Index("ix_reports_abnormal_day", "report_date",
              sqlite_where=text("status = 'abnormal'")).ddl_if(dialect="sqlite"),
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


# The condition of ix_reports_abnormal_day, written as the index's: a query that says
# `Report.status == ReportStatus.ABNORMAL` passes 'abnormal' as a parameter, which SQLite
# cannot prove the partial index to cover.
ABNORMAL_REPORT = Report.status == literal_column(f"'{ReportStatus.ABNORMAL.value}'")


class UnitDayReports(Base):
    """How many reports the active members of a unit (their unit now) made for a day, and
    how many of them were abnormal: what the digests and /status count for today, read in
    one row a unit instead of every report of the day joined with every member.

    Kept by the database itself, in the same transaction as the change, by the triggers of
    migration 0018 (on reports: insert, delete, a new member, day or status; on members: a
    new unit or active flag), so that no write path can forget it. `tests/digest/
    test_unit_day_reports.py` checks it against the count it stands for after random
    changes, on both databases."""

    __tablename__ = "unit_day_reports"

    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(primary_key=True)
    reports: Mapped[int] = mapped_column(Integer)
    abnormal: Mapped[int] = mapped_column(Integer)
