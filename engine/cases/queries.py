"""Reads of cases: who may see which case and task, and what a case holds now.

Lists come from the projection tables (never a workflow); every read of a case goes to the
access log in the same call.
"""
from __future__ import annotations

from typing import Any, NoReturn

import sqlalchemy as sa

from engine.access import rules as access
from engine.bpmn import lanes
from engine.bpmn.lanes import Actor
from engine.bpmn.runtime import TaskNotReady
from engine.cases.unit_of_work import read_workflow
from engine.errors import Conflict, NotFound
from engine.extensions import db
from engine.processes import deployments, runtime_state
from engine.store.models import AuditEvent, Case, OpenTask, Timer
from engine.store.status import ACTIVE


def get_case(actor: Actor, case_id: int, action: str = "read") -> Case:
    """The case if ``actor`` may read it (404 otherwise); the read is logged as ``action``."""
    case = access.require_read(actor, db.session.get(Case, case_id), action)
    db.session.commit()   # the access-log row
    return case


def case_data(case: Case) -> dict[str, Any]:
    """The case's current data (for reading; restores the workflow if it is not warm)."""
    return runtime_state.state().engine.data(read_workflow(case))


def task_data(case: Case, task_id: str) -> dict[str, Any]:
    """One open task's own data: what its branch of the process knows (e.g. which step holds a
    deadline up), for prefilling its form.  Empty if the task is gone."""
    engine = runtime_state.state().engine
    try:
        return engine.task_data(read_workflow(case), task_id)
    except TaskNotReady:
        return {}


def waiting_messages(case_id: int) -> set[str]:
    """Message names the case waits for now (empty if it is not active); reads, never writes."""
    case = db.session.get(Case, case_id)
    if case is None or case.status not in ACTIVE:
        return set()
    return set(runtime_state.state().engine.waiting_messages(read_workflow(case)))


def visible_cases_query(actor: Actor) -> Any:
    """Cases the actor may see: own organisation's, own (resident), or all for administrators."""
    query = sa.select(Case)
    if actor.has(lanes.ADMINISTRATOR):
        return query
    conditions = []
    if actor.is_caseworker and actor.organisation_id is not None:
        conditions += [Case.bydel_id == actor.organisation_id, Case.institution_id == actor.organisation_id]
    if actor.has(lanes.RESIDENT):
        conditions.append(Case.resident_user_id == actor.user_id)
    return query.where(sa.or_(*conditions)) if conditions else query.where(sa.false())


def search_clause(text: str | None) -> Any:
    """Cases matching what a caseworker typed: part of the resident's name or the external
    reference (any case), or the case number («123» or «#123»).  None when nothing was typed."""
    text = (text or "").strip()
    if not text:
        return None
    like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    parts: list[Any] = [Case.resident_name.ilike(like, escape="\\"), Case.external_ref.ilike(like, escape="\\")]
    number = text.lstrip("#").strip()
    if number.isdigit() and len(number) < 10:
        parts.append(Case.id == int(number))
    return sa.or_(*parts)


#: Orderings of the case list a user may pick (the first is the default).
CASE_SORTS: dict[str, tuple[Any, ...]] = {
    "nyest": (Case.id.desc(),),
    "eldst": (Case.id.asc(),),
    "navn": (Case.resident_name.asc(), Case.id.asc()),
    "aktivitet": (Case.last_activity_at.desc(), Case.id.desc()),
}


def list_cases(actor: Actor, status: str | None = None, limit: int = 100, offset: int = 0,
               search: str | None = None, sort: str = "nyest") -> list[Case]:
    """A page of the cases ``actor`` may see (newest first unless ``sort`` says otherwise),
    narrowed by ``search`` (see ``search_clause``); each listed case is logged."""
    query = visible_cases_query(actor)
    if status:
        query = query.where(Case.status == status)
    found = search_clause(search)
    if found is not None:
        query = query.where(found)
    order = CASE_SORTS.get(sort) or CASE_SORTS["nyest"]
    cases = list(db.session.scalars(query.order_by(*order).limit(limit).offset(offset)))
    for c in cases:
        access.log(actor, c.id, "list")
    db.session.commit()
    return cases


def actionable_tasks_query(actor: Actor) -> Any:
    """Open tasks the actor may complete, from the projection (never loads a workflow)."""
    query = sa.select(OpenTask).join(Case, Case.id == OpenTask.case_id).where(Case.status.in_(ACTIVE))
    conditions, scope = [], []
    if actor.is_caseworker and actor.organisation_id is not None:
        ours = [Case.bydel_id == actor.organisation_id, Case.institution_id == actor.organisation_id]
        own_lane = sa.and_(OpenTask.organisation_id == actor.organisation_id,
                           sa.or_(OpenTask.role.is_(None), sa.literal(actor.has(lanes.LEDER))))
        on_behalf = sa.and_(OpenTask.lane == lanes.BEBOER, sa.or_(*ours))
        conditions += [own_lane, on_behalf]
        scope += ours
    if actor.has(lanes.RESIDENT):
        conditions.append(sa.and_(OpenTask.lane == lanes.BEBOER, Case.resident_user_id == actor.user_id))
        scope.append(Case.resident_user_id == actor.user_id)
    if not conditions:
        return query.where(sa.false())
    # ``scope`` is implied by ``conditions`` (a lane's organisation is the case's bydel or institution),
    # but it is what an index can answer: the cases first (``cases.bydel_id`` / ``institution_id``),
    # then their tasks (``open_tasks.case_id``) — instead of joining every open task of every case.
    return query.where(sa.or_(*scope), sa.or_(*conditions))


