"""Repairs an administrator makes to a stuck case — each with a required reason, audited, one transaction.

Unlike a normal step, a repair that fails changes *nothing*: an engine failure during a retry does
not mark the case again (it is already marked), it is rolled back and reported (422), so the case
stays exactly as it was.  Every repair writes one ``case.repaired`` audit event carrying the action,
the reason and the actor, in the same commit as the change.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from engine import cases, clock, forms
from engine.access import rules as access
from engine.bpmn import lanes, timers
from engine.bpmn.lanes import Actor
from engine.bpmn.runtime import TaskNotReady
from engine.errors import BadRequest, Conflict, FormInvalid, NotFound, Unprocessable
from engine.events import inbox
from engine.extensions import db
from engine.ops.guard import ACTIONS
from engine.ops.guard import change as _change
from engine.ops.guard import load as _load
from engine.ops.guard import reason as _reason
from engine.ops.lifecycle import resume, suspend, terminate
from engine.processes import runtime_state
from engine.store.models import Case, OpenTask, Timer, User

__all__ = ["ACTIONS", "edit_data", "fire_timer", "move_token", "repair", "reschedule_timer", "resume", "retry",
           "suspend", "system_actor", "terminate"]


def _run(case: Case, change: cases.Change, fn: Callable[[Any], None], clears_error: bool = False) -> Case:
    """One unit of work that does not mark the case on failure: a failed repair leaves no trace on the case."""
    return cases.step(case, {"kind": "repair"}, change, fn, mark_error=False, clears_error=clears_error,
                      failure_text="Rettingen feilet; saken er uendret.")


def _patch(data: Any) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BadRequest("data må være et JSON-objekt")
    return data


def _validate_for_task(case: Case, task_id: str | None, patch: dict[str, Any]) -> None:
    """Check a data fix against the targeted task's form (fields it does not send are not required)."""
    if not patch or task_id is None:
        return
    row = db.session.get(OpenTask, task_id)
    schema = cases.task_schema(row, case) if row is not None else None
    if schema is None:
        return
    errors = forms.validate({**schema, "required": []}, patch)
    if errors:
        raise FormInvalid(errors)


def retry(actor: Actor, case_id: int, reason: Any, data: Any = None) -> Case:
    """Re-run the step that failed (``Case.error_action``) on the saved state, after an optional data fix.

    For a failed task the fix goes into the task's data (checked against its form). For a failed
    *message* the fix goes into the message's payload — the case never took it in, so there is no
    task to fix — and the whole corrected payload must pass the message's schema (422 otherwise,
    case unchanged). A message retried without a fix is checked too: the stored payload may be one
    that came in before messages were checked at the door.
    """
    case = _load(actor, case_id, "retry")
    reason = _reason(reason)
    patch = _patch(data)
    if case.status != cases.ERROR or not case.error_action:
        raise Conflict("Saken har ingen feil å prøve på nytt.")
    action = dict(case.error_action)
    engine = runtime_state.state().engine
    kind = action.get("kind")
    task_id = action.get("task_id")
    payload: dict[str, Any] = {}
    if kind == "message":
        payload = {**(action.get("payload") or {}), **patch}
        cases.check_message(case.process_version_id, action["name"], payload)
    else:
        _validate_for_task(case, task_id, patch)

    def run(wf) -> None:
        if patch and kind != "message":
            target = task_id or _single_ready(wf)
            if target is None:
                raise Unprocessable("Fant ingen oppgave å rette data på.")
            engine.set_task_data(wf, target, patch)
        try:
            if kind == "complete":
                engine.complete(wf, action["task_id"], action.get("data") or {})
            elif kind == "message":
                if not engine.deliver_message(wf, action["name"], payload):
                    raise Conflict(f"Saken venter ikke på hendelsen «{action['name']}» nå.")
            else:
                engine.wake(wf)
                engine.retry(wf)
        except TaskNotReady as exc:
            raise Conflict("Oppgaven som feilet er ikke lenger åpen.") from exc

    change = _change(actor, "retry", reason, element_id=case.error_element, task_id=task_id,
                     kind=kind, fields=sorted(patch))
    repaired = _run(case, change, run, clears_error=True)
    origin = action.get("origin") or {}
    if kind == "message" and origin.get("inbound_event_id"):
        inbox.settle(origin["inbound_event_id"])
    return repaired


def _single_ready(wf) -> str | None:
    ready = runtime_state.state().engine.ready_tasks(wf)
    return ready[0].id if len(ready) == 1 else None


def edit_data(actor: Actor, case_id: int, reason: Any, data: Any, task_id: str | None = None) -> Case:
    """Replace keys of the data of a READY task (the failing one by default), validated against its form."""
    case = _load(actor, case_id, "edit_data")
    reason = _reason(reason)
    patch = _patch(data)
    if not patch:
        raise Unprocessable("Ingen data å endre.", {"data": ["Oppgi feltene som skal endres."]})
    if task_id is None and case.error_action:
        task_id = case.error_action.get("task_id")
    if task_id is None:
        rows = list(db.session.scalars(sa.select(OpenTask.id).where(OpenTask.case_id == case.id,
                                                                     OpenTask.origin.is_(None))))   # the workflow's
        if len(rows) != 1:
            raise Unprocessable("Oppgi hvilken oppgave dataene gjelder.", {"task_id": ["Påkrevd."]})
        task_id = rows[0]
    _validate_for_task(case, task_id, patch)
    engine = runtime_state.state().engine

    def run(wf) -> None:
        try:
            engine.set_task_data(wf, task_id, patch)
        except TaskNotReady as exc:
            raise NotFound("Fant ikke oppgaven i saken.") from exc

    return _run(case, _change(actor, "edit_data", reason, task_id=task_id, fields=sorted(patch)), run)


