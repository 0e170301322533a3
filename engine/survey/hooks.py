"""How the survey joins the service: deadline marks on every registration, and the yearly start on the tick.

Why a change hook: the 31 May deadline is a boundary timer on the multi-instance task, so the
projection's host is the multi-instance task itself, which is never an open task — the residents'
registrations are its instances.  This hook, inside the same transaction as the projection, gives
each registration the deadline's due date when it opens and the overdue mark when the deadline
passes, so the inbox and the bydel's progress show them like any other deadline.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from engine import cases, clock
from engine.cases import unit_of_work
from engine.extensions import db
from engine.store.models import OpenTask, Timer
from engine.survey import start
from engine.survey.elements import DEADLINE_KEY, REGISTRATION
from engine.survey.results import record_report
from engine.timers import worker


def mark_registrations(case_id: int, changes: list[cases.Change]) -> None:
    """Due date on new registrations; overdue mark on all open ones when the 31 May deadline fires."""
    opened = any(ch.type == "task.created" and ch.element_id == REGISTRATION for ch in changes)
    missed = [ch for ch in changes if ch.type == "deadline.overdue" and (ch.data or {}).get("deadline") == DEADLINE_KEY]
    if not opened and not missed:
        return
    conn = db.session.connection()
    mine = sa.and_(OpenTask.case_id == case_id, OpenTask.element_id == REGISTRATION)
    if opened:
        due = sa.select(Timer.due_at).where(Timer.case_id == case_id, Timer.deadline_key == DEADLINE_KEY) \
            .limit(1).scalar_subquery()
        conn.execute(sa.update(OpenTask).where(mine, OpenTask.due_at.is_(None)).values(due_at=due))
    for ch in missed:
        due_at = (ch.data or {}).get("due_at")
        conn.execute(sa.update(OpenTask).where(mine).values(
            overdue_at=clock.now(), due_at=datetime.fromisoformat(due_at) if due_at else None))


def _tick(_result: Any) -> None:
    """After each timer drain: start the year's survey where it is missing (January–May)."""
    start.ensure_started(clock.today_oslo())


def init_app(app: Any) -> None:
    """Register the change hook and the tick hook on ``app`` (called by the composition root)."""
    registry = unit_of_work.hooks(app)
    for hook in (mark_registrations, record_report):
        if hook not in registry.on_changes:
            registry.on_changes.append(hook)
    worker.add_tick_hook(app, _tick)
