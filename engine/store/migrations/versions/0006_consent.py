"""consent: the consent projection, and open tasks the service opens itself

Revision ID: 0006_consent
Revises: 0005_auth
Create Date: 2026-12-02 10:00:00

Written by hand; runs on SQLite and PostgreSQL.  ``consents`` holds every consent given, refused or
renewed in a case (issue #13: consent that acts); ``open_tasks.origin`` marks a task the service
opened (a consent renewal) so the workflow projection leaves it alone.
"""
from alembic import op
import sqlalchemy as sa

revision = '0006_consent'
down_revision = '0005_auth'
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        'consents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('given', sa.Boolean(), nullable=False),
        sa.Column('categories', sa.JSON(), nullable=False),
        sa.Column('directions', sa.JSON(), nullable=False),
        sa.Column('other_recipients', sa.JSON(), nullable=False),
        sa.Column('given_on', sa.Date(), nullable=True),
        sa.Column('valid_until', sa.Date(), nullable=True),
        sa.Column('recorded_at', TS, nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('on_behalf', sa.Boolean(), nullable=False),
        sa.Column('task_id', sa.String(length=36), nullable=True),
        sa.Column('withdrawn_at', TS, nullable=True),
        sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
        sa.Column('superseded_at', TS, nullable=True),
        sa.Column('renewal_due_at', TS, nullable=True),
        sa.Column('renewal_task_id', sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_consents_case_id_cases')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_consents_recorded_by_id_users')),
        sa.ForeignKeyConstraint(['withdrawn_by_id'], ['users.id'], name=op.f('fk_consents_withdrawn_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_consents')),
    )
    op.create_index(op.f('ix_consents_case_id'), 'consents', ['case_id'])
    op.create_index('ix_consents_renewal_due', 'consents', ['renewal_due_at', 'renewal_task_id'])
    with op.batch_alter_table('open_tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('open_tasks', schema=None) as batch_op:
        batch_op.drop_column('origin')
    op.drop_index('ix_consents_renewal_due', table_name='consents')
    op.drop_index(op.f('ix_consents_case_id'), table_name='consents')
    op.drop_table('consents')
