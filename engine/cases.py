"""Use cases on cases («saker»).  Each public function is one transaction.

The shape of every change: load the case row → restore (or reuse) its workflow → let
SpiffWorkflow step → save, in one commit, the new state (guarded by the ``version`` column), the
open-task and timer projections, and the audit events.  A stale write raises ``Conflict`` (409)
and changes nothing.  An engine failure rolls the step back, then marks the case *error* with the
element and message and what to retry.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError

from engine import access, clock, deployments, forms, runtime_state
from engine.bpmn import lanes
from engine.bpmn.lanes import Actor, Capacity
from engine.bpmn.runtime import StepFailed, TaskNotReady
from engine.errors import BadRequest, Conflict, EngineFailure, FormInvalid, NotFound, Unprocessable
from engine.extensions import db
from engine.store.models import AuditEvent, Case, OpenTask, Organisation, Timer, User

#: Case data keys that anchor deadlines (PROCESS.md: T0, bolig tilbudt, T1).
ANCHOR_KEYS = ("innflytting", "bolig_tilbudt_dato", "utflytting")

RUNNING, COMPLETED, ERROR, SUSPENDED, TERMINATED = "running", "completed", "error", "suspended", "terminated"
ACTIVE = (RUNNING, ERROR)


@dataclass
class Change:
    """What a step did, for the audit trail."""

    type: str
    actor: Actor | None = None
    on_behalf_of_id: int | None = None
    element_id: str | None = None
    task_id: str | None = None
    data: dict | None = None


# --------------------------------------------------------------------------------------------
# loading and saving
# --------------------------------------------------------------------------------------------

def _case(case_id: int) -> Case:
    case = db.session.get(Case, case_id)
    if case is None:
        raise NotFound("Fant ikke saken.")
    return case


def _workflow(case: Case):
    rt = runtime_state.state()
    wf = rt.take_workflow(case.id, case.version)
    if wf is None:
        wf = rt.engine.restore(deployments.bundle_for(case.process_version_id), case.state)
    rt.engine.begin_step(wf)   # every change starts from a workflow with no timers "armed this step"
    return wf


def _step(case: Case, action: dict, change: Change | None, fn: Callable[[Any], None],
          clears_error: bool = False) -> Case:
    """Run ``fn(wf)`` on the case's workflow and save everything in one commit.

    On ``StepFailed`` the mutated workflow is thrown away (the saved state is the one before the
    step), and the case is marked *error* in a transaction of its own.
    """
    if case.status not in ACTIVE:
        raise Conflict(_status_text(case.status))
    rt = runtime_state.state()
    version = case.version
    wf = _workflow(case)
    try:
        fn(wf)
    except StepFailed as exc:
        db.session.rollback()
        _mark_error(case.id, version, exc, action, change.actor if change else None)
        raise EngineFailure("Prosessen stoppet med en feil. Saken er merket, og en administrator kan rette den.",
                            exc.element_id, exc.message) from exc
    except Exception:
        db.session.rollback()
        raise
    new_version = _save(case, wf, version, [change] if change else [], clears_error)
    rt.keep_workflow(case.id, new_version, wf)
    from engine import inbox  # late import: inbox calls back into this module (it guards the recursion)
    inbox.deliver_held(case.id)
    return case


def _status_text(status: str) -> str:
    return {COMPLETED: "Saken er avsluttet.", SUSPENDED: "Saken er satt på vent.",
            TERMINATED: "Saken er avbrutt."}.get(status, "Saken kan ikke endres nå.")


def _save(case: Case, wf, version: int, changes: list[Change], clears_error: bool = False) -> int:
    """Write state + projections + audit under the optimistic lock; commit; return the new version."""
    rt = runtime_state.state()
    engine = rt.engine
    now = clock.now()
    data = engine.data(wf)
    anchors = {k: str(data[k]) for k in ANCHOR_KEYS if data.get(k)}
    completed = engine.is_completed(wf)
    status = COMPLETED if completed else (ERROR if case.status == ERROR and not clears_error else RUNNING)
    values: dict[str, Any] = dict(state=engine.dump(wf), version=version + 1, status=status, updated_at=now,
                                  last_activity_at=now, anchors=anchors, completed_at=now if completed else None)
    if status != ERROR:
        values.update(error_element=None, error_message=None, error_at=None, error_action=None)
    try:
        result = db.session.connection().execute(sa.update(Case).where(Case.id == case.id, Case.version == version).values(**values))
        if result.rowcount != 1:
            raise Conflict("Saken ble endret av noen andre. Last siden på nytt.")
        events = list(changes)
        events += _project_tasks(case, wf, now)
        events += _project_timers(case, wf, now)
        if completed:
            events.append(Change("case.completed"))
        if events:
            db.session.connection().execute(sa.insert(AuditEvent), [
                dict(case_id=case.id, at=now, type=ch.type, actor_id=ch.actor.user_id if ch.actor else None,
                     on_behalf_of_id=ch.on_behalf_of_id, element_id=ch.element_id, task_id=ch.task_id,
                     data=ch.data) for ch in events])
            from engine import outbox  # webhook rows in the same transaction as the change
            outbox.enqueue(case, events)
        db.session.commit()
    except Conflict:
        db.session.rollback()
        runtime_state.state().forget(case.id)
        raise
    except (IntegrityError, OperationalError) as exc:
        db.session.rollback()
        runtime_state.state().forget(case.id)
        if isinstance(exc, OperationalError) and "locked" not in str(exc).lower() and "serializ" not in str(exc).lower():
            raise
        raise Conflict("Saken ble endret av noen andre. Last siden på nytt.") from exc
    db.session.expire(case)
    return version + 1


def _project_tasks(case: Case, wf, now: datetime) -> list[Change]:
    """Bring the open-task rows of the case in line with the workflow's READY human tasks.

    Core statements, not ORM objects: this runs on every step and is the hot path.
    """
    engine = runtime_state.state().engine
    parties = access.parties(case)
    ready = {t.id: t for t in engine.ready_tasks(wf)}
    existing = set(db.session.connection().scalars(sa.select(OpenTask.id).where(OpenTask.case_id == case.id)))
    gone = existing - set(ready)
    if gone:
        db.session.connection().execute(sa.delete(OpenTask).where(OpenTask.id.in_(gone)))
    rows, events = [], []
    for task_id, t in ready.items():
        if task_id in existing:
            continue
        rows.append(dict(id=task_id, case_id=case.id, element_id=t.element_id, name=t.name, lane=t.lane,
                         role=t.role, form=t.form, ui_form=t.ui_form, created_at=now,
                         organisation_id=lanes.lane_organisation(t.lane, parties)))
        events.append(Change("task.created", element_id=t.element_id, task_id=task_id,
                             data={"name": t.name, "lane": t.lane, "role": t.role}))
    if rows:
        db.session.connection().execute(sa.insert(OpenTask), rows)
    return events


_TIMER_FIELDS = ("element_id", "name", "kind", "deadline_key", "host_task_id", "host_element_id", "due_at",
                 "broken_reason")


def _project_timers(case: Case, wf, now: datetime) -> list[Change]:
    """Replace the case's timer rows; a deadline that went away after its due time has fired."""
    engine = runtime_state.state().engine
    waiting = {t.task_id: t for t in engine.waiting_timers(wf)}
    rows = {r.task_id: r for r in db.session.connection().execute(
        sa.select(Timer.id, Timer.task_id, Timer.due_at, Timer.kind, Timer.element_id, Timer.deadline_key,
                  Timer.host_task_id, Timer.host_element_id, Timer.broken_reason, Timer.name)
        .where(Timer.case_id == case.id))}
    events: list[Change] = []
    gone = [r for task_id, r in rows.items() if task_id not in waiting]
    for row in gone:
        due = clock.as_utc(row.due_at) if row.due_at else None
        if due is not None and due <= now:
            events.append(Change("timer.fired", element_id=row.element_id, task_id=row.task_id,
                                 data={"due_at": due.isoformat(), "kind": row.kind, "deadline": row.deadline_key}))
            if row.kind == "deadline":
                events.append(Change("deadline.overdue", element_id=row.host_element_id, task_id=row.host_task_id,
                                     data={"deadline": row.deadline_key, "due_at": due.isoformat(),
                                           "timer": row.element_id}))
                if row.host_task_id:
                    db.session.connection().execute(sa.update(OpenTask).where(OpenTask.id == row.host_task_id)
                                       .values(overdue_at=now, due_at=due))
    if gone:
        db.session.connection().execute(sa.delete(Timer).where(Timer.id.in_([r.id for r in gone])))
    for t in engine.fired_at_once(wf):
        if t.task_id in rows or t.task_id in waiting:
            continue
        events.append(Change("timer.fired", element_id=t.element_id, task_id=t.task_id,
                             data={"due_at": t.due.isoformat(), "kind": t.kind, "deadline": t.deadline_key}))
        if t.kind == "deadline":
            events.append(Change("deadline.overdue", element_id=t.host_element_id, task_id=t.host_task_id,
                                 data={"deadline": t.deadline_key, "due_at": t.due.isoformat(), "timer": t.element_id}))
            if t.host_task_id:
                db.session.connection().execute(sa.update(OpenTask).where(OpenTask.id == t.host_task_id)
                                                 .values(overdue_at=now, due_at=t.due))
    inserts = []
    for task_id, t in waiting.items():
        values = dict(element_id=t.element_id, name=t.name, kind=t.kind, deadline_key=t.deadline_key,
                      host_task_id=t.host_task_id, host_element_id=t.host_element_id, due_at=t.due,
                      broken_reason=t.broken_reason)
        row = rows.get(task_id)
        if row is None:
            inserts.append(dict(case_id=case.id, task_id=task_id, created_at=now, **values))
            if t.broken_reason:
                events.append(Change("timer.broken", element_id=t.element_id, task_id=task_id,
                                     data={"reason": t.broken_reason}))
        else:
            old_due = clock.as_utc(row.due_at) if row.due_at else None
            if old_due is not None and old_due <= now and t.due != old_due and row.broken_reason is None:
                # a cycle fired and re-armed under the same task id
                events.append(Change("timer.fired", element_id=row.element_id, task_id=task_id,
                                     data={"due_at": old_due.isoformat(), "kind": row.kind, "deadline": row.deadline_key}))
            if (old_due, row.broken_reason, row.kind) != (t.due, t.broken_reason, t.kind):
                db.session.connection().execute(sa.update(Timer).where(Timer.id == row.id).values(**values))
            else:
                continue
        if t.kind == "deadline" and t.host_task_id and t.due is not None:
            db.session.connection().execute(sa.update(OpenTask).where(OpenTask.id == t.host_task_id).values(due_at=t.due))
    if inserts:
        db.session.connection().execute(sa.insert(Timer), inserts)
    return events


