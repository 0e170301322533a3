"""The compliance report's fact tables (issue 16): one row per deadline instance, per case, per meeting.

Written only by ``engine.reports.facts`` as a change hook of the case unit of work — in the same
transaction as the step they describe — and read only by ``engine.reports``.  The report therefore
asks three narrow, indexed tables and never the audit trail or a workflow: 100,000 cases answer in
well under a second (bench/report.py).  Organisation ids are copied onto every row so that a
report grouped by bydel or institution needs no join.
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from engine.extensions import Model
from engine.store.models import UTCDateTime

#: ``deadline_records.state``: not yet due / kept before the deadline passed / kept after it /
#: passed and not kept (the work may still be done: then it becomes ``late``) / no longer needed
#: (an offer made it unnecessary, the stay ended first, the case was terminated).
OPEN, ON_TIME, LATE, MISSED, VOID = "open", "on_time", "late", "missed", "void"
PENDING = (OPEN, MISSED)


class DeadlineRecord(Model):
    """One deadline instance of one case: when it was due and when (if ever) its step was done."""

    __tablename__ = "deadline_records"
    __table_args__ = (
        sa.UniqueConstraint("case_id", "deadline_key", "seq", name="uq_deadline_records_case_key_seq"),
        sa.Index("ix_deadline_records_due", "due_date", "deadline_key"),
        sa.Index("ix_deadline_records_bydel_due", "bydel_id", "due_date"),
        sa.Index("ix_deadline_records_inst_due", "institution_id", "due_date"),
        # open deadlines past due (the worker has not fired them yet): the report moves them to missed
        sa.Index("ix_deadline_records_open_due", "due_at", postgresql_where=sa.text("state = 'open'"),
                 sqlite_where=sa.text("state = 'open'")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    bydel_id: Mapped[int] = mapped_column(sa.Integer)
    institution_id: Mapped[int] = mapped_column(sa.Integer)
    deadline_key: Mapped[str] = mapped_column(sa.String(100))
    seq: Mapped[int] = mapped_column(sa.Integer, default=1)          # the evaluation recurs
    step: Mapped[str | None] = mapped_column(sa.String(200))          # element id whose completion keeps it
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)            # the instant it passes (Oslo midnight after)
    due_date: Mapped[date] = mapped_column(sa.Date)                  # the last Oslo day
    due_month: Mapped[str] = mapped_column(sa.String(7))             # YYYY-MM of due_date (the period axis)
    kept_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    days_late: Mapped[int | None] = mapped_column(sa.Integer)        # Oslo days after due_date it was kept
    state: Mapped[str] = mapped_column(sa.String(10), default=OPEN)


class DeadlineRollup(Model):
    """``deadline_records`` counted by deadline, bydel, institution, month, state and days late.

    Kept by the same hook, in the same transaction, by adding −1/+1 to the buckets a row leaves and
    enters: the city-wide report over 100,000 cases reads a few ten thousand counters instead of a
    million rows.  ``days_late`` is 0 for every state but *late* (a key column cannot be NULL).
    """

    __tablename__ = "deadline_rollup"
    deadline_key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    bydel_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    institution_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    due_month: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    state: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    days_late: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    n: Mapped[int] = mapped_column(sa.Integer, default=0)


class CaseFact(Model):
    """One case's milestones: T0, offer, T1, how the stay ended, follow-up, readmission."""

    __tablename__ = "case_facts"
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), primary_key=True)
    bydel_id: Mapped[int] = mapped_column(sa.Integer, index=True)
    institution_id: Mapped[int] = mapped_column(sa.Integer, index=True)
    #: HMAC-SHA256 of the resident's identity (engine.reports.readmission); never shown or exported.
    resident_link: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    t0: Mapped[date | None] = mapped_column(sa.Date, index=True)
    offer_on: Mapped[date | None] = mapped_column(sa.Date)
    t1: Mapped[date | None] = mapped_column(sa.Date, index=True)
    t1_month: Mapped[str | None] = mapped_column(sa.String(7))
    ending: Mapped[str | None] = mapped_column(sa.String(30))        # bolig | avbrutt | tsb | … (None: not ended)
    institution_part_ended_on: Mapped[date | None] = mapped_column(sa.Date)
    followup_on: Mapped[date | None] = mapped_column(sa.Date)        # bydel follow-up (booppfølger) first seen
    stay_days: Mapped[int | None] = mapped_column(sa.Integer)        # T0 → T1
    offer_days: Mapped[int | None] = mapped_column(sa.Integer)       # offer → T1
    transition_days: Mapped[int | None] = mapped_column(sa.Integer)  # T1 → the institution's part ended
    followup_days: Mapped[int | None] = mapped_column(sa.Integer)    # T1 → bydel follow-up
    #: the smallest of 1, 2, 5 (years) within which the resident came back to an institution after T1;
    #: 99 = came back later; None = not (yet) readmitted
    readmit_within: Mapped[int | None] = mapped_column(sa.SmallInteger)


class MeetingRecord(Model):
    """A meeting held (from the meeting forms): which one, when, and which parties attended."""

    __tablename__ = "meeting_records"
    __table_args__ = (sa.Index("ix_meeting_records_held", "held_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    bydel_id: Mapped[int] = mapped_column(sa.Integer, index=True)
    institution_id: Mapped[int] = mapped_column(sa.Integer, index=True)
    meeting: Mapped[str] = mapped_column(sa.String(50))              # forste_samarbeidsmote | samarbeidsmote | …
    held_on: Mapped[date] = mapped_column(sa.Date)
    bydel_attended: Mapped[bool | None] = mapped_column(sa.Boolean)
    institution_attended: Mapped[bool | None] = mapped_column(sa.Boolean)
    resident_attended: Mapped[bool | None] = mapped_column(sa.Boolean)
