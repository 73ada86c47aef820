"""household_from_roster

Revision ID: 0010_household_from_roster
Revises: 0009_alert_reached
Create Date: 2026-12-04 15:40:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010_household_from_roster'
down_revision: str | None = '0009_alert_reached'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Which household entries a roster file gave (a re-import may change those) and which a
    # member added in the chat (kept). Entries from before are counted as the member's: no
    # record says otherwise, and keeping a name is the safe side.
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.add_column(sa.Column('from_roster', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('household', schema=None) as batch_op:
        batch_op.drop_column('from_roster')