def _mark_error(case_id: int, version: int, exc: StepFailed, action: dict, actor: Actor | None) -> None:
    now = clock.now()
    result = db.session.connection().execute(sa.update(Case).where(Case.id == case_id, Case.version == version).values(
        status=ERROR, version=version + 1, error_element=exc.element_id, error_message=exc.message[:4000],
        error_at=now, error_action=action, updated_at=now))
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict("Saken ble endret av noen andre. Last siden på nytt.")
    db.session.add(AuditEvent(case_id=case_id, at=now, type="case.error", actor_id=actor.user_id if actor else None,
                              element_id=exc.element_id, data={"message": exc.message[:4000], "action": action.get("kind")}))
    from engine import outbox  # webhook rows in the same transaction as the change
    outbox.enqueue(case_id, [Change("case.error", actor, element_id=exc.element_id)])
    db.session.commit()


# --------------------------------------------------------------------------------------------
# use cases
# --------------------------------------------------------------------------------------------

def _organisation(slug_or_id: Any, kind: str) -> Organisation:
    query = sa.select(Organisation).where(Organisation.kind == kind)
    if isinstance(slug_or_id, int) or (isinstance(slug_or_id, str) and slug_or_id.isdigit()):
        query = query.where(Organisation.id == int(slug_or_id))
    else:
        query = query.where(Organisation.slug == str(slug_or_id))
    org = db.session.scalar(query)
    if org is None:
        raise Unprocessable(f"Ukjent {kind}: {slug_or_id}", {kind: ["Finnes ikke."]})
    return org


