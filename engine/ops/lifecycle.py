"""Suspend, resume and terminate a case — an administrator's status changes, each one unit of work.

Like every repair they need a reason, are audited as ``case.repaired`` and change nothing when
refused. A suspended case takes no step: no timer fires for it (the due-timer query skips it) and
no task can be completed; resuming puts back the status it had (an errored case stays in error,
its retry kept). Terminating cancels the workflow and removes its open tasks and timers.
"""
from __future__ import annotations

from typing import Any

from engine import cases
from engine.bpmn.lanes import Actor
from engine.errors import Conflict
from engine.ops.guard import change as _change
from engine.ops.guard import load as _load
from engine.ops.guard import reason as _reason
from engine.store.models import Case


def _set_status(actor: Actor, case: Case, new_status: str, action: str, reason: str,
                terminate: bool = False) -> Case:
    with cases.CaseUnitOfWork(case, {"kind": action}, actor, mark_error=False, require_active=False) as uow:
        if terminate:
            uow.engine.cancel(uow.workflow)
        uow.record(_change(actor, action, reason, previous_status=case.status))
        uow.commit(new_status=new_status, clear_projections=terminate)
    return cases.unit_of_work.get_case(case.id)


def suspend(actor: Actor, case_id: int, reason: Any) -> Case:
    """Put a case on hold: no timer fires and no task can be completed until it is resumed."""
    case = _load(actor, case_id, "suspend")
    reason = _reason(reason)
    if case.status not in cases.ACTIVE:
        raise Conflict(cases.refusal_text(case.status))
    return _set_status(actor, case, cases.SUSPENDED, "suspend", reason)


def resume(actor: Actor, case_id: int, reason: Any) -> Case:
    """Take a case off hold; a case that was in error goes back to error (its retry is kept)."""
    case = _load(actor, case_id, "resume")
    reason = _reason(reason)
    if case.status != cases.SUSPENDED:
        raise Conflict("Saken er ikke satt på vent.")
    return _set_status(actor, case, cases.ERROR if case.error_action else cases.RUNNING, "resume", reason)


def terminate(actor: Actor, case_id: int, reason: Any) -> Case:
    """End a case for good: the workflow is cancelled, its tasks and timers are removed."""
    case = _load(actor, case_id, "terminate")
    reason = _reason(reason)
    if case.status in cases.ENDED:
        raise Conflict(cases.refusal_text(case.status))
    return _set_status(actor, case, cases.TERMINATED, "terminate", reason, terminate=True)
