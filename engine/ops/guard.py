"""What every repair shares: administrators only, a reason required, the read logged, one audit shape."""
from __future__ import annotations

from typing import Any

from engine import cases
from engine.access import rules as access
from engine.bpmn import lanes
from engine.bpmn.lanes import Actor
from engine.errors import NotFound, Unprocessable
from engine.extensions import db
from engine.store.models import Case

ACTIONS = ("retry", "edit_data", "fire_timer", "reschedule_timer", "suspend", "resume", "terminate", "move_token")
MAX_REASON = 2000


def reason(reason: Any) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise Unprocessable("Begrunnelse mangler.", {"reason": ["Skriv hvorfor saken rettes."]})
    if len(reason) > MAX_REASON:
        raise Unprocessable("Begrunnelsen er for lang.", {"reason": [f"Høyst {MAX_REASON} tegn."]})
    return reason.strip()


def load(actor: Actor, case_id: int, action: str) -> Case:
    access.require_role(actor, lanes.ADMINISTRATOR)
    case = db.session.get(Case, case_id)
    if case is None:
        raise NotFound("Fant ikke saken.")
    access.log(actor, case.id, f"repair:{action}")
    db.session.commit()   # the access-log row stands even if the repair is refused
    return case


def change(actor: Actor, action: str, reason: str, **extra: Any) -> cases.Change:
    return cases.Change("case.repaired", actor, element_id=extra.pop("element_id", None),
                        task_id=extra.pop("task_id", None), data={"action": action, "reason": reason, **extra})