def start_form(bundle) -> str | None:
    """The form a process asks for before it starts (property on its start event)."""
    for ts in bundle.spec.task_specs.values():
        if type(ts).__name__ == "StartEvent":
            props = (getattr(ts, "extensions", None) or {}).get("properties", {}) or {}
            if props.get("formJsonSchemaFilename"):
                return props["formJsonSchemaFilename"]
    return None


def open_case(actor: Actor, process_key: str, bydel: Any, institution: Any, resident: dict,
              data: dict[str, Any], external_ref: str | None = None) -> Case:
    """Start a case for a resident between a bydel and an institution (the bydel refers)."""
    pv = deployments.latest_version(process_key)
    if pv is None:
        raise NotFound(f"Ukjent prosess: {process_key}")
    bydel_org = _organisation(bydel, "bydel")
    inst_org = _organisation(institution, "institusjon")
    if not (actor.is_caseworker and actor.organisation_id == bydel_org.id):
        raise access.Forbidden("Bare saksbehandlere i bydelen kan opprette saken.")
    if not isinstance(data, dict):
        raise BadRequest("data må være et JSON-objekt")
    resident = resident or {}
    resident_name = (resident.get("name") or "").strip()
    if not resident_name:
        raise Unprocessable("Beboerens navn mangler.", {"resident/name": ["Feltet må fylles ut."]})
    resident_user_id = None
    if resident.get("username"):
        user = db.session.scalar(sa.select(User).where(User.username == resident["username"]))
        if user is None or lanes.RESIDENT not in user.role_set:
            raise Unprocessable("Ukjent beboerkonto.", {"resident/username": ["Finnes ikke."]})
        resident_user_id = user.id
    rt = runtime_state.state()
    bundle = deployments.bundle_for(pv.id)
    schema = bundle.form(start_form(bundle))
    if schema is not None:
        data = forms.strip_empty(data)
        errors = forms.validate(schema, data)
        if errors:
            raise FormInvalid(errors)
    now = clock.now()
    case = Case(process_version_id=pv.id, status=RUNNING, bydel_id=bydel_org.id, institution_id=inst_org.id,
                resident_user_id=resident_user_id, resident_name=resident_name, external_ref=external_ref,
                state="{}", version=0, created_at=now, updated_at=now, last_activity_at=now, anchors={})
    db.session.add(case)
    db.session.flush()
    access.log(actor, case.id, "create")
    try:
        wf = rt.engine.start(bundle, {**data, "sak_id": case.id})
    except StepFailed as exc:
        db.session.rollback()
        raise EngineFailure("Prosessen kunne ikke starte.", exc.element_id, exc.message) from exc
    version = _save(case, wf, 0, [Change("case.opened", actor, data={"process_key": process_key,
                                                                      "version": pv.version})])
    rt.keep_workflow(case.id, version, wf)
    return db.session.get(Case, case.id)


