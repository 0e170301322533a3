"""one head: join the timers and webhooks branches

Revision ID: 0004_one_head
Revises: 0002_timers, 0003_webhooks
Create Date: 2026-11-28 11:00:00

Round 1 grew one migration branch per capability; from here on there is a single line of history,
so ``flask db upgrade`` (no ``heads``) is enough and a new migration has one obvious parent.
"""

revision = '0004_one_head'
down_revision = ('0002_timers', '0003_webhooks')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
