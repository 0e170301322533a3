"""Bring the projection tables (open tasks, timers) in line with a workflow, inside the caller's transaction.

Caseworkers read these tables, never a workflow, so they must change in the same commit as the
state they describe.  Core statements rather than ORM objects: this runs on every step and is
the hot path.  Both functions return the audit changes they imply (a task opened, a timer fired,
a deadline passed).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from engine import clock
from engine.access import rules as access
from engine.bpmn import lanes
from engine.bpmn.runtime import ProcessEngine
from engine.bpmn.timers import TimerInfo
from engine.cases.changes import Change
from engine.extensions import db
from engine.store.models import AuditEvent, Case, OpenTask, Timer


def _execute(statement: Any, params: Any = None) -> Any:
    return db.session.connection().execute(statement, params) if params is not None \
        else db.session.connection().execute(statement)


#: The updated case row inside the UPDATE's RETURNING.  Spelled out: SQLite renders RETURNING
#: columns unqualified, so ``Case.id`` there would become ``id`` — the subquery's own column.
CASE_ROW_ID: Any = sa.literal_column("cases.id")


def missed_watch_probe() -> Any:
    """Has a deadline watch of the case fired before its step opened?  (In the case UPDATE's RETURNING.)"""
    return sa.exists().where(AuditEvent.case_id == CASE_ROW_ID, AuditEvent.type == "deadline.overdue",
                             AuditEvent.task_id.is_(None))


class _IdList(FunctionElement):
    """The ids of a correlated subquery as one space-separated string (each dialect's own aggregate)."""

    type = sa.Text()
    name = "id_list"
    inherit_cache = True


@compiles(_IdList)
def _id_list_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"group_concat({compiler.process(element.clauses, **kw)}, ' ')"


@compiles(_IdList, "postgresql")
def _id_list_postgresql(element: Any, compiler: Any, **kw: Any) -> str:
    return f"string_agg({compiler.process(element.clauses, **kw)}, ' ')"


def open_tasks_probe() -> Any:
    """The ids of the case's workflow task rows, in the case UPDATE's RETURNING (the diff's old side)."""
    return (sa.select(_IdList(OpenTask.id)).where(OpenTask.case_id == CASE_ROW_ID, OpenTask.origin.is_(None))
            .scalar_subquery())


def timers_probe() -> Any:
    """Has the case any timer row?  (In the case UPDATE's RETURNING: most steps of most cases have none.)"""
    return sa.exists().where(Timer.case_id == CASE_ROW_ID)


# Built once: constructing SQLAlchemy statements costs more than running them on this path.
_OPEN_ROWS = sa.select(OpenTask.id, OpenTask.element_id, OpenTask.name, OpenTask.lane).where(
    OpenTask.case_id == sa.bindparam("case_id"), OpenTask.origin.is_(None))   # tasks the service opened are not the workflow's
_ROWS_BY_ID = sa.select(OpenTask.id, OpenTask.element_id, OpenTask.name, OpenTask.lane).where(
    OpenTask.id.in_(sa.bindparam("ids", expanding=True)))
_DELETE_TASKS = sa.delete(OpenTask).where(OpenTask.id.in_(sa.bindparam("ids", expanding=True)))
_INSERT_TASKS = sa.insert(OpenTask)
_TIMER_ROWS = sa.select(Timer.id, Timer.task_id, Timer.due_at, Timer.kind, Timer.element_id, Timer.deadline_key,
                        Timer.host_task_id, Timer.host_element_id, Timer.broken_reason, Timer.name
                        ).where(Timer.case_id == sa.bindparam("case_id"))
_DELETE_TIMERS = sa.delete(Timer).where(Timer.id.in_(sa.bindparam("ids", expanding=True)))
_INSERT_TIMERS = sa.insert(Timer)


def project_tasks(engine: ProcessEngine, case: Case, wf: Any, now: datetime, *,
                  missed_watches: bool = True, open_ids: str | None | bool = False) -> list[Change]:
    """Insert rows for newly READY human tasks and delete rows of tasks that are no longer ready.

    ``missed_watches`` false (the caller's UPDATE found no watch that fired early) skips the
    audit lookup in ``_mark_late_steps``.  ``open_ids`` is :func:`open_tasks_probe`'s answer when
    the caller has it (``None``: no rows); the rows are then read only for tasks closed without
    being done (their names go into the audit trail).  ``False``: read them here.
    """
    parties = access.parties(case)
    ready = {t.id: t for t in engine.ready_tasks(wf)}
    if open_ids is False:
        existing = {r.id: r for r in _execute(_OPEN_ROWS, {"case_id": case.id})}
        ids = set(existing)
    else:
        existing = {}
        ids = set(str(open_ids).split()) if open_ids else set()
    gone = ids - set(ready)
    events: list[Change] = []
    if gone:
        # Closed without being done (the stay ended, an offer made the søknader unnecessary …): say so.
        cancelled = [i for i in sorted(gone) if not engine.task_completed(wf, i)]
        if cancelled and not existing:
            existing = {r.id: r for r in _execute(_ROWS_BY_ID, {"ids": cancelled})}
        _execute(_DELETE_TASKS, {"ids": list(gone)})
        events += [Change("task.cancelled", element_id=existing[i].element_id, task_id=i,
                          data={"name": existing[i].name, "lane": existing[i].lane}) for i in cancelled]
    rows: list[dict[str, Any]] = []
    for task_id, t in ready.items():
        if task_id in ids:
            continue
        rows.append(dict(id=task_id, case_id=case.id, element_id=t.element_id, name=t.name, lane=t.lane,
                         role=t.role, form=t.form, ui_form=t.ui_form, created_at=now,
                         organisation_id=lanes.lane_organisation(t.lane, parties),
                         # every row has every key: one executemany needs one parameter shape, and a
                         # late step (_mark_late_steps) sets these on some rows only
                         due_at=None, overdue_at=None))
        events.append(Change("task.created", element_id=t.element_id, task_id=task_id,
                             data={"name": t.name, "lane": t.lane, "role": t.role}))
    if rows:
        if missed_watches:
            _mark_late_steps(case, rows, now)
        _execute(_INSERT_TASKS, rows)
    return events


def _mark_late_steps(case: Case, rows: list[dict[str, Any]], now: datetime) -> None:
    """A step whose deadline watch fired before the step could open is overdue from the moment it opens.

    The watch recorded ``deadline.overdue`` for the step's element with no task (there was none).
    """
    missed: dict[str, datetime] = {}
    for element_id, data in db.session.connection().execute(
            sa.select(AuditEvent.element_id, AuditEvent.data).where(
                AuditEvent.case_id == case.id, AuditEvent.type == "deadline.overdue", AuditEvent.task_id.is_(None),
                AuditEvent.element_id.in_({r["element_id"] for r in rows})).order_by(AuditEvent.id)):
        if (data or {}).get("due_at"):
            missed[element_id] = datetime.fromisoformat(data["due_at"])
    for r in rows:
        if r["element_id"] in missed:
            r.update(due_at=missed[r["element_id"]], overdue_at=now)


def _rearmed(row: Any, due: datetime | None, new: TimerInfo | None, now: datetime) -> list[Change]:
    """The same deadline armed again from a new anchor date (e.g. the actual T0): moved, not missed."""
    if new is None or due is None or due <= now or new.due is None or new.due == due:
        return []
    return [Change("deadline.changed", element_id=new.element_id, task_id=new.task_id,
                   data={"deadline": row.deadline_key, "old_due_at": due.isoformat(), "new_due_at": new.due.isoformat(),
                         "steg": new.host_element_id, "reason": "Regnet på nytt fra ny ankerdato."})]


def _fired(element_id: str, task_id: str, due: datetime, kind: str, deadline_key: str | None,
           host_element_id: str | None, host_task_id: str | None, now: datetime) -> list[Change]:
    """The audit changes of a fired timer; a deadline also marks its task overdue."""
    events = [Change("timer.fired", element_id=element_id, task_id=task_id,
                     data={"due_at": due.isoformat(), "kind": kind, "deadline": deadline_key})]
    if kind == "deadline":
        events.append(Change("deadline.overdue", element_id=host_element_id, task_id=host_task_id,
                             data={"deadline": deadline_key, "due_at": due.isoformat(), "timer": element_id}))
        if host_task_id:
            _execute(sa.update(OpenTask).where(OpenTask.id == host_task_id).values(overdue_at=now, due_at=due))
    return events


def project_timers(engine: ProcessEngine, case: Case, wf: Any, now: datetime, *,
                   had_timers: bool = True, waiting: list[TimerInfo] | None = None) -> list[Change]:
    """Replace the case's timer rows; a timer that went away after its due time has fired.

    ``had_timers`` false (the caller's UPDATE found no timer row of the case) skips the SELECT.
    ``waiting`` is ``engine.waiting_timers(wf)`` when the caller has it already (it walks the tree).
    """
    by_task: dict[str, TimerInfo] = {t.task_id: t for t in (engine.waiting_timers(wf) if waiting is None else waiting)}
    rows = {r.task_id: r for r in _execute(_TIMER_ROWS, {"case_id": case.id})} if had_timers else {}
    events: list[Change] = []
    gone = [r for task_id, r in rows.items() if task_id not in by_task]
    rearmed = {t.deadline_key: t for task_id, t in by_task.items()
               if t.kind == "deadline" and t.deadline_key and task_id not in rows}
    for row in gone:
        due = clock.as_utc(row.due_at) if row.due_at else None
        if row.kind == "deadline":
            events += _rearmed(row, due, rearmed.get(row.deadline_key), now)
        if due is not None and due <= now:
            events += _fired(row.element_id, row.task_id, due, row.kind, row.deadline_key,
                             row.host_element_id, row.host_task_id, now)
    if gone:
        _execute(_DELETE_TIMERS, {"ids": [r.id for r in gone]})
    for t in engine.fired_at_once(wf):     # armed and fired within this one step: never had a row
        if t.task_id not in rows and t.task_id not in by_task and t.due is not None:
            events += _fired(t.element_id, t.task_id, t.due, t.kind, t.deadline_key,
                             t.host_element_id, t.host_task_id, now)
    inserts: list[dict[str, Any]] = []
    for task_id, t in by_task.items():
        values = dict(element_id=t.element_id, name=t.name, kind=t.kind, deadline_key=t.deadline_key,
                      host_task_id=t.host_task_id, host_element_id=t.host_element_id, due_at=t.due,
                      broken_reason=t.broken_reason)
        existing_row = rows.get(task_id)
        if existing_row is None:
            inserts.append(dict(case_id=case.id, task_id=task_id, created_at=now, **values))
            if t.broken_reason:
                events.append(Change("timer.broken", element_id=t.element_id, task_id=task_id,
                                     data={"reason": t.broken_reason}))
        else:
            old_due = clock.as_utc(existing_row.due_at) if existing_row.due_at else None
            if old_due is not None and old_due <= now and t.due != old_due and existing_row.broken_reason is None:
                # a cycle fired and re-armed under the same task id
                events.append(Change("timer.fired", element_id=existing_row.element_id, task_id=task_id,
                                     data={"due_at": old_due.isoformat(), "kind": existing_row.kind,
                                           "deadline": existing_row.deadline_key}))
            if (old_due, existing_row.broken_reason, existing_row.kind, existing_row.host_task_id) == \
                    (t.due, t.broken_reason, t.kind, t.host_task_id):   # a watched step that opened is a change
                continue
            _execute(sa.update(Timer).where(Timer.id == existing_row.id).values(**values))
        if t.kind == "deadline" and t.host_task_id and t.due is not None:
            _execute(sa.update(OpenTask).where(OpenTask.id == t.host_task_id).values(due_at=t.due))
    if inserts:
        _execute(_INSERT_TIMERS, inserts)
    return events


_SERVICE_ROWS = sa.select(OpenTask.id, OpenTask.element_id, OpenTask.name, OpenTask.lane).where(
    OpenTask.case_id == sa.bindparam("case_id"), OpenTask.origin.is_not(None))


def close_service_tasks(case_id: int) -> list[Change]:
    """Close the tasks the service opened itself (a consent renewal) on a case whose workflow has ended.

    The workflow's own tasks leave with the workflow; these do not, and an inbox must not offer a
    task of a finished case (completing it would be refused: «Saken er avsluttet»).
    """
    rows = list(_execute(_SERVICE_ROWS, {"case_id": case_id}))
    if not rows:
        return []
    _execute(_DELETE_TASKS, {"ids": [r.id for r in rows]})
    return [Change("task.cancelled", element_id=r.element_id, task_id=r.id, data={"name": r.name, "lane": r.lane})
            for r in rows]


def clear(case_id: int) -> None:
    """Remove every projection row of a case that will never step again (terminated)."""
    _execute(sa.delete(OpenTask).where(OpenTask.case_id == case_id))
    _execute(sa.delete(Timer).where(Timer.case_id == case_id))
