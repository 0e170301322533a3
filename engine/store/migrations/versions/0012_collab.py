"""collab: comments (with revisions) and attachments of a case

Revision ID: 0012_collab
Revises: 0011_notify
Create Date: 2026-11-28 16:00:00

Written by hand; runs on SQLite and PostgreSQL (issue #17). Nothing here is ever deleted: a
comment's earlier texts are ``comment_revisions``, a deleted comment or attachment is marked.
"""
from alembic import op
import sqlalchemy as sa

revision = '0012_collab'
down_revision = '0011_notify'
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        'comments',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('case_id', sa.Integer(), sa.ForeignKey('cases.id'), nullable=False),
        sa.Column('task_id', sa.String(36)),
        sa.Column('element_id', sa.String(200)),
        sa.Column('author_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('lane', sa.String(20), nullable=False),
        sa.Column('category', sa.String(40), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('mentions', sa.JSON(), nullable=False),
        sa.Column('created_at', TS, nullable=False),
        sa.Column('edited_at', TS),
        sa.Column('deleted_at', TS),
        sa.Column('deleted_by_id', sa.Integer(), sa.ForeignKey('users.id')),
    )
    op.create_index('ix_comments_case_id', 'comments', ['case_id'])
    op.create_index('ix_comments_task_id', 'comments', ['task_id'])
    op.create_table(
        'comment_revisions',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('comment_id', sa.Integer(), sa.ForeignKey('comments.id'), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('written_at', TS, nullable=False),
        sa.Column('replaced_at', TS, nullable=False),
        sa.Column('replaced_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
    )
    op.create_index('ix_comment_revisions_comment_id', 'comment_revisions', ['comment_id'])
    op.create_table(
        'attachments',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('case_id', sa.Integer(), sa.ForeignKey('cases.id'), nullable=False),
        sa.Column('task_id', sa.String(36)),
        sa.Column('form', sa.String(200)),
        sa.Column('field', sa.String(200)),
        sa.Column('sha256', sa.String(64), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('content_type', sa.String(120), nullable=False),
        sa.Column('filename', sa.String(255), nullable=False),
        sa.Column('lane', sa.String(20), nullable=False),
        sa.Column('category', sa.String(40), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('uploaded_at', TS, nullable=False),
        sa.Column('deleted_at', TS),
    )
    op.create_index('ix_attachments_case_id', 'attachments', ['case_id'])
    op.create_index('ix_attachments_sha256', 'attachments', ['sha256'])


def downgrade():
    op.drop_table('attachments')
    op.drop_table('comment_revisions')
    op.drop_table('comments')
