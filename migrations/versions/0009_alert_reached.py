"""alert_reached

Revision ID: 0009_alert_reached
Revises: 0008_duty_rosters
Create Date: 2026-11-29 12:50:06.002804
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009_alert_reached'
down_revision: str | None = '0008_duty_rosters'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Alerts from before this column count as reached: they keep the old behaviour.
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reached', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_column('reached')
