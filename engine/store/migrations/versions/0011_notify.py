"""notify: the mail outbox, notifications, e-mail preferences, deadline marks; users.email

Revision ID: 0011_notify
Revises: 0010_inbox_indexes
Create Date: 2026-11-28 16:00:00

Written by hand; runs on SQLite and PostgreSQL (issue #17).

* ``mail_outbox`` — one e-mail per row, written in the transaction of the change that caused it,
  unique by ``dedup_key``; ``message_id`` is fixed when queued, so every attempt carries the same one;
* ``notifications`` — one event for one user, unique per (user, dedup key);
* ``notify_preferences`` — immediate mail, a daily digest, or no mail;
* ``notify_deadline_marks`` — deadlines the worker's scan already announced («soon», «missed»);
* ``users.email`` — where a user's mail goes (none: no mail).

Deadlines that are already passed or within the «soon» window when this runs are marked as
announced, so the first scan after an upgrade does not ring (and mail) every overdue task there is.
"""
from datetime import datetime, timedelta, timezone

from alembic import op
import sqlalchemy as sa

revision = '0011_notify'
down_revision = '0010_inbox_indexes'
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade():
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('email', sa.String(length=320), nullable=True))
    op.create_table(
        'mail_outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dedup_key', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=50), nullable=False),
        sa.Column('to_user_id', sa.Integer(), nullable=True),
        sa.Column('to_address', sa.String(length=320), nullable=True),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('parts', sa.JSON(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.Column('message_id', sa.String(length=200), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', TS, nullable=False),
        sa.Column('locked_until', TS, nullable=True),
        sa.Column('claim_token', sa.String(length=36), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', TS, nullable=False),
        sa.Column('sent_at', TS, nullable=True),
        sa.ForeignKeyConstraint(['to_user_id'], ['users.id'], name=op.f('fk_mail_outbox_to_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_outbox')),
        sa.UniqueConstraint('dedup_key', name=op.f('uq_mail_outbox_dedup_key')),
        sa.UniqueConstraint('message_id', name=op.f('uq_mail_outbox_message_id')),
    )
    op.create_index('ix_mail_outbox_due', 'mail_outbox', ['state', 'next_attempt_at'])
    op.create_table(
        'notifications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=50), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=True),
        sa.Column('task_id', sa.String(length=36), nullable=True),
        sa.Column('link', sa.String(length=500), nullable=False),
        sa.Column('dedup_key', sa.String(length=200), nullable=False),
        sa.Column('mail', sa.String(length=10), nullable=False),
        sa.Column('created_at', TS, nullable=False),
        sa.Column('read_at', TS, nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
        sa.UniqueConstraint('user_id', 'dedup_key', name='uq_notifications_user_dedup'),
    )
    op.create_index('ix_notifications_user_read', 'notifications', ['user_id', 'read_at', 'id'])
    op.create_index('ix_notifications_mail', 'notifications', ['mail', 'user_id'])
    op.create_table(
        'notify_preferences',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('mail', sa.String(length=10), nullable=False),
        sa.Column('updated_at', TS, nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notify_preferences_user_id_users')),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notify_preferences')),
    )
    op.create_table(
        'notify_deadline_marks',
        sa.Column('task_id', sa.String(length=36), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('created_at', TS, nullable=False),
        sa.PrimaryKeyConstraint('task_id', 'kind', name=op.f('pk_notify_deadline_marks')),
    )
    now = datetime.now(timezone.utc)
    tasks = sa.table('open_tasks', sa.column('id', sa.String), sa.column('due_at', TS), sa.column('overdue_at', TS))
    marks = sa.table('notify_deadline_marks', sa.column('task_id', sa.String), sa.column('kind', sa.String),
                     sa.column('created_at', TS))
    for kind, where in (('missed', sa.or_(tasks.c.overdue_at.is_not(None), tasks.c.due_at <= now)),
                        ('soon', sa.and_(tasks.c.due_at <= now + timedelta(days=7)))):
        op.execute(marks.insert().from_select(['task_id', 'kind', 'created_at'],
                                              sa.select(tasks.c.id, sa.literal(kind), sa.literal(now, TS)).where(where)))


def downgrade():
    op.drop_table('notify_deadline_marks')
    op.drop_table('notify_preferences')
    op.drop_index('ix_notifications_mail', table_name='notifications')
    op.drop_index('ix_notifications_user_read', table_name='notifications')
    op.drop_table('notifications')
    op.drop_index('ix_mail_outbox_due', table_name='mail_outbox')
    op.drop_table('mail_outbox')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('email')
