"""The due time of every waiting timer: the only code that reads SpiffWorkflow's timer internals.

SpiffWorkflow keeps a waiting timer's absolute due time in ``task.internal_data['event_value']``
(raw expression value for dates, ISO string for durations, a dict for cycles).  A timer whose
expression cannot be evaluated is *armed* with :data:`BROKEN_SENTINEL` by :class:`GuardedScriptEngine`
(in ``runtime``) and carries the reason, so it is listed as broken instead of being silently lost
(SpiffWorkflow drops such timers otherwise).  Pinned to spiffworkflow 3.2.0.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.util.task import TaskState

from engine.bpmn import progress, spec

#: A due time that never comes, given to a timer whose expression failed; see ``broken_reason``.
BROKEN_SENTINEL = "9999-12-31T00:00:00+00:00"
BROKEN_KEY = "broken_reason"

DEADLINE, CYCLE, OTHER = "deadline", "cycle", "other"


@dataclass(frozen=True)
class TimerInfo:
    """One waiting timer of a case."""

    task_id: str
    element_id: str
    name: str | None
    due: datetime | None            # aware UTC; None when broken or a finished cycle
    kind: str                       # deadline | cycle | other
    deadline_key: str | None        # the diagram's ``frist`` property, if any
    host_task_id: str | None        # the task a boundary timer is attached to
    host_element_id: str | None
    broken_reason: str | None = None


def timer_definition(task_spec) -> TimerEventDefinition | None:
    """The timer definition of a catching event, event-based gateway included (its first timer)."""
    ed = getattr(task_spec, "event_definition", None)
    if isinstance(ed, TimerEventDefinition):
        return ed
    if isinstance(ed, MultipleEventDefinition):
        timers = [d for d in ed.event_definitions if isinstance(d, TimerEventDefinition)]
        return timers[0] if timers else None
    return None


def parse_due(ed: TimerEventDefinition, value) -> datetime | None:
    """An ``event_value`` as an aware UTC datetime (the engine's own parsing)."""
    if value is None:
        return None
    if isinstance(ed, CycleTimerEventDefinition):
        due = None if value["cycles"] == 0 else datetime.fromisoformat(value["next"])
    elif isinstance(ed, TimeDateEventDefinition):
        due = TimerEventDefinition.parse_time_or_duration(value)
    else:
        due = TimerEventDefinition.get_datetime(value)
    if due is None:
        return None
    if due.tzinfo is None:   # never store a naive value: the engine's LOCALTZ is wrong across DST
        due = due.replace(tzinfo=UTC)
    return due.astimezone(UTC)


def _kind(task_spec, ed: TimerEventDefinition, host) -> str:
    """Deadline: marked with a ``frist`` key, or a non-interrupting timer on an activity."""
    if isinstance(ed, CycleTimerEventDefinition):
        return CYCLE
    if deadline_key(task_spec) or (host is not None and getattr(task_spec, "cancel_activity", True) is False):
        return DEADLINE
    return OTHER


def timer_spec(task_spec):
    """The spec that carries the timer's name and properties.

    An event-based gateway waits for its events itself; the timer the process owner named and
    marked (``frist``, ``steg``) is the catch event after it.
    """
    ed = getattr(task_spec, "event_definition", None)
    if isinstance(ed, MultipleEventDefinition):
        # The parser moves each catch event's definition onto the gateway, in outgoing order.
        for out, definition in zip(task_spec.outputs, ed.event_definitions, strict=False):
            if isinstance(definition, TimerEventDefinition):
                return out
    return task_spec


def _props(task_spec) -> dict:
    return spec.properties(timer_spec(task_spec))


def deadline_key(task_spec) -> str | None:
    return _props(task_spec).get("frist")


def watched_step(task_spec) -> str | None:
    """The element id of the step a deadline watch guards (property ``steg``), if any.

    A watch is armed from the anchor date, before its step may even have opened; the step's open
    task (when there is one) is the deadline's host, so it shows the due date and the overdue mark.
    """
    return _props(task_spec).get("steg")


def settling_steps(task_spec) -> tuple[str, ...]:
    """Steps whose completion settles a watch: its own step, and those in ``avklart_av``
    (e.g. an offer makes the søknader unnecessary)."""
    props = _props(task_spec)
    others = [s.strip() for s in (props.get("avklart_av") or "").split(",") if s.strip()]
    return (props["steg"], *others) if props.get("steg") else ()


def settled(task_spec, snap: progress.Snapshot) -> bool:
    """A watch whose step is done (or no longer needed) is no deadline any more.

    It still waits in the workflow and ends quietly when it fires; the projection must neither
    list it nor take its firing for a missed deadline.
    """
    return any(step in snap.completed for step in settling_steps(task_spec))


def _host(task):
    """For a boundary event: the activity it is attached to (sibling under the boundary split)."""
    parent = task.parent
    if parent is None or not isinstance(parent.task_spec, BoundaryEventSplit):
        return None
    for child in parent.children:
        if child is not task and getattr(child.task_spec, "event_definition", None) is None:
            return child
    return None


def timer_info(task, snap: progress.Snapshot | None = None) -> TimerInfo | None:
    """One timer task as a :class:`TimerInfo` (None if the task is not a timer, or is a settled watch).

    ``snap`` (the case's progress) resolves a watch's ``steg`` to its host; without it the
    workflow is read.
    """
    ed = timer_definition(task.task_spec)
    if ed is None:
        return None
    step = watched_step(task.task_spec)
    if step is not None:
        if snap is None:
            snap = progress.snapshot(task.workflow.top_workflow)
        if settled(task.task_spec, snap):
            return None
    value = task.internal_data.get("event_value")
    reason = task.internal_data.get(BROKEN_KEY)
    due = None
    if reason is None:
        if value is None:
            reason = "fristen kunne ikke beregnes (ingen forfallstid er satt)"
        else:
            try:
                due = parse_due(ed, value)
            except Exception as exc:  # noqa: BLE001 - engine raises bare Exception
                reason = f"ugyldig forfallstid {value!r}: {exc}"
    host = _host(task)
    if host is None and step is not None and snap is not None:
        host = snap.ready.get(step)
    kind = _kind(task.task_spec, ed, host)
    return TimerInfo(
        task_id=str(task.id), element_id=task.task_spec.bpmn_id, name=timer_spec(task.task_spec).bpmn_name,
        due=due, kind=kind, deadline_key=deadline_key(task.task_spec),
        host_task_id=str(host.id) if host else None,
        host_element_id=host.task_spec.bpmn_id if host else step, broken_reason=reason)


def waiting_timers(wf) -> list[TimerInfo]:
    """Every WAITING timer of the workflow and its subprocesses, with its due time."""
    waiting = wf.get_tasks(state=TaskState.WAITING)
    snap = progress.snapshot(wf) if any(watched_step(t.task_spec) for t in waiting) else None
    return [info for task in waiting if (info := timer_info(task, snap)) is not None]


def fired_at_once(tasks) -> list[TimerInfo]:
    """Timers armed during a step that had already fired by its end (a deadline in the past).

    Such a timer is never WAITING between two saves, so the projection would not see it: a case
    registered mid-stay would get its leader task but no overdue mark.
    """
    out = []
    for task in tasks:
        if task.state == TaskState.COMPLETED:   # a fired timer runs and completes; cancelled ones do not
            info = timer_info(task)
            if info is not None and info.due is not None and info.due <= datetime.now(UTC):
                out.append(info)
    return out


def set_due(task, due: datetime) -> None:
    """Re-arm a waiting date/duration timer at ``due`` (moving a deadline, rescheduling)."""
    ed = timer_definition(task.task_spec)
    if ed is None or task.state != TaskState.WAITING:
        raise ValueError("oppgaven er ikke en ventende tidtaker")
    if isinstance(ed, CycleTimerEventDefinition):
        value = dict(task.internal_data.get("event_value") or {})
        value["next"] = due.astimezone(UTC).isoformat()
        task.internal_data["event_value"] = value
    else:
        task.internal_data["event_value"] = due.astimezone(UTC).isoformat()
    task.internal_data.pop(BROKEN_KEY, None)
    task.internal_data.pop("event_fired", None)


def rearm(task) -> None:
    """Forget a timer's due time so the engine evaluates its expression again (after a data fix)."""
    task.internal_data.pop("event_value", None)
    task.internal_data.pop(BROKEN_KEY, None)
    task.internal_data.pop("event_fired", None)
    task.task_spec._update(task)


def fire_now(task) -> None:
    """Make a waiting timer due at once (administrator's «fire timer»)."""
    set_due(task, datetime(1970, 1, 1, tzinfo=UTC))
