"""The one definition of a *due timer*, and the queries every timer reader shares.

A timer is due when its ``due_at`` lies strictly before now (SpiffWorkflow fires only when
``due < now``), it is not broken, and its case can take a step.  A case in *error* is woken only
for a timer that fell due after the error: if that wake fails too, ``error_at`` moves past the
due time and the worker stops trying (an administrator repairs it), so one broken case never
blocks the others nor loops.  The worker, the ``flask timers fire`` command, the tests, the
stuck list and ``/metrics`` all read due timers through this module.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from engine.extensions import db
from engine.store import status
from engine.store.models import Case, Timer


def pending() -> Any:
    """Armed (not broken) timers of active cases, due or not."""
    return sa.and_(Timer.due_at.is_not(None), Timer.broken_reason.is_(None), Case.status.in_(status.ACTIVE))


def overdue(now: datetime) -> Any:
    """Armed timers of active cases whose due time has passed (whether or not a worker may take them)."""
    return sa.and_(Timer.due_at < now, Timer.broken_reason.is_(None), Case.status.in_(status.ACTIVE))


def claimable(now: datetime) -> Any:
    """Due timers a worker may fire now (see the module docstring for the rule on cases in error)."""
    return sa.and_(
        Timer.due_at < now, Timer.broken_reason.is_(None),
        sa.or_(Case.status == status.RUNNING,
               sa.and_(Case.status == status.ERROR, sa.or_(Case.error_at.is_(None), Case.error_at < Timer.due_at))))


def due_task_ids(case_id: int, now: datetime) -> set[str]:
    """Engine task ids of the case's timers that are due (to tell afterwards which of them fired)."""
    return set(db.session.scalars(sa.select(Timer.task_id).where(
        Timer.case_id == case_id, Timer.due_at < now, Timer.broken_reason.is_(None))))


def next_due_at() -> datetime | None:
    """The earliest due time of a running case's timer (walks the ``due_at`` index)."""
    return db.session.scalar(sa.select(Timer.due_at).join(Case, Case.id == Timer.case_id)
                             .where(Timer.due_at.is_not(None), Timer.broken_reason.is_(None),
                                    Case.status == status.RUNNING)
                             .order_by(Timer.due_at).limit(1))


def overdue_stats(now: datetime) -> tuple[int, datetime | None]:
    """How many armed timers of active cases are past due, and the oldest due time among them."""
    row = db.session.execute(sa.select(sa.func.count(), sa.func.min(Timer.due_at))
                             .select_from(Timer).join(Case, Case.id == Timer.case_id)
                             .where(overdue(now))).one()
    return int(row[0]), row[1]