def list_tasks(actor: Actor, case_id: int | None = None, log_as: str | None = None) -> list[OpenTask]:
    """Open tasks ``actor`` may complete, earliest deadline first.  ``log_as`` logs the read of
    each listed task's case under that action (a read path; the case page's own use does not)."""
    query = actionable_tasks_query(actor)
    if case_id is not None:
        query = query.where(OpenTask.case_id == case_id)
    rows = list(db.session.scalars(query.order_by(OpenTask.due_at.is_(None), OpenTask.due_at, OpenTask.created_at)))
    if log_as:
        access.log_listed(actor, (t.case_id for t in rows), log_as)
    return rows


def case_tasks(case: Case) -> list[OpenTask]:
    return list(db.session.scalars(sa.select(OpenTask).where(OpenTask.case_id == case.id)
                                   .order_by(OpenTask.created_at)))


def case_timers(case: Case) -> list[Timer]:
    return list(db.session.scalars(sa.select(Timer).where(Timer.case_id == case.id)
                                   .order_by(Timer.due_at.is_(None), Timer.due_at)))


def case_events(case: Case) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.case_id == case.id)
                                   .order_by(AuditEvent.id)))


def get_task(actor: Actor, task_id: str, acting: bool = False) -> tuple[OpenTask, Case]:
    """An open task and its case if ``actor`` may read the case; the read is logged.

    ``acting``: the caller is about to act on it (a form was posted), so a task someone else has
    just closed is a 409 conflict, not a 404 (see :func:`closed_task`).
    """
    row = db.session.get(OpenTask, str(task_id))
    if row is None:
        if acting:
            closed_task(actor, task_id, "read_task")
        raise NotFound("Fant ikke oppgaven. Den kan være fullført allerede.")
    case = access.require_read(actor, db.session.get(Case, row.case_id), "read_task")
    db.session.commit()
    return row, case


def closed_task(actor: Actor, task_id: str, action: str) -> NoReturn:
    """Answer for a task id with no open task: 409 if it was a task of a case ``actor`` may read, else 404.

    The loser of a race (two people completing one task) often finds the open-task row already
    deleted; a 404 would tell them the task never existed.  The audit trail remembers every task
    id (``task.created``, ``task.completed``), so it decides — and the read is logged, granted or not.
    """
    rows = db.session.execute(sa.select(AuditEvent.case_id, AuditEvent.type).where(AuditEvent.task_id == str(task_id))
                              .order_by(AuditEvent.id.desc()).limit(50)).all()
    if not rows or rows[0].case_id is None:
        raise NotFound("Fant ikke oppgaven.")
    case = access.require_read(actor, db.session.get(Case, rows[0].case_id), action)   # 404 outside the case
    db.session.commit()   # the read stands, though the answer is a refusal
    if any(r.type == "task.completed" for r in rows):
        raise Conflict("Oppgaven er allerede fullført, trolig av noen andre samtidig. Det du sendte ble ikke lagret. "
                       "Last saken på nytt for å se hva som gjelder nå.", {"case_id": case.id, "task_id": str(task_id)})
    raise Conflict("Oppgaven er ikke lenger åpen (saken har gått videre). Last saken på nytt.",
                   {"case_id": case.id, "task_id": str(task_id)})


def completed_task(actor: Actor, task_id: str) -> tuple[Case, AuditEvent] | None:
    """The completion of a task that is no longer open, and its case — for a stale tab's 409.

    A second «Fullfør» from an old tab finds no open row; telling the user *that it was completed*
    (and keeping what they typed) beats «not found».  The read is checked and logged as any task
    read; the event's values are someone else's answer and must go through consent before display.
    """
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.task_id == str(task_id),
                                                          AuditEvent.type == "task.completed")
                              .order_by(AuditEvent.id.desc()).limit(1))
    if event is None or event.case_id is None:
        return None
    case = access.require_read(actor, db.session.get(Case, event.case_id), "read_task")
    db.session.commit()
    return case, event


def completed_forms(case: Case, event: AuditEvent) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The JSON Schema and ui-schema of the form a completed task used (the case's own version)."""
    form = (event.data or {}).get("form")
    if not form:
        return None, None
    bundle = deployments.bundle_for(case.process_version_id)
    return bundle.form(form), bundle.form(form.replace(".schema.json", ".uischema.json"))


def task_schema(row: OpenTask, case: Case) -> dict[str, Any] | None:
    """The JSON Schema of the task's form, from the case's own process version."""
    return deployments.bundle_for(case.process_version_id).form(row.form)


def task_ui_schema(row: OpenTask, case: Case) -> dict[str, Any] | None:
    return deployments.bundle_for(case.process_version_id).form(row.ui_form)
