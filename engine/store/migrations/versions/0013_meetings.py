"""meetings: planned meetings of a case and their participants (issue 17)

Revision ID: 0013_meetings
Revises: 0014_drafts
Create Date: 2026-11-28 16:10:00

Written by hand; runs on SQLite and PostgreSQL.  ``meetings`` holds one planned meeting per minutes
task (a cancelled one stays, and a new one may be planned), with its iCalendar UID and SEQUENCE;
``meeting_participants`` who was invited, from which party, and whether that party «plikter å delta».
"""
from alembic import op
import sqlalchemy as sa

revision = '0013_meetings'
down_revision = '0014_drafts'
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
PLANNED = sa.text("status = 'planlagt'")


def upgrade():
    op.create_table(
        'meetings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('uid', sa.String(length=120), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.String(length=36), nullable=False),
        sa.Column('element_id', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=50), nullable=False),
        sa.Column('convenor', sa.String(length=20), nullable=False),
        sa.Column('organizer_id', sa.Integer(), nullable=False),
        sa.Column('starts_at', TS, nullable=False),
        sa.Column('ends_at', TS, nullable=False),
        sa.Column('place', sa.String(length=300), nullable=True),
        sa.Column('video_link', sa.String(length=500), nullable=True),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('held_on', sa.Date(), nullable=True),
        sa.Column('bydel_attended', sa.Boolean(), nullable=True),
        sa.Column('institution_attended', sa.Boolean(), nullable=True),
        sa.Column('resident_attended', sa.Boolean(), nullable=True),
        sa.Column('created_at', TS, nullable=False),
        sa.Column('updated_at', TS, nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_meetings_case_id_cases')),
        sa.ForeignKeyConstraint(['organizer_id'], ['users.id'], name=op.f('fk_meetings_organizer_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings')),
        sa.UniqueConstraint('uid', name=op.f('uq_meetings_uid')),
    )
    op.create_index(op.f('ix_meetings_case_id'), 'meetings', ['case_id'])
    op.create_index(op.f('ix_meetings_task_id'), 'meetings', ['task_id'])
    op.create_index('uq_meetings_task_planned', 'meetings', ['task_id'], unique=True,
                    postgresql_where=PLANNED, sqlite_where=PLANNED)
    op.create_table(
        'meeting_participants',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('party', sa.String(length=20), nullable=False),
        sa.Column('obliged', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_participants_meeting_id_meetings')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_meeting_participants_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_participants')),
        sa.UniqueConstraint('meeting_id', 'user_id', name='uq_meeting_participants_meeting_user'),
    )
    op.create_index(op.f('ix_meeting_participants_meeting_id'), 'meeting_participants', ['meeting_id'])


def downgrade():
    op.drop_table('meeting_participants')
    op.drop_table('meetings')