def get_case(actor: Actor, case_id: int) -> Case:
    case = access.require_read(actor, db.session.get(Case, case_id))
    db.session.commit()   # the access-log row
    return case


def case_data(case: Case) -> dict[str, Any]:
    """The case's current data (for reading; restores the workflow if it is not warm)."""
    rt = runtime_state.state()
    wf = _workflow(case)
    rt.keep_workflow(case.id, case.version, wf)
    return rt.engine.data(wf)


def visible_cases_query(actor: Actor):
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


def list_cases(actor: Actor, status: str | None = None, limit: int = 100, offset: int = 0) -> list[Case]:
    query = visible_cases_query(actor)
    if status:
        query = query.where(Case.status == status)
    cases = list(db.session.scalars(query.order_by(Case.id.desc()).limit(limit).offset(offset)))
    for c in cases:
        access.log(actor, c.id, "list")
    db.session.commit()
    return cases


def actionable_tasks_query(actor: Actor):
    """Open tasks the actor may complete, from the projection (never loads a workflow)."""
    query = sa.select(OpenTask).join(Case, Case.id == OpenTask.case_id).where(Case.status.in_(ACTIVE))
    conditions = []
    if actor.is_caseworker and actor.organisation_id is not None:
        own_lane = sa.and_(OpenTask.organisation_id == actor.organisation_id,
                           sa.or_(OpenTask.role.is_(None), sa.literal(actor.has(lanes.LEDER))))
        on_behalf = sa.and_(OpenTask.lane == lanes.BEBOER,
                            sa.or_(Case.bydel_id == actor.organisation_id, Case.institution_id == actor.organisation_id))
        conditions += [own_lane, on_behalf]
    if actor.has(lanes.RESIDENT):
        conditions.append(sa.and_(OpenTask.lane == lanes.BEBOER, Case.resident_user_id == actor.user_id))
    return query.where(sa.or_(*conditions)) if conditions else query.where(sa.false())


