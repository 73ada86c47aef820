"""production: seen update ids (duplicates processed once), instance heartbeats (shared rate)

Revision ID: 0007_production_dedup_instances
Revises: 0006_faq_additions
Create Date: 2026-11-29 12:49:22.983640
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision: str = '0007_production_dedup_instances'
down_revision: str | None = '0006_faq_additions'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('bot_instances',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('started_at', bot.db.types.UTCDateTime(), nullable=False),
    sa.Column('heartbeat_at', bot.db.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bot_instances'))
    )
    with op.batch_alter_table('bot_instances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bot_instances_heartbeat_at'), ['heartbeat_at'],
                              unique=False)

    op.create_table('seen_updates',
    sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('digest', sa.String(length=16), nullable=False),
    sa.Column('seen_at', bot.db.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('update_id', name=op.f('pk_seen_updates'))
    )
    with op.batch_alter_table('seen_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seen_updates_seen_at'), ['seen_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('seen_updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_seen_updates_seen_at'))

    op.drop_table('seen_updates')
    with op.batch_alter_table('bot_instances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bot_instances_heartbeat_at'))

    op.drop_table('bot_instances')
