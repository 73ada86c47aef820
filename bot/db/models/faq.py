"""The rules Q&A: answer votes, questions handed to people, and entries promoted in the chat."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models.base import Base, utcnow


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
