"""drafts of the browser modeler: one working copy per process

Revision ID: 0014_drafts
Revises: 0012_collab
Create Date: 2026-11-28 16:10:00

Written by hand; runs on SQLite and PostgreSQL.  ``process_drafts`` holds the files of a process
owner's unfinished edit (#18): diagram and forms by name, the version it started from, and a
revision counter for refusing stale saves (409).
"""
from alembic import op
import sqlalchemy as sa

revision = '0014_drafts'
down_revision = '0012_collab'
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        'process_drafts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('process_key', sa.String(length=200), nullable=False),
        sa.Column('files', sa.JSON(), nullable=False),
        sa.Column('base_version_id', sa.Integer(), nullable=True),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('updated_at', TS, nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['base_version_id'], ['process_versions.id'],
                                name=op.f('fk_process_drafts_base_version_id_process_versions')),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_process_drafts_updated_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_process_drafts')),
        sa.UniqueConstraint('process_key', name=op.f('uq_process_drafts_process_key')),
    )


def downgrade():
    op.drop_table('process_drafts')
