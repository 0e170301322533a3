"""Use cases that change a case: open, complete a task, keep a draft, deliver a message, wake timers.

Each one is thin: check who may do it and what they sent, then run the engine inside one
:class:`~engine.cases.unit_of_work.CaseUnitOfWork`.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from engine import clock, forms
from engine.access import access_log, sharing
from engine.access import consent as consent_rules
from engine.access import rules as access
from engine.bpmn import lanes, spec
from engine.bpmn.lanes import Actor, Capacity
from engine.bpmn.runtime import StepFailed, TaskNotReady
from engine.cases import consent as consent_changes
from engine.cases import messages
from engine.cases.changes import Change
from engine.cases.queries import closed_task
from engine.cases.unit_of_work import ANCHOR_KEYS, MESSAGE_ANCHORS, CaseUnitOfWork, get_case, step
from engine.errors import BadRequest, Conflict, EngineFailure, FormInvalid, MessageInvalid, NotFound, Unprocessable
from engine.extensions import db
from engine.processes import deployments, runtime_state
from engine.store import status
from engine.store.models import AuditEvent, Case, OpenTask, Organisation, User


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


def check_anchor_dates(data: dict[str, Any]) -> None:
    """The dates deadlines are counted from (T0, bolig tilbudt, T1) must be real days within
    ``forms.FIRST_YEAR``..``LAST_YEAR`` — whether or not the process has a form that says so.
    ``innflytting: 9999-12-31`` once broke the timers; now it is a 422 naming the field."""
    errors: dict[str, list[str]] = {}
    for key in ANCHOR_KEYS:
        value = data.get(key)
        if value in (None, ""):
            continue
        try:
            day = value if isinstance(value, date) else datetime.fromisoformat(str(value)).date()
        except ValueError:
            day = None
        if day is None or not forms.FIRST_YEAR <= day.year <= forms.LAST_YEAR:
            errors[key] = [f"Må være en dato (ÅÅÅÅ-MM-DD) fra år {forms.FIRST_YEAR} til {forms.LAST_YEAR}."]
    if errors:
        raise FormInvalid(errors)


def open_case(actor: Actor, process_key: str, bydel: Any, institution: Any, resident: dict[str, Any],
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
    bundle = deployments.bundle_for(pv.id)
    schema = bundle.form(spec.start_form(bundle.spec))
    if schema is not None:
        data = forms.strip_empty(data)
        errors = forms.validate(schema, data)
        if errors:
            raise FormInvalid(errors)
    check_anchor_dates(data)
    now = clock.now()
    case = Case(process_version_id=pv.id, status=status.RUNNING, bydel_id=bydel_org.id, institution_id=inst_org.id,
                resident_user_id=resident_user_id, resident_name=resident_name, external_ref=external_ref,
                state="{}", version=0, created_at=now, updated_at=now, last_activity_at=now, anchors={})
    db.session.add(case)
    db.session.flush()
    access.log(actor, case.id, "create")
    try:
        wf = runtime_state.state().engine.start(bundle, {**data, "sak_id": case.id})
    except StepFailed as exc:
        db.session.rollback()
        raise EngineFailure("Prosessen kunne ikke starte.", exc.element_id, exc.message) from exc
    with CaseUnitOfWork(case, {"kind": "start"}, actor) as uow:
        uow.use_workflow(wf)
        uow.record(Change("case.opened", actor, data={"process_key": process_key, "version": pv.version,
                                                      "fields": sorted(data), "values": data,   # the henvisning as given
                                                      "form": spec.start_form(bundle.spec)}))
        uow.commit()
    return get_case(case.id)


def _authorize_task(actor: Actor, task_id: str, action: str) -> tuple[OpenTask, Case, Capacity]:
    """The open task, its case and how ``actor`` may act; the access-log row is added, not committed.

    The row rides in the transaction of whatever the caller commits next (the step, the draft), so a
    completion costs one durable commit, not two (#15); :func:`_log_stands` commits it on its own
    when the answer is a refusal.  A task closed meanwhile is a 409 (:func:`closed_task`); a racing
    completion that commits after this read loses the step's version check (409 too).
    """
    found = db.session.execute(_TASK_AND_CASE, {"task_id": str(task_id)}).first()
    if found is None:
        closed_task(actor, task_id, action)
    row, case = found
    cap = access.require_act(actor, case, row.lane, row.role, action)
    assert case is not None   # require_act answers 404 for a missing case
    return row, case, cap


#: The task and its case in one statement (both into the session's identity map), built once.
_TASK_AND_CASE = (sa.select(OpenTask, Case).outerjoin(Case, Case.id == OpenTask.case_id)
                  .where(OpenTask.id == sa.bindparam("task_id")))


@contextmanager
def _log_stands() -> Iterator[None]:
    """The access-log rows added for this request stand whatever the answer (409s, invalid forms, errors).

    On success they were committed with the step.  On any exception those not yet committed (the
    transaction rolled back, or not yet ended) are written again in a transaction of their own, so a
    refusal is on the record exactly once.
    """
    pending = access_log.uncommitted()
    try:
        yield
    except BaseException:
        db.session.rollback()   # a row committed earlier is marked so; one rolled back is lost
        lost = [e for e in pending if not e.committed]
        if lost:
            access_log.write_again(lost)
            db.session.commit()
        raise


def _keep_draft(actor: Actor, task_id: str, data: dict[str, Any]) -> None:
    """Store ``data`` as the task's draft; 409 if the task closed meanwhile (no lost-update error)."""
    result = db.session.connection().execute(sa.update(OpenTask).where(OpenTask.id == task_id).values(draft=data))
    if result.rowcount != 1:
        db.session.rollback()
        closed_task(actor, task_id, "draft")


def save_draft(actor: Actor, task_id: str, data: dict[str, Any]) -> OpenTask:
    """Keep what was typed without completing (drafts are not validated)."""
    if not isinstance(data, dict):
        raise BadRequest("data må være et JSON-objekt")
    row, case, cap = _authorize_task(actor, task_id, "draft")
    tid = row.id
    with _log_stands():
        _keep_draft(actor, tid, data)
        db.session.add(AuditEvent(case_id=case.id, type="task.draft_saved", actor_id=actor.user_id,
                                  on_behalf_of_id=case.resident_user_id if cap == Capacity.ON_BEHALF else None,
                                  element_id=row.element_id, task_id=tid))
        db.session.commit()
    fresh = db.session.get(OpenTask, tid)
    if fresh is None:            # completed by someone else the moment after the draft was kept
        closed_task(actor, task_id, "draft")
    return fresh


def complete_task(actor: Actor, task_id: str, data: dict[str, Any], expected_version: int | None = None) -> Case:
    """Validate the form, complete the task and step the process — one transaction.

    Invalid data: every field error is returned and the data is kept as the task's draft.
    ``expected_version`` (optional) refuses a write against an older view of the case.
    """
    if not isinstance(data, dict):
        raise BadRequest("data må være et JSON-objekt")
    row, case, cap = _authorize_task(actor, task_id, "complete_task")
    with _log_stands():
        return _complete(actor, row, case, cap, data, expected_version)


def _complete(actor: Actor, row: OpenTask, case: Case, cap: Capacity, data: dict[str, Any],
              expected_version: int | None) -> Case:
    """The body of :func:`complete_task` once access is decided (the access-log row is still pending)."""
    if expected_version is not None and expected_version != case.version:
        db.session.rollback()
        raise Conflict("Saken er endret siden du åpnet den. Last siden på nytt.")
    if case.status not in status.ACTIVE:
        raise Conflict(status.refusal_text(case.status))
    schema = (deployments.bundle_for(case.process_version_id).form(row.form) if row.form is not None
              else forms.FORMLESS_SCHEMA)       # a task without a form: an optional comment
    clean = forms.strip_empty(data)
    errors = forms.validate(schema, clean) if schema is not None else {}
    if not errors and schema is not None and row.form == sharing.CONSENT_FORM:
        errors = consent_rules.check(clean, clock.today_oslo())   # a bounded end date
    if not errors:
        try:
            check_anchor_dates(clean)
        except FormInvalid as exc:
            errors = exc.errors
    if errors:
        _keep_draft(actor, row.id, data)   # 409 if the task closed meanwhile (no lost-update error)
        db.session.commit()
        raise FormInvalid(errors)
    on_behalf = case.resident_user_id if cap == Capacity.ON_BEHALF else None
    change = Change("task.completed", actor, on_behalf, row.element_id, row.id,
                    {"name": row.name, "lane": row.lane, "on_behalf_of_resident": cap == Capacity.ON_BEHALF,
                     "fields": sorted(clean), "values": clean,   # each revision of a living plan is kept
                     "form": row.form,                          # what consent decides by (engine.access.sharing)
                     # #14: completing a task a colleague had taken is allowed, but on the record
                     "claimed_by_other": row.claimed_by_id if row.claimed_by_id not in (None, actor.user_id) else None})
    if row.origin == consent_changes.RENEWAL_ORIGIN:   # a task the service opened: no workflow step
        return consent_changes.complete_renewal(case, row, change)
    action = {"kind": "complete", "task_id": row.id, "data": clean, "actor_id": actor.user_id}
    engine = runtime_state.state().engine
    task_id = row.id

    def run(wf: Any) -> None:
        try:
            engine.complete(wf, task_id, clean)
        except TaskNotReady as exc:
            raise Conflict("Oppgaven er allerede fullført eller ikke lenger åpen.") from exc

    return step(case, action, change, run)


def wake_case(case_id: int, actor: Actor | None = None) -> Case:
    """Fire the case's due timers and run what follows (the timer worker, ``flask timers fire``)."""
    case = get_case(case_id)
    engine = runtime_state.state().engine
    return step(case, {"kind": "wake"}, Change("case.woken", actor) if actor else None, engine.wake)


def deliver_message(actor: Actor | None, case_id: int, name: str, payload: dict[str, Any], *,
                    origin: dict[str, Any] | None = None) -> Case:
    """Deliver a BPMN message (e.g. «bolig_tilbudt») to a case waiting for it.

    The payload is checked against the message's schema first (422, ``MessageInvalid``): a bad one
    is refused before anything is written, so the case keeps its version, audit and state. A good
    one for a case not waiting for it is 409. ``origin`` (e.g. the inbound event's id) is kept with
    the action, so a retry of a failed delivery can settle the event too.
    """
    case = get_case(case_id)
    if actor is not None:
        access.require_read(actor, case, "message")
        if not actor.is_caseworker:
            raise access.Forbidden("Bare saksbehandlere kan registrere hendelser.")
    try:
        messages.check(case.process_version_id, name, payload)
        try:
            check_anchor_dates(payload)
        except FormInvalid as exc:
            raise MessageInvalid({f"data/{k}": v for k, v in exc.errors.items()}) from exc
    except MessageInvalid:
        db.session.rollback()   # not even the access-log row: a refused message leaves no trace
        raise
    db.session.commit()   # the read stands, whatever the step answers (409 included)
    engine = runtime_state.state().engine

    def run(wf: Any) -> None:
        if not engine.deliver_message(wf, name, payload):
            raise Conflict(f"Saken venter ikke på hendelsen «{name}» nå.",
                           {"waiting_for": engine.waiting_messages(wf)})

    action = {"kind": "message", "name": name, "payload": payload, **({"origin": origin} if origin else {})}
    anchor = MESSAGE_ANCHORS.get(name)
    given = {anchor[1]: payload[anchor[0]]} if anchor and isinstance(payload, dict) and payload.get(anchor[0]) else {}
    return step(case, action, Change("message.received", actor, data={"name": name, **({"anchors": given} if given else {})}),
                run)
