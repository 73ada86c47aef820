"""notice_delivery

Revision ID: 0011_notice_delivery
Revises: 0010_household_from_roster
Create Date: 2026-12-04 16:10:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011_notice_delivery'
down_revision: str | None = '0010_household_from_roster'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A recipient's delivery outcome, copied from the outbox row before retention purges it.
    with op.batch_alter_table('notice_recipients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivery', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notice_recipients', schema=None) as batch_op:
        batch_op.drop_column('delivery')
