"""auth: external identities, server-side sessions, login attempts

Revision ID: 0005_auth
Revises: 0004_one_head
Create Date: 2026-11-28 10:20:00

Written by hand; runs on SQLite and PostgreSQL.  Follows the single head (``0004_one_head`` joined
the earlier branches), so the history keeps one head.
"""
from alembic import op
import sqlalchemy as sa

revision = '0005_auth'
down_revision = '0004_one_head'
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        'user_identities',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('provider', sa.String(length=300), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('created_at', TS, nullable=False),
        sa.Column('last_login_at', TS, nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name='fk_user_identities_user_id_users'),
        sa.PrimaryKeyConstraint('id', name='pk_user_identities'),
        sa.UniqueConstraint('provider', 'subject', name='uq_user_identities_provider_subject'),
    )
    op.create_index('ix_user_identities_user_id', 'user_identities', ['user_id'])
    op.create_table(
        'user_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('method', sa.String(length=40), nullable=False),
        sa.Column('acr', sa.String(length=100), nullable=True),
        sa.Column('address', sa.String(length=64), nullable=True),
        sa.Column('user_agent', sa.String(length=300), nullable=True),
        sa.Column('created_at', TS, nullable=False),
        sa.Column('last_seen_at', TS, nullable=False),
        sa.Column('ended_at', TS, nullable=True),
        sa.Column('end_reason', sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name='fk_user_sessions_user_id_users'),
        sa.PrimaryKeyConstraint('id', name='pk_user_sessions'),
        sa.UniqueConstraint('token_hash', name='uq_user_sessions_token_hash'),
    )
    op.create_index('ix_user_sessions_user_id', 'user_sessions', ['user_id'])
    op.create_index('ix_user_sessions_ended_at', 'user_sessions', ['ended_at'])
    op.create_table(
        'login_attempts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', TS, nullable=False),
        sa.Column('username', sa.String(length=80), nullable=True),
        sa.Column('address', sa.String(length=64), nullable=True),
        sa.Column('succeeded', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_login_attempts'),
    )
    op.create_index('ix_login_attempts_at', 'login_attempts', ['at'])
    op.create_index('ix_login_attempts_username', 'login_attempts', ['username'])
    op.create_index('ix_login_attempts_address', 'login_attempts', ['address'])


def downgrade():
    op.drop_table('login_attempts')
    op.drop_table('user_sessions')
    op.drop_table('user_identities')
