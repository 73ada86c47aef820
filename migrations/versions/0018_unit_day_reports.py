"""unit_day_reports: each unit's report counts per day, kept by triggers; two partial indexes

Today's figures of the digests and /status counted every report of the day joined with every
member (40 ms for the root of 100,000 members on PostgreSQL, more on SQLite, and growing with
the organisation). This table holds those counts, one row a unit and day: reports of the
unit's active members (their unit now) and how many were abnormal.

Triggers keep it in the transaction that changes what it counts, so that no write path (the
report forms, a leader's report for a member, a roster import moving members, the purge) can
forget it:
- reports: an insert counts the report in its member's unit when the member is active; a
  delete counts it off; a change of member, day or status does both;
- members: a new unit or active flag moves the member's reports from the old count to the
  new; deleting a member first deletes their reports (counted off while the member is still
  there to say where), which their foreign key would have cascaded to anyway.
A member has one report a day at most, so each trigger adds or takes one per (unit, day).

Two partial indexes for the same reads: each unit's active members (counted from the index
alone), and the accounts that blocked the bot (a few of them, beside each missing member).

Revision ID: 0018_unit_day_reports
Revises: 0017_abnormal_reports_index
Create Date: 2026-12-05 22:10:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018_unit_day_reports'
down_revision: str | None = '0017_abnormal_reports_index'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BACKFILL = """
INSERT INTO unit_day_reports (unit_id, day, reports, abnormal)
SELECT m.unit_id, r.report_date, count(*), sum(CASE WHEN r.status = 'abnormal' THEN 1 ELSE 0 END)
FROM reports r JOIN members m ON m.id = r.member_id
WHERE m.active AND m.unit_id IS NOT NULL
GROUP BY m.unit_id, r.report_date
"""

# Add (sign 1) or take off (-1) a member's reports of every day in `unit`: the member trigger.
_SQLITE_MEMBER_REPORTS = """
INSERT INTO unit_day_reports (unit_id, day, reports, abnormal)
SELECT {row}.unit_id, report_date, {sign}, {sign} * (status = 'abnormal') FROM reports
WHERE member_id = {row}.id AND {row}.active AND {row}.unit_id IS NOT NULL
ON CONFLICT (unit_id, day) DO UPDATE
SET reports = reports + excluded.reports, abnormal = abnormal + excluded.abnormal;
"""

# One report counted in (1) or off (-1) its member's unit: the reports triggers.
_SQLITE_REPORT = """
INSERT INTO unit_day_reports (unit_id, day, reports, abnormal)
SELECT unit_id, {row}.report_date, {sign}, {sign} * ({row}.status = 'abnormal') FROM members
WHERE id = {row}.member_id AND active AND unit_id IS NOT NULL
ON CONFLICT (unit_id, day) DO UPDATE
SET reports = reports + excluded.reports, abnormal = abnormal + excluded.abnormal;
"""

_SQLITE = [
    "CREATE TRIGGER unit_day_reports_insert AFTER INSERT ON reports BEGIN"
    + _SQLITE_REPORT.format(row="NEW", sign=1) + "END",
    "CREATE TRIGGER unit_day_reports_delete AFTER DELETE ON reports BEGIN"
    + _SQLITE_REPORT.format(row="OLD", sign=-1) + "END",
    "CREATE TRIGGER unit_day_reports_change AFTER UPDATE OF member_id, report_date, status "
    "ON reports WHEN OLD.member_id IS NOT NEW.member_id "
    "OR OLD.report_date IS NOT NEW.report_date OR OLD.status IS NOT NEW.status BEGIN"
    + _SQLITE_REPORT.format(row="OLD", sign=-1) + _SQLITE_REPORT.format(row="NEW", sign=1)
    + "END",
    "CREATE TRIGGER unit_day_reports_member AFTER UPDATE OF unit_id, active ON members "
    "WHEN OLD.unit_id IS NOT NEW.unit_id OR OLD.active IS NOT NEW.active BEGIN"
    + _SQLITE_MEMBER_REPORTS.format(row="OLD", sign=-1)
    + _SQLITE_MEMBER_REPORTS.format(row="NEW", sign=1) + "END",
    "CREATE TRIGGER unit_day_reports_member_delete BEFORE DELETE ON members BEGIN "
    "DELETE FROM reports WHERE member_id = OLD.id; END",
]

_POSTGRES = [
    """
CREATE FUNCTION unit_day_reports_add(unit integer, d date, n integer, a integer)
RETURNS void LANGUAGE sql AS $$
INSERT INTO unit_day_reports AS c (unit_id, day, reports, abnormal) VALUES (unit, d, n, a)
ON CONFLICT (unit_id, day) DO UPDATE
SET reports = c.reports + EXCLUDED.reports, abnormal = c.abnormal + EXCLUDED.abnormal
$$
""",
    """
