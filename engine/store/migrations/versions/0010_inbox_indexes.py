"""inbox: indexes matching its branches and orderings; saved filters

Revision ID: 0010_inbox_indexes
Revises: 0009_report_facts
Create Date: 2026-11-28 13:30:00

Written by hand; runs on SQLite and PostgreSQL.  The inbox (issue #15 item 3, #14 item 2) reads each
way a user may act as its own query, in due-date order, a page at a time from a keyset cursor:

* ``ix_open_tasks_org_due``  — the organisation's own lane, in due order (``organisation_id`` first);
* ``ix_open_tasks_lane_due`` — the resident's lane (acted on behalf), in due order;
* ``ix_open_tasks_org_flagged`` / ``ix_open_tasks_lane_flagged`` — the same, only for tasks the
  deadline timer flagged overdue (partial), so «flagged though due later» reads a few rows, not
  every task due later;
* ``ix_open_tasks_org_step`` / ``ix_open_tasks_case_lane`` — the counts and the step list, one grouped
  aggregate per branch, read from the index alone on PostgreSQL (``INCLUDE``);
* ``ix_open_tasks_claimed``  — «mine»; ``ix_open_tasks_created`` — «newest first»;
* ``ix_cases_bydel_status`` / ``ix_cases_institution_status`` — the resident's-lane branch and the
  case list start from the organisation's active cases; ``ix_cases_name`` — sorting by name.

``saved_filters`` holds a user's named filters of the inbox and the case list (a query string).
"""
from alembic import op
import sqlalchemy as sa

revision = '0010_inbox_indexes'
down_revision = '0009_report_facts'
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
FLAGGED = sa.text('overdue_at IS NOT NULL')


def upgrade():
    op.create_index('ix_open_tasks_org_due', 'open_tasks', ['organisation_id', 'due_at', 'created_at', 'id'])
    op.create_index('ix_open_tasks_lane_due', 'open_tasks', ['lane', 'due_at', 'created_at', 'id'])
    for name, first in (('ix_open_tasks_org_flagged', 'organisation_id'), ('ix_open_tasks_lane_flagged', 'lane')):
        op.create_index(name, 'open_tasks', [first, 'due_at', 'created_at', 'id'],
                        postgresql_where=FLAGGED, sqlite_where=FLAGGED)
    # The counts and the step list (one grouped aggregate per branch) read only these (PostgreSQL:
    # index-only; SQLite ignores INCLUDE).
    op.create_index('ix_open_tasks_org_step', 'open_tasks', ['organisation_id', 'element_id'],
                    postgresql_include=['case_id', 'role', 'name', 'due_at', 'overdue_at', 'claimed_by_id'])
    op.create_index('ix_open_tasks_case_lane', 'open_tasks', ['case_id', 'lane'],
                    postgresql_include=['element_id', 'name', 'due_at', 'overdue_at', 'claimed_by_id'])
    op.create_index('ix_open_tasks_claimed', 'open_tasks', ['claimed_by_id'])
    op.create_index('ix_open_tasks_created', 'open_tasks', ['created_at', 'id'])
    op.create_index('ix_cases_bydel_status', 'cases', ['bydel_id', 'status', 'id'])
    op.create_index('ix_cases_institution_status', 'cases', ['institution_id', 'status', 'id'])
    op.create_index('ix_cases_name', 'cases', ['resident_name', 'id'])
    op.create_table(
        'saved_filters',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('list', sa.String(length=20), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('query', sa.String(length=1000), nullable=False),
        sa.Column('created_at', TS, nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_saved_filters_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_filters')),
        sa.UniqueConstraint('user_id', 'list', 'name', name='uq_saved_filters_user_list_name'),
    )


def downgrade():
    op.drop_table('saved_filters')
    for name, table in (('ix_cases_name', 'cases'), ('ix_cases_institution_status', 'cases'),
                        ('ix_cases_bydel_status', 'cases'), ('ix_open_tasks_created', 'open_tasks'),
                        ('ix_open_tasks_claimed', 'open_tasks'), ('ix_open_tasks_case_lane', 'open_tasks'),
                        ('ix_open_tasks_org_step', 'open_tasks'), ('ix_open_tasks_lane_flagged', 'open_tasks'),
                        ('ix_open_tasks_org_flagged', 'open_tasks'),
                        ('ix_open_tasks_lane_due', 'open_tasks'), ('ix_open_tasks_org_due', 'open_tasks')):
        op.drop_index(name, table_name=table)
