"""What operators watch: timers due but not fired, overdue tasks, broken timers, worker heartbeats.

Administrators see every case; caseworkers see their organisations' cases (each case listed is an
access-log row, like any other read).  A non-empty *due* list or an old heartbeat means the
scheduler has stalled.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from engine import cases, clock
from engine.access import rules as access
from engine.bpmn import lanes
from engine.bpmn.lanes import Actor
from engine.errors import Forbidden, Unprocessable
from engine.extensions import db
from engine.store.models import Case, OpenTask, Timer
from engine.store.timers import SchedulerHeartbeat

STATES = ("due", "overdue", "broken", "waiting")
LIMIT = 500


@dataclass(frozen=True)
class Overview:
    state: str
    timers: list[Timer]
    overdue_tasks: list[OpenTask]
    heartbeats: list[SchedulerHeartbeat]
    now: datetime


def _scope(query, actor: Actor):
    if actor.has(lanes.ADMINISTRATOR):
        return query
    if actor.is_caseworker and actor.organisation_id is not None:
        return query.where(sa.or_(Case.bydel_id == actor.organisation_id, Case.institution_id == actor.organisation_id))
    raise Forbidden("Bare saksbehandlere og administratorer kan se frister og tidtakere.")


def overview(actor: Actor, state: str = "due") -> Overview:
    """Timers in ``state``: *due* (should have fired — backlog), *overdue* (deadline passed, task
    still open), *broken* (due time could not be computed, with the reason), *waiting* (all)."""
    if state not in STATES:
        raise Unprocessable(f"Ukjent tilstand «{state}».", {"state": [f"Bruk en av: {', '.join(STATES)}."]})
    now = clock.now()
    timers: list[Timer] = []
    tasks: list[OpenTask] = []
    if state == "overdue":
        q = (sa.select(OpenTask).join(Case, Case.id == OpenTask.case_id)
             .where(OpenTask.overdue_at.is_not(None), Case.status.in_(cases.ACTIVE)))
        tasks = list(db.session.scalars(_scope(q, actor).order_by(OpenTask.due_at).limit(LIMIT)))
        case_ids = {t.case_id for t in tasks}
    else:
        q = sa.select(Timer).join(Case, Case.id == Timer.case_id).where(Case.status.in_(cases.ACTIVE))
        if state == "due":
            q = q.where(Timer.due_at < now, Timer.broken_reason.is_(None))
        elif state == "broken":
            q = q.where(Timer.broken_reason.is_not(None))
        timers = list(db.session.scalars(_scope(q, actor).order_by(Timer.due_at.is_(None), Timer.due_at, Timer.id)
                                         .limit(LIMIT)))
        case_ids = {t.case_id for t in timers}
    for case_id in sorted(case_ids):
        access.log(actor, case_id, "list_timers")
    beats = list(db.session.scalars(sa.select(SchedulerHeartbeat).order_by(SchedulerHeartbeat.last_tick_at.desc())))
    db.session.commit()
    return Overview(state, timers, tasks, beats, now)


def heartbeat_age(beat: SchedulerHeartbeat, now: datetime) -> float:
    """Seconds since the worker last ticked."""
    return (now - clock.as_utc(beat.last_tick_at)).total_seconds()
