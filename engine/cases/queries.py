"""Reads of cases: who may see which case and task, and what a case holds now.

Lists come from the projection tables (never a workflow); every read of a case goes to the
access log in the same call.
"""
from __future__ import annotations

from typing import Any, NoReturn

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from engine import forms
from engine.access import rules as access
from engine.bpmn import lanes
from engine.bpmn.lanes import Actor
from engine.bpmn.runtime import TaskNotReady
from engine.cases import keyset
from engine.cases.unit_of_work import read_workflow
from engine.errors import Conflict, NotFound
from engine.extensions import db
from engine.processes import deployments, runtime_state
from engine.store.models import AuditEvent, Case, OpenTask, Organisation, ProcessVersion, Timer
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


#: Orderings of the case list a user may pick (the first is the default); each ends on the case id.
CASE_ORDERS: dict[str, tuple[keyset.Key, ...]] = {
    "nyest": (keyset.Key(Case.id, desc=True),),
    "eldst": (keyset.Key(Case.id),),
    "navn": (keyset.Key(Case.resident_name), keyset.Key(Case.id)),
    "aktivitet": (keyset.Key(Case.last_activity_at, desc=True), keyset.Key(Case.id, desc=True)),
}
CASE_SORTS: dict[str, tuple[Any, ...]] = {k: tuple(keyset.order_by(v)) for k, v in CASE_ORDERS.items()}


def _cases_query(actor: Actor, status: str | None, search: str | None) -> Any:
    query = visible_cases_query(actor)
    if status:
        query = query.where(Case.status == status)
    found = search_clause(search)
    return query.where(found) if found is not None else query


def list_cases(actor: Actor, status: str | None = None, limit: int = 100, offset: int = 0,
               search: str | None = None, sort: str = "nyest") -> list[Case]:
    """A page of the cases ``actor`` may see (newest first unless ``sort`` says otherwise),
    narrowed by ``search`` (see ``search_clause``); each listed case is logged.  (The API's
    offset paging; the web list pages by keyset, :func:`case_page`.)"""
    order = CASE_SORTS.get(sort) or CASE_SORTS["nyest"]
    cases = list(db.session.scalars(_cases_query(actor, status, search).order_by(*order).limit(limit).offset(offset)))
    for c in cases:
        access.log(actor, c.id, "list")
    db.session.commit()
    return cases


#: What one row of the case list shows — never a case's workflow state.
CASE_LIST_COLUMNS: Any = sa.orm.Bundle("case", Case.id, Case.resident_name, Case.status, Case.anchors,
                                       Case.last_activity_at)


_ORGS = (Organisation.__table__.alias("bydel_org"), Organisation.__table__.alias("inst_org"))


def case_page(actor: Actor, status: str | None = None, search: str | None = None, sort: str = "nyest",
              cursor: keyset.Cursor | None = None, size: int = 50) -> keyset.Page:
    """One keyset page of the case list: rows of (case columns, bydel name, institution name), from
    ``cursor`` on (None: the first page); each listed case is logged."""
    keys = CASE_ORDERS.get(sort) or CASE_ORDERS["nyest"]
    if cursor is not None and len(cursor.values) != len(keys):
        cursor = None
    bydel, inst = _ORGS
    base = (_cases_query(actor, status, search)
            .with_only_columns(CASE_LIST_COLUMNS, bydel.c.name, inst.c.name,
                               *[k.expr.label(f"k{i}") for i, k in enumerate(keys)])
            .join(bydel, bydel.c.id == Case.bydel_id).join(inst, inst.c.id == Case.institution_id))

    def read(values, reverse: bool, n: int) -> list[tuple]:
        query = base.where(keyset.after(keys, values, reverse)) if values is not None else base
        return [tuple(r) for r in db.session.execute(query.order_by(*keyset.order_by(keys, reverse)).limit(n))]

    page = keyset.fetch(read, lambda r: r[3:], size, cursor)
    if cursor is not None and not page.rows:
        return case_page(actor, status, search, sort, None, size)
    rows = [r[:3] for r in page.rows]
    access.log_listed(actor, (r[0].id for r in rows), "list")
    db.session.commit()
    return keyset.Page(rows, page.next, page.prev)


