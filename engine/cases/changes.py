"""What a step did, as audit events: the value the unit of work writes and hands to its hooks."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.bpmn.lanes import Actor


@dataclass
class Change:
    """One audit event of a case change (also the input of the webhook outbox)."""

    type: str
    actor: Actor | None = None
    on_behalf_of_id: int | None = None
    element_id: str | None = None
    task_id: str | None = None
    data: dict[str, Any] | None = None
