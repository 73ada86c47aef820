"""daily_figures

Revision ID: 0016_daily_figures
Revises: 0015_webapp_logins
Create Date: 2026-12-04 21:20:00
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision: str = '0016_daily_figures'
down_revision: str | None = '0015_webapp_logins'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Membership history: which unit each member belonged to on each (unit-local) day.
    op.create_table('memberships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('start_day', sa.Date(), nullable=False),
    sa.Column('end_day', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_memberships_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_memberships_unit_id_units'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_memberships'))
    )
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index('ix_memberships_member_start', ['member_id', 'start_day'], unique=False)
        batch_op.create_index('ix_memberships_unit_days', ['unit_id', 'start_day', 'end_day'], unique=False)
    # Each unit's subtree figures for a past day, fixed once that day's reporting closed.
    op.create_table('daily_figures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('expected', sa.Integer(), nullable=False),
    sa.Column('reported', sa.Integer(), nullable=False),
    sa.Column('abnormal', sa.Integer(), nullable=False),
    sa.Column('late', sa.Integer(), nullable=False),
    sa.Column('on_leave', sa.Integer(), nullable=False),
    sa.Column('fixed_at', bot.db.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_daily_figures_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_daily_figures')),
    sa.UniqueConstraint('unit_id', 'day', name=op.f('uq_daily_figures_unit_id'))
    )
    with op.batch_alter_table('daily_figures', schema=None) as batch_op:
        batch_op.create_index('ix_daily_figures_day', ['day'], unique=False)
    _backfill()


def _backfill() -> None:
    """Every active member belongs to their current unit since the day they were created
    (local date in the unit's zone, inherited down the tree as the schedules are)."""
    bind = op.get_bind()
    default = os.environ.get('DEFAULT_TIMEZONE') or 'Asia/Shanghai'
    units = {row.id: row for row in bind.execute(sa.text('SELECT id, path, timezone FROM units'))}

    def zone(unit_id: int) -> ZoneInfo:
        chain = [int(p) for p in units[unit_id].path.strip('/').split('/') if p]
        for i in reversed(chain):
            if i in units and units[i].timezone:
                try:
                    return ZoneInfo(units[i].timezone)
                except (KeyError, ValueError):
                    break
        return ZoneInfo(default)

    zones: dict[int, ZoneInfo] = {}
    rows = []
    for member_id, unit_id, created_at in bind.execute(sa.text(
            'SELECT id, unit_id, created_at FROM members WHERE active = :yes'), {'yes': True}):
        if isinstance(created_at, str):
            created_at = datetime.fromisoformat(created_at)
        if created_at.tzinfo is None:
            created_at = created_at.replace(tzinfo=UTC)
        tz = zones.setdefault(unit_id, zone(unit_id))
        rows.append({'member_id': member_id, 'unit_id': unit_id,
                     'start_day': created_at.astimezone(tz).date(), 'end_day': None})
    table = sa.table('memberships', sa.column('member_id', sa.Integer()),
                     sa.column('unit_id', sa.Integer()), sa.column('start_day', sa.Date()),
                     sa.column('end_day', sa.Date()))
    for i in range(0, len(rows), 5000):
        op.bulk_insert(table, rows[i:i + 5000])


def downgrade() -> None:
    with op.batch_alter_table('daily_figures', schema=None) as batch_op:
        batch_op.drop_index('ix_daily_figures_day')

    op.drop_table('daily_figures')
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index('ix_memberships_unit_days')
        batch_op.drop_index('ix_memberships_member_start')

    op.drop_table('memberships')