def actionable_branches(actor: Actor) -> list[Any]:
    """Who may act, as disjoint conditions on an open task joined with its case — one per way in.

    Each branch is answerable by one index (``0010_inbox_indexes``): the organisation's own lane
    (``open_tasks.organisation_id``), the resident's lane on behalf of the case's bydel or
    institution (``open_tasks.lane``, then the case), the resident's own tasks.  Empty: nothing.
    """
    branches: list[Any] = []
    if actor.is_caseworker and actor.organisation_id is not None:
        ours = sa.or_(Case.bydel_id == actor.organisation_id, Case.institution_id == actor.organisation_id)
        own_lane = OpenTask.organisation_id == actor.organisation_id
        # A party the process declares (engine.bpmn.parties) is the bydel's lane, acted on by holders
        # of a role of that name — and by the bydel's leaders (lanes.capacity).
        roles = sorted({r.lower() for r in actor.roles} - set(lanes.LANES))
        if not actor.has(lanes.LEDER):
            own_lane = sa.and_(own_lane, OpenTask.role.is_(None),
                               OpenTask.lane.in_([lanes.BYDEL, lanes.INSTITUSJON, *roles]))
        # ``ours`` is implied by the lane's organisation (it is always the case's bydel or institution),
        # but stated it lets a count start from the organisation's cases (``ix_cases_*_status``).
        branches.append(sa.and_(own_lane, ours))
        branches.append(sa.and_(OpenTask.lane == lanes.BEBOER, ours))
        if roles:   # the institution's holders of a declared party's role
            other = sa.and_(OpenTask.lane.in_(roles), OpenTask.organisation_id != actor.organisation_id, ours)
            if not actor.has(lanes.LEDER):
                other = sa.and_(other, OpenTask.role.is_(None))
            branches.append(other)
    if actor.has(lanes.RESIDENT):
        mine = sa.and_(OpenTask.lane == lanes.BEBOER, Case.resident_user_id == actor.user_id)
        if branches:   # a caseworker who is also a resident: their own case's tasks, not twice
            mine = sa.and_(mine, Case.bydel_id != actor.organisation_id, Case.institution_id != actor.organisation_id)
        branches.append(mine)
    return branches


def actionable_tasks_query(actor: Actor, branch: Any = None) -> Any:
    """Open tasks the actor may complete, from the projection (never loads a workflow);
    ``branch``: only those of one of :func:`actionable_branches`."""
    query = sa.select(OpenTask).join(Case, Case.id == OpenTask.case_id).where(Case.status.in_(ACTIVE))
    if branch is not None:
        return query.where(branch)
    branches = actionable_branches(actor)
    return query.where(sa.or_(*branches)) if branches else query.where(sa.false())


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


def preload_names(case: Case) -> None:
    """The case's process version and organisations in one statement, ahead of an answer naming them.

    An answer shows the process key and version and the two organisations' slugs; after a step's
    commit each was a lazy load of its own (three statements, the version's with its 0.25 MB spec).
    Loaded here and set as the relationships' committed values, they cost no SQL when read.
    """
    rows = db.session.execute(sa.select(ProcessVersion, Organisation)
                              .join(Organisation, Organisation.id.in_((case.bydel_id, case.institution_id)))
                              .where(ProcessVersion.id == case.process_version_id)).all()
    if not rows:
        return
    orgs = {org.id: org for _, org in rows}
    set_committed_value(case, "process_version", rows[0][0])
    for name, org_id in (("bydel", case.bydel_id), ("institution", case.institution_id)):
        if org_id in orgs:
            set_committed_value(case, name, orgs[org_id])


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
    """The JSON Schema of the task's form, from the case's own process version; a task whose diagram
    names no form gets :data:`engine.forms.FORMLESS_SCHEMA` (an optional comment)."""
    if row.form is None:
        return forms.FORMLESS_SCHEMA
    return deployments.bundle_for(case.process_version_id).form(row.form)


def task_ui_schema(row: OpenTask, case: Case) -> dict[str, Any] | None:
    if row.form is None:
        return forms.FORMLESS_UI_SCHEMA
    return deployments.bundle_for(case.process_version_id).form(row.ui_form)
