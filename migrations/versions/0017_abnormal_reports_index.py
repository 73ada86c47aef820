"""a partial index of the abnormal reports by day

The digests and /status read the day's abnormal reports: a few hundred of the day's 100,000
at full size. Through ix_reports_date_unit they read every report of the day to keep those
(80 ms on SQLite for the root of 100,000 members); this index holds the abnormal ones only,
so it costs nothing for the usual, normal report. On SQLite only: PostgreSQL reads the day
in 20 ms, and chose this index for the open alerts (every abnormal report of every day),
which made them slower.

Revision ID: 0017_abnormal_reports_index
Revises: 0016_daily_figures
Create Date: 2026-12-05 16:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017_abnormal_reports_index'
down_revision: str | None = '0016_daily_figures'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ABNORMAL = sa.text("status = 'abnormal'")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == 'sqlite'


def upgrade() -> None:
    if _sqlite():
        op.create_index('ix_reports_abnormal_day', 'reports', ['report_date'], unique=False,
                        sqlite_where=_ABNORMAL)


def downgrade() -> None:
    if _sqlite():
        op.drop_index('ix_reports_abnormal_day', table_name='reports')
