"""timers: deadline changes and scheduler heartbeats

Revision ID: 0002_timers
Revises: 0001_spine
Create Date: 2026-11-23 09:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0002_timers'
down_revision = '0001_spine'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'deadline_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('deadline_key', sa.String(length=100), nullable=True),
        sa.Column('timer_element_id', sa.String(length=200), nullable=False),
        sa.Column('timer_task_id', sa.String(length=36), nullable=False),
        sa.Column('old_due_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('new_due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('new_date', sa.Date(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_deadline_changes_case_id_cases')),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_deadline_changes_actor_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deadline_changes')),
    )
    with op.batch_alter_table('deadline_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadline_changes_case_id'), ['case_id'], unique=False)
    op.create_table(
        'scheduler_heartbeat',
        sa.Column('worker', sa.String(length=200), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_tick_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ticks', sa.BigInteger(), nullable=False),
        sa.Column('timers_fired', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('worker', name=op.f('pk_scheduler_heartbeat')),
    )


def downgrade():
    op.drop_table('scheduler_heartbeat')
    with op.batch_alter_table('deadline_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadline_changes_case_id'))
    op.drop_table('deadline_changes')
