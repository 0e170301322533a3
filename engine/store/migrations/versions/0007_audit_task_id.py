"""audit trail: index on task_id

Revision ID: 0007_audit_task_id
Revises: 0006_consent
Create Date: 2026-11-28 11:40:00

A task that is no longer open is looked up in the audit trail by its id, to tell the loser of a
race «somebody completed it first» (409) rather than «no such task» (404) — issue #13.  Without an
index that look-up reads the whole trail.
"""
from alembic import op

revision = '0007_audit_task_id'
down_revision = '0006_consent'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_audit_events_task_id', 'audit_events', ['task_id'])


def downgrade():
    op.drop_index('ix_audit_events_task_id', table_name='audit_events')
