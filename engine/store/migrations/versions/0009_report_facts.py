"""report facts: deadline records, case milestones, meetings (issue 16)

Revision ID: 0009_report_facts
Revises: 0008_state_bytes
Create Date: 2026-11-28 13:10:00

Written by hand; runs on SQLite and PostgreSQL.  The compliance report reads these three tables,
kept by a change hook of the unit of work (engine/reports/facts.py).  Existing cases are backfilled
from their audit trail by ``flask reports backfill`` (engine/reports/facts.py: ``backfill``) — not
here, since replaying the trail needs the application, and a migration must not.
"""
from alembic import op
import sqlalchemy as sa

revision = '0009_report_facts'
down_revision = '0008_state_bytes'
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        'deadline_records',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('bydel_id', sa.Integer(), nullable=False),
        sa.Column('institution_id', sa.Integer(), nullable=False),
        sa.Column('deadline_key', sa.String(length=100), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('step', sa.String(length=200), nullable=True),
        sa.Column('due_at', TS, nullable=False),
        sa.Column('due_date', sa.Date(), nullable=False),
        sa.Column('due_month', sa.String(length=7), nullable=False),
        sa.Column('kept_at', TS, nullable=True),
        sa.Column('days_late', sa.Integer(), nullable=True),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_deadline_records_case_id_cases')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deadline_records')),
        sa.UniqueConstraint('case_id', 'deadline_key', 'seq', name='uq_deadline_records_case_key_seq'),
    )
    op.create_index(op.f('ix_deadline_records_case_id'), 'deadline_records', ['case_id'])
    op.create_index('ix_deadline_records_due', 'deadline_records', ['due_date', 'deadline_key'])
    op.create_index('ix_deadline_records_bydel_due', 'deadline_records', ['bydel_id', 'due_date'])
    op.create_index('ix_deadline_records_inst_due', 'deadline_records', ['institution_id', 'due_date'])
    op.create_index('ix_deadline_records_open_due', 'deadline_records', ['due_at'],
                    postgresql_where=sa.text("state = 'open'"), sqlite_where=sa.text("state = 'open'"))
    op.create_table(
        'deadline_rollup',
        sa.Column('deadline_key', sa.String(length=100), nullable=False),
        sa.Column('bydel_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('institution_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('due_month', sa.String(length=7), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('days_late', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('deadline_key', 'bydel_id', 'institution_id', 'due_month', 'state', 'days_late',
                                name=op.f('pk_deadline_rollup')),
    )
    op.create_table(
        'case_facts',
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('bydel_id', sa.Integer(), nullable=False),
        sa.Column('institution_id', sa.Integer(), nullable=False),
        sa.Column('resident_link', sa.String(length=64), nullable=True),
        sa.Column('t0', sa.Date(), nullable=True),
        sa.Column('offer_on', sa.Date(), nullable=True),
        sa.Column('t1', sa.Date(), nullable=True),
        sa.Column('t1_month', sa.String(length=7), nullable=True),
        sa.Column('ending', sa.String(length=30), nullable=True),
        sa.Column('institution_part_ended_on', sa.Date(), nullable=True),
        sa.Column('followup_on', sa.Date(), nullable=True),
        sa.Column('stay_days', sa.Integer(), nullable=True),
        sa.Column('offer_days', sa.Integer(), nullable=True),
        sa.Column('transition_days', sa.Integer(), nullable=True),
        sa.Column('followup_days', sa.Integer(), nullable=True),
        sa.Column('readmit_within', sa.SmallInteger(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_facts_case_id_cases')),
        sa.PrimaryKeyConstraint('case_id', name=op.f('pk_case_facts')),
    )
    for col in ('bydel_id', 'institution_id', 'resident_link', 't0', 't1'):
        op.create_index(op.f(f'ix_case_facts_{col}'), 'case_facts', [col])
    op.create_table(
        'meeting_records',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('bydel_id', sa.Integer(), nullable=False),
        sa.Column('institution_id', sa.Integer(), nullable=False),
        sa.Column('meeting', sa.String(length=50), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=False),
        sa.Column('bydel_attended', sa.Boolean(), nullable=True),
        sa.Column('institution_attended', sa.Boolean(), nullable=True),
        sa.Column('resident_attended', sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_meeting_records_case_id_cases')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_records')),
    )
    for col in ('case_id', 'bydel_id', 'institution_id'):
        op.create_index(op.f(f'ix_meeting_records_{col}'), 'meeting_records', [col])
    op.create_index('ix_meeting_records_held', 'meeting_records', ['held_on'])


def downgrade():
    op.drop_table('meeting_records')
    op.drop_table('case_facts')
    op.drop_table('deadline_rollup')
    op.drop_table('deadline_records')
