"""The declarative base, naming conventions and the role every member has."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Enum,
    MetaData,
)
from sqlalchemy.orm import DeclarativeBase

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
