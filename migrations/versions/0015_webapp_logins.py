"""webapp_logins

Revision ID: 0015_webapp_logins
Revises: 0014_join_requests
Create Date: 2026-12-04 17:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision: str = '0015_webapp_logins'
down_revision: str | None = '0014_join_requests'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The dashboard's sign-ins: each Telegram initData is taken once (no replay).
    op.create_table('webapp_logins',
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('telegram_user_id', sa.BigInteger(), nullable=False),
    sa.Column('used_at', bot.db.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('digest', name=op.f('pk_webapp_logins'))
    )
    with op.batch_alter_table('webapp_logins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webapp_logins_used_at'), ['used_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('webapp_logins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webapp_logins_used_at'))

    op.drop_table('webapp_logins')