def list_tasks(actor: Actor, case_id: int | None = None) -> list[OpenTask]:
    query = actionable_tasks_query(actor)
    if case_id is not None:
        query = query.where(OpenTask.case_id == case_id)
    return list(db.session.scalars(query.order_by(OpenTask.due_at.is_(None), OpenTask.due_at, OpenTask.created_at)))


def case_tasks(case: Case) -> list[OpenTask]:
    return list(db.session.scalars(sa.select(OpenTask).where(OpenTask.case_id == case.id)
                                   .order_by(OpenTask.created_at)))


def case_timers(case: Case) -> list[Timer]:
    return list(db.session.scalars(sa.select(Timer).where(Timer.case_id == case.id)
                                   .order_by(Timer.due_at.is_(None), Timer.due_at)))


def case_events(case: Case) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.case_id == case.id)
                                   .order_by(AuditEvent.id)))


def get_task(actor: Actor, task_id: str) -> tuple[OpenTask, Case]:
    row = db.session.get(OpenTask, str(task_id))
    if row is None:
        raise NotFound("Fant ikke oppgaven. Den kan være fullført allerede.")
    case = access.require_read(actor, db.session.get(Case, row.case_id), "read_task")
    db.session.commit()
    return row, case


def task_schema(row: OpenTask, case: Case) -> dict | None:
    return deployments.bundle_for(case.process_version_id).form(row.form)


def task_ui_schema(row: OpenTask, case: Case) -> dict | None:
    return deployments.bundle_for(case.process_version_id).form(row.ui_form)


def _authorize_task(actor: Actor, task_id: str, action: str) -> tuple[OpenTask, Case, Capacity]:
    row = db.session.get(OpenTask, str(task_id))
    if row is None:
        raise NotFound("Fant ikke oppgaven. Den kan være fullført allerede.")
    case = db.session.get(Case, row.case_id)
    cap = access.require_act(actor, case, row.lane, row.role, action)
    return row, case, cap


def save_draft(actor: Actor, task_id: str, data: dict[str, Any]) -> OpenTask:
    """Keep what was typed without completing (drafts are not validated)."""
    if not isinstance(data, dict):
        raise BadRequest("data må være et JSON-objekt")
    row, case, cap = _authorize_task(actor, task_id, "draft")
    row.draft = data
    db.session.add(AuditEvent(case_id=case.id, type="task.draft_saved", actor_id=actor.user_id,
                              on_behalf_of_id=case.resident_user_id if cap == Capacity.ON_BEHALF else None,
                              element_id=row.element_id, task_id=row.id))
    db.session.commit()
    return row