def _timer_task(case: Case, key: Any) -> Timer:
    if not isinstance(key, str) or not key:
        raise Unprocessable("Oppgi tidtakeren.", {"timer": ["Påkrevd (oppgave-id eller fristnøkkel)."]})
    row = db.session.scalar(sa.select(Timer).where(Timer.case_id == case.id, sa.or_(
        Timer.task_id == key, Timer.deadline_key == key, Timer.element_id == key)).order_by(Timer.id).limit(1))
    if row is None:
        raise NotFound(f"Saken har ingen ventende tidtaker «{key}».")
    return row


def fire_timer(actor: Actor, case_id: int, reason: Any, timer: Any) -> Case:
    """Make a waiting timer due now and run what follows."""
    return _set_timer(actor, case_id, reason, timer, None, "fire_timer")


def reschedule_timer(actor: Actor, case_id: int, reason: Any, timer: Any, due_at: Any) -> Case:
    """Re-arm a waiting (or broken) timer at ``due_at`` (ISO 8601 with offset)."""
    try:
        due = datetime.fromisoformat(due_at) if isinstance(due_at, str) else None
    except ValueError:
        due = None
    if due is None or due.tzinfo is None:
        raise Unprocessable("Ugyldig tidspunkt.", {"due_at": ["Bruk ISO 8601 med tidssone, f.eks. 2026-04-01T08:00:00+02:00."]})
    return _set_timer(actor, case_id, reason, timer, due, "reschedule_timer")


def _set_timer(actor: Actor, case_id: int, reason: Any, key: Any, due: datetime | None, action: str) -> Case:
    case = _load(actor, case_id, action)
    reason = _reason(reason)
    row = _timer_task(case, key)
    engine = runtime_state.state().engine
    task_id = row.task_id

    def run(wf) -> None:
        task = engine.task(wf, task_id)
        try:
            timers.fire_now(task) if due is None else timers.set_due(task, due)
        except ValueError as exc:
            raise Conflict("Tidtakeren venter ikke lenger. Last siden på nytt.") from exc
        engine.wake(wf)

    if due is None:   # the projection then records it as fired (and a deadline as overdue), like the scheduler
        db.session.execute(sa.update(Timer).where(Timer.id == row.id).values(due_at=clock.now()))
    extra = {"due_at": due.isoformat()} if due else {}
    return _run(case, _change(actor, action, reason, element_id=row.element_id, task_id=task_id, **extra), run)


def move_token(actor: Actor, case_id: int, reason: Any, element_id: Any) -> Case:
    """Go back to an earlier task (``reset_from_task_id``): what came after it is cancelled, it is ready again."""
    case = _load(actor, case_id, "move_token")
    reason = _reason(reason)
    if not isinstance(element_id, str) or not element_id:
        raise Unprocessable("Oppgi elementet saken skal flyttes til.", {"element_id": ["Påkrevd."]})
    engine = runtime_state.state().engine

    def run(wf: Any) -> None:
        if not engine.reset_to(wf, element_id):
            raise Unprocessable(f"Saken har ingen fullført oppgave «{element_id}» å gå tilbake til.",
                                {"element_id": ["Bare tidligere fullførte brukeroppgaver kan velges."]})

    return _run(case, _change(actor, "move_token", reason, element_id=element_id), run)


def repair(actor: Actor, case_id: int, action: str, body: dict[str, Any]) -> Case:
    """Dispatch one repair by name (API and CLI)."""
    reason = body.get("reason")
    if action == "retry":
        return retry(actor, case_id, reason, body.get("data"))
    if action == "edit_data":
        return edit_data(actor, case_id, reason, body.get("data"), body.get("task_id"))
    if action == "fire_timer":
        return fire_timer(actor, case_id, reason, body.get("timer"))
    if action == "reschedule_timer":
        return reschedule_timer(actor, case_id, reason, body.get("timer"), body.get("due_at"))
    if action == "suspend":
        return suspend(actor, case_id, reason)
    if action == "resume":
        return resume(actor, case_id, reason)
    if action == "terminate":
        return terminate(actor, case_id, reason)
    if action == "move_token":
        return move_token(actor, case_id, reason, body.get("element_id"))
    raise NotFound(f"Ukjent retting «{action}».", {"actions": list(ACTIONS)})


def system_actor() -> Actor:
    """The CLI acts as the first active administrator (the audit trail needs a person)."""
    user = db.session.scalar(sa.select(User).where(User.roles.contains(lanes.ADMINISTRATOR), User.active.is_(True))
                             .order_by(User.id).limit(1))
    if user is None:
        raise Unprocessable("Ingen administrator finnes; opprett en bruker med rollen administrator.")
    return access.actor_for(user)
