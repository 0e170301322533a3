"""Planned meetings (issue 17): one row per meeting a convenor plans for a minutes task, and its participants.

Why a table of its own and not workflow data: a meeting is planned, moved and cancelled *before* its
minutes task is completed, and none of that steps the process; the calendar invitation needs a stable
UID and a SEQUENCE that grows with every change (RFC 5545), which live here.  The minutes task links
to its meeting by ``task_id``; completing it marks the meeting held with who attended.
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine import clock
from engine.extensions import Model
from engine.store.models import UTCDateTime

#: ``meetings.status``
PLANNED, CANCELLED, HELD = "planlagt", "avlyst", "holdt"


class Meeting(Model):
    __tablename__ = "meetings"
    #: one planned meeting per minutes task: a colleague planning the same meeting at the same time gets 409
    __table_args__ = (sa.Index("uq_meetings_task_planned", "task_id", unique=True,
                               postgresql_where=sa.text("status = 'planlagt'"), sqlite_where=sa.text("status = 'planlagt'")),)
    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(sa.String(120), unique=True)          # the iCalendar UID, never changes
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    task_id: Mapped[str] = mapped_column(sa.String(36), index=True)         # the minutes task (open_tasks.id)
    element_id: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(50))                        # forste_samarbeidsmote | samarbeidsmote | …
    convenor: Mapped[str] = mapped_column(sa.String(20))                    # bydel | institusjon (the minutes task's lane)
    organizer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str | None] = mapped_column(sa.String(300))
    video_link: Mapped[str | None] = mapped_column(sa.String(500))
    sequence: Mapped[int] = mapped_column(default=0)                        # RFC 5545 SEQUENCE; +1 per change
    status: Mapped[str] = mapped_column(sa.String(20), default=PLANNED)
    held_on: Mapped[date | None] = mapped_column(sa.Date)
    bydel_attended: Mapped[bool | None] = mapped_column(sa.Boolean)
    institution_attended: Mapped[bool | None] = mapped_column(sa.Boolean)
    resident_attended: Mapped[bool | None] = mapped_column(sa.Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    participants = relationship("MeetingParticipant", order_by="MeetingParticipant.id", cascade="all, delete-orphan")


class MeetingParticipant(Model):
    __tablename__ = "meeting_participants"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "user_id", name="uq_meeting_participants_meeting_user"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    party: Mapped[str] = mapped_column(sa.String(20))                       # bydel | institusjon | beboer
    obliged: Mapped[bool] = mapped_column(default=False)                    # the party «plikter å delta»
