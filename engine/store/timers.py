"""Tables owned by the timer capability: deadline changes (with who and why) and scheduler heartbeats.

The timer projection itself (``timers``) lives in ``models`` because the spine writes it with every
case save; these two tables are only written by ``engine.deadline_changes`` and ``engine.timer_worker``.
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine import clock
from engine.extensions import Model
from engine.store.models import User, UTCDateTime


class DeadlineChange(Model):
    """One move of a case's deadline by agreement: kept forever, shown with the deadline."""

    __tablename__ = "deadline_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    deadline_key: Mapped[str | None] = mapped_column(sa.String(100))
    timer_element_id: Mapped[str] = mapped_column(sa.String(200))
    timer_task_id: Mapped[str] = mapped_column(sa.String(36))
    old_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    new_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    new_date: Mapped[date] = mapped_column(sa.Date)          # the Oslo calendar day agreed on
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    actor = relationship(User)


class SchedulerHeartbeat(Model):
    """Last sign of life of each timer worker, so a stalled scheduler can be detected."""

    __tablename__ = "scheduler_heartbeat"
    worker: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_tick_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    ticks: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    timers_fired: Mapped[int] = mapped_column(sa.BigInteger, default=0)
