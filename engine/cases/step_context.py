"""What a step already knows about its case, offered to the change hooks while they run.

Why: every change hook (report facts, notifications, the outbox) used to begin by reading the
case row — its organisations, anchors, status — and the facts hook read the timer rows the
projection had just written.  The unit of work holds all of that in memory at the moment it runs
the hooks, in the same transaction, so each of those statements returned what was already known.
A hook asks :func:`current` for its case; ``None`` (a change recorded outside a step, such as a
comment) means "read it yourself", exactly as before.

Also carries the answers of *probes*: SQL expressions a subsystem registers
(``unit_of_work.Hooks.probes``) that are evaluated in the ``RETURNING`` clause of the case's
version-checked UPDATE — the statement the step runs anyway — so «is there anything for me to do?»
costs no statement of its own.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class DeadlineTimer:
    """A deadline timer of the case as its projection row will hold it after this step."""

    key: str
    host_element_id: str | None
    due_at: datetime


@dataclass(frozen=True)
class StepContext:
    """The case as this step leaves it (columns the hooks read), and the probes' answers."""

    case_id: int
    bydel_id: int
    institution_id: int
    resident_user_id: int | None
    status: str
    anchors: dict[str, str]
    old_anchors: dict[str, str]
    #: every deadline timer waiting after this step; ``None`` when the step did not project timers
    deadline_timers: tuple[DeadlineTimer, ...] | None
    probes: dict[str, bool] = field(default_factory=dict)

    def probe(self, name: str) -> bool:
        """A registered probe's answer; an unknown probe answers *yes* (the hook does its own work)."""
        return self.probes.get(name, True)


_CURRENT: ContextVar[StepContext | None] = ContextVar("tilbolig_step_context", default=None)


def current(case_id: int) -> StepContext | None:
    """The running step's context for ``case_id``, or ``None`` outside a step (read the row yourself)."""
    ctx = _CURRENT.get()
    return ctx if ctx is not None and ctx.case_id == case_id else None


@contextlib.contextmanager
def active(ctx: StepContext) -> Iterator[StepContext]:
    """Offer ``ctx`` to the hooks run inside the ``with`` block (and only there)."""
    token = _CURRENT.set(ctx)
    try:
        yield ctx
    finally:
        _CURRENT.reset(token)


def deadline_timers(waiting: Any) -> tuple[DeadlineTimer, ...]:
    """The deadline timers among ``waiting`` (``TimerInfo``s) as the timer projection stores them:
    a kind of ``deadline`` with a due time, keyed by its deadline key or else its element."""
    return tuple(DeadlineTimer(t.deadline_key or t.element_id, t.host_element_id, t.due)
                 for t in waiting if t.kind == "deadline" and t.due is not None)
