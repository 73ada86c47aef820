"""join_requests

Revision ID: 0014_join_requests
Revises: 0011_notice_delivery
Create Date: 2026-12-04 17:23:24.106511
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision: str = '0014_join_requests'
down_revision: str | None = '0011_notice_delivery'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Asking to join with a number not on the roster (bot.services.members.joining).
    op.create_table('join_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('telegram_user_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'approved', 'declined', name='join_status', native_enum=False, length=16), nullable=False),
    sa.Column('created_at', bot.db.types.UTCDateTime(), nullable=False),
    sa.Column('decided_at', bot.db.types.UTCDateTime(), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['decided_by'], ['members.id'], name=op.f('fk_join_requests_decided_by_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_join_requests_member_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_join_requests_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_join_requests'))
    )
    with op.batch_alter_table('join_requests', schema=None) as batch_op:
        batch_op.create_index('ix_join_requests_user_status', ['telegram_user_id', 'status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('join_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_join_requests_user_status')

    op.drop_table('join_requests')
