"""webhooks: subscriptions, outbox, inbound sources and events

Revision ID: 0003_webhooks
Revises: 0001_spine
Create Date: 2026-11-23 09:50:00

Written by hand; runs on SQLite and PostgreSQL.
"""
from alembic import op
import sqlalchemy as sa

revision = '0003_webhooks'
down_revision = '0001_spine'
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        'webhook_subscriptions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('url', sa.String(length=2000), nullable=False),
        sa.Column('secret', sa.String(length=200), nullable=False),
        sa.Column('event_types', sa.JSON(), nullable=False),
        sa.Column('description', sa.String(length=300), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', TS, nullable=False),
        sa.Column('updated_at', TS, nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_subscriptions')),
    )
    op.create_table(
        'webhook_outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subscription_id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.Column('event_type', sa.String(length=50), nullable=False),
        sa.Column('msg_id', sa.String(length=64), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', TS, nullable=False),
        sa.Column('locked_until', TS, nullable=True),
        sa.Column('last_status', sa.Integer(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', TS, nullable=False),
        sa.Column('delivered_at', TS, nullable=True),
        sa.Column('dead_at', TS, nullable=True),
        sa.ForeignKeyConstraint(['subscription_id'], ['webhook_subscriptions.id'], ondelete='CASCADE',
                                name=op.f('fk_webhook_outbox_subscription_id_webhook_subscriptions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_outbox')),
        sa.UniqueConstraint('msg_id', name=op.f('uq_webhook_outbox_msg_id')),
    )
    op.create_index('ix_webhook_outbox_due', 'webhook_outbox', ['state', 'next_attempt_at'])
    op.create_index('ix_webhook_outbox_order', 'webhook_outbox', ['subscription_id', 'case_id', 'state'])
    op.create_table(
        'inbound_sources',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('secret', sa.String(length=200), nullable=False),
        sa.Column('messages', sa.JSON(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', TS, nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_sources')),
        sa.UniqueConstraint('name', name=op.f('uq_inbound_sources_name')),
    )
    op.create_table(
        'inbound_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source_id', sa.Integer(), nullable=False),
        sa.Column('webhook_id', sa.String(length=200), nullable=False),
        sa.Column('message_name', sa.String(length=100), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.Column('requested_case_id', sa.Integer(), nullable=True),
        sa.Column('external_ref', sa.String(length=200), nullable=True),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('received_at', TS, nullable=False),
        sa.Column('delivered_at', TS, nullable=True),
        sa.ForeignKeyConstraint(['source_id'], ['inbound_sources.id'],
                                name=op.f('fk_inbound_events_source_id_inbound_sources')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inbound_events')),
        sa.UniqueConstraint('source_id', 'webhook_id', name='uq_inbound_events_source_webhook'),
    )
    op.create_index('ix_inbound_events_case_state', 'inbound_events', ['case_id', 'state'])
    op.create_index(op.f('ix_inbound_events_case_id'), 'inbound_events', ['case_id'])
    op.create_index(op.f('ix_inbound_events_state'), 'inbound_events', ['state'])


def downgrade():
    op.drop_table('inbound_events')
    op.drop_table('inbound_sources')
    op.drop_table('webhook_outbox')
    op.drop_table('webhook_subscriptions')