def complete_task(actor: Actor, task_id: str, data: dict[str, Any], expected_version: int | None = None) -> Case:
    """Validate the form, complete the task and step the process — one transaction.

    Invalid data: every field error is returned and the data is kept as the task's draft.
    ``expected_version`` (optional) refuses a write against an older view of the case.
    """
    if not isinstance(data, dict):
        raise BadRequest("data må være et JSON-objekt")
    row, case, cap = _authorize_task(actor, task_id, "complete_task")
    if expected_version is not None and expected_version != case.version:
        db.session.rollback()
        raise Conflict("Saken er endret siden du åpnet den. Last siden på nytt.")
    if case.status not in ACTIVE:
        raise Conflict(_status_text(case.status))
    schema = task_schema(row, case)
    clean = forms.strip_empty(data)
    if schema is not None:
        errors = forms.validate(schema, clean)
        if errors:
            row.draft = data
            db.session.commit()
            raise FormInvalid(errors)
    on_behalf = case.resident_user_id if cap == Capacity.ON_BEHALF else None
    change = Change("task.completed", actor, on_behalf, row.element_id, row.id,
                    {"name": row.name, "lane": row.lane, "on_behalf_of_resident": cap == Capacity.ON_BEHALF,
                     "fields": sorted(clean)})
    action = {"kind": "complete", "task_id": row.id, "data": clean, "actor_id": actor.user_id}

    def run(wf):
        try:
            runtime_state.state().engine.complete(wf, row.id, clean)
        except TaskNotReady as exc:
            raise Conflict("Oppgaven er allerede fullført eller ikke lenger åpen.") from exc

    try:
        return _step(case, action, change, run)
    except Conflict:
        db.session.rollback()
        raise


def wake_case(case_id: int, actor: Actor | None = None) -> Case:
    """Fire the case's due timers and run what follows (scheduler, ``flask timers fire``)."""
    case = _case(case_id)
    return _step(case, {"kind": "wake"}, Change("case.woken", actor) if actor else None,
                 lambda wf: runtime_state.state().engine.wake(wf))


def deliver_message(actor: Actor | None, case_id: int, name: str, payload: dict[str, Any]) -> Case:
    """Deliver a BPMN message (e.g. «bolig_tilbudt») to a case waiting for it; 409 if it is not."""
    case = _case(case_id)
    if actor is not None:
        access.require_read(actor, case, "message")
        if not actor.is_caseworker:
            raise access.Forbidden("Bare saksbehandlere kan registrere hendelser.")
    if not isinstance(payload, dict):
        raise BadRequest("payload må være et JSON-objekt")
    engine = runtime_state.state().engine

    def run(wf):
        if not engine.deliver_message(wf, name, payload):
            raise Conflict(f"Saken venter ikke på hendelsen «{name}» nå.",
                           {"waiting_for": engine.waiting_messages(wf)})

    try:
        return _step(case, {"kind": "message", "name": name, "payload": payload},
                     Change("message.received", actor, data={"name": name}), run)
    except Conflict:
        db.session.rollback()
        raise


def waiting_messages(case_id: int) -> set[str]:
    """Message names the case waits for now (empty if it is not active); reads, never writes."""
    case = db.session.get(Case, case_id)
    if case is None or case.status not in ACTIVE:
        return set()
    rt = runtime_state.state()
    wf = _workflow(case)
    rt.keep_workflow(case.id, case.version, wf)
    return set(rt.engine.waiting_messages(wf))


def due_case_ids(now: datetime | None = None, limit: int = 100) -> list[int]:
    """Cases with a timer due, oldest first (the database decides what is due)."""
    now = now or clock.now()
    query = (sa.select(Timer.case_id, sa.func.min(Timer.due_at).label("due")).join(Case, Case.id == Timer.case_id)
             .where(Timer.due_at < now, Timer.broken_reason.is_(None), Case.status.in_(ACTIVE))
             .group_by(Timer.case_id).order_by("due").limit(limit))
    return [r[0] for r in db.session.execute(query)]


def fire_due_timers(now: datetime | None = None, limit: int = 100) -> int:
    """Wake every case with a due timer, one transaction per case; returns how many were woken."""
    fired = 0
    for case_id in due_case_ids(now, limit):
        try:
            wake_case(case_id)
            fired += 1
        except (Conflict, EngineFailure):
            db.session.rollback()
    return fired