CREATE FUNCTION unit_day_reports_of_report() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    unit integer;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        SELECT unit_id INTO unit FROM members WHERE id = OLD.member_id AND active;
        IF unit IS NOT NULL THEN
            PERFORM unit_day_reports_add(unit, OLD.report_date, -1,
                                         -(OLD.status = 'abnormal')::integer);
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        SELECT unit_id INTO unit FROM members WHERE id = NEW.member_id AND active;
        IF unit IS NOT NULL THEN
            PERFORM unit_day_reports_add(unit, NEW.report_date, 1,
                                         (NEW.status = 'abnormal')::integer);
        END IF;
    END IF;
    RETURN NULL;
END
$$
""",
    """
CREATE FUNCTION unit_day_reports_of_member() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM reports WHERE member_id = OLD.id;
        RETURN OLD;
    END IF;
    IF OLD.active AND OLD.unit_id IS NOT NULL THEN
        INSERT INTO unit_day_reports AS c (unit_id, day, reports, abnormal)
        SELECT OLD.unit_id, report_date, -1, -(status = 'abnormal')::integer
        FROM reports WHERE member_id = OLD.id
        ON CONFLICT (unit_id, day) DO UPDATE
        SET reports = c.reports + EXCLUDED.reports, abnormal = c.abnormal + EXCLUDED.abnormal;
    END IF;
    IF NEW.active AND NEW.unit_id IS NOT NULL THEN
        INSERT INTO unit_day_reports AS c (unit_id, day, reports, abnormal)
        SELECT NEW.unit_id, report_date, 1, (status = 'abnormal')::integer
        FROM reports WHERE member_id = NEW.id
        ON CONFLICT (unit_id, day) DO UPDATE
        SET reports = c.reports + EXCLUDED.reports, abnormal = c.abnormal + EXCLUDED.abnormal;
    END IF;
    RETURN NULL;
END
$$
""",
    "CREATE TRIGGER unit_day_reports_report AFTER INSERT OR DELETE ON reports "
    "FOR EACH ROW EXECUTE FUNCTION unit_day_reports_of_report()",
    "CREATE TRIGGER unit_day_reports_change AFTER UPDATE OF member_id, report_date, status "
    "ON reports FOR EACH ROW WHEN (OLD.member_id IS DISTINCT FROM NEW.member_id "
    "OR OLD.report_date IS DISTINCT FROM NEW.report_date OR OLD.status IS DISTINCT FROM "
    "NEW.status) EXECUTE FUNCTION unit_day_reports_of_report()",
    "CREATE TRIGGER unit_day_reports_member AFTER UPDATE OF unit_id, active ON members "
    "FOR EACH ROW WHEN (OLD.unit_id IS DISTINCT FROM NEW.unit_id "
    "OR OLD.active IS DISTINCT FROM NEW.active) EXECUTE FUNCTION unit_day_reports_of_member()",
    "CREATE TRIGGER unit_day_reports_member_delete BEFORE DELETE ON members "
    "FOR EACH ROW EXECUTE FUNCTION unit_day_reports_of_member()",
]


def upgrade() -> None:
    op.create_table('unit_day_reports',
    sa.Column('unit_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reports', sa.Integer(), nullable=False),
    sa.Column('abnormal', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('unit_id', 'day', name=op.f('pk_unit_day_reports'))
    )
    op.execute(_BACKFILL)
    # Each unit's active members counted from an index (digest.queries.active_members), and
    # who blocked the bot found without reading every account (digest.queries.missing).
    op.create_index('ix_members_active_unit', 'members', ['unit_id'], unique=False,
                    sqlite_where=sa.text('active = 1'), postgresql_where=sa.text('active'))
    op.create_index('ix_accounts_blocked', 'accounts', ['telegram_user_id'], unique=False,
                    sqlite_where=sa.text('blocked_at IS NOT NULL'),
                    postgresql_where=sa.text('blocked_at IS NOT NULL'))
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for statement in _SQLITE if sqlite else _POSTGRES:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for name in ('insert', 'delete', 'change', 'member', 'member_delete'):
            op.execute(f'DROP TRIGGER unit_day_reports_{name}')
    else:
        for name, table in (('report', 'reports'), ('change', 'reports'),
                            ('member', 'members'), ('member_delete', 'members')):
            op.execute(f'DROP TRIGGER unit_day_reports_{name} ON {table}')
        for function in ('unit_day_reports_of_member()', 'unit_day_reports_of_report()',
                         'unit_day_reports_add(integer, date, integer, integer)'):
            op.execute(f'DROP FUNCTION {function}')
    op.drop_index('ix_accounts_blocked', table_name='accounts')
    op.drop_index('ix_members_active_unit', table_name='members')
    op.drop_table('unit_day_reports')
