"""case state as bytes: compressed workflow state behind a format tag

Revision ID: 0008_state_bytes
Revises: 0007_audit_task_id
Create Date: 2026-11-28 13:10:00

The workflow state is stored compressed (``engine.bpmn.state_codec``, issue #15): 90–115 KB of
JSON become ~12 KB. PostgreSQL needs a bytea column for that; the JSON text already there is
converted to its UTF-8 bytes, which is format 1 and still loads. SQLite keeps the column as it is:
it stores each value with its own type, so old rows stay text and new rows are BLOBs.
"""
from alembic import op

revision = '0008_state_bytes'
down_revision = '0007_audit_task_id'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ALTER TABLE cases ALTER COLUMN state TYPE bytea USING convert_to(state, 'UTF8')")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        # format 2 rows cannot go back to text; refuse rather than corrupt them
        op.execute("ALTER TABLE cases ALTER COLUMN state TYPE text USING convert_from(state, 'UTF8')")
