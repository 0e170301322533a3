"""The life-cycle states of a case (the ``cases.status`` column) and what each means for work.

A value set of the store, not of the use cases: the due-timer query, the stuck list and the
metrics all filter on it, and none of them may import the use-case layer.
"""
from __future__ import annotations

RUNNING = "running"
COMPLETED = "completed"
ERROR = "error"
SUSPENDED = "suspended"
TERMINATED = "terminated"

#: Every status, in the order the console shows them.
ALL = (RUNNING, COMPLETED, ERROR, SUSPENDED, TERMINATED)
#: A case that may still change by a step (an errored case is repaired by a step too).
ACTIVE = (RUNNING, ERROR)
#: A case that will never change again.
ENDED = (COMPLETED, TERMINATED)

_TEXT = {COMPLETED: "Saken er avsluttet.", SUSPENDED: "Saken er satt på vent.", TERMINATED: "Saken er avbrutt."}


def refusal_text(status: str) -> str:
    """Why a case in ``status`` cannot take a step (shown to the user with a 409)."""
    return _TEXT.get(status, "Saken kan ikke endres nå.")
