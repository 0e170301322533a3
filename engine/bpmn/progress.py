"""What the case has done so far, readable from diagram expressions: ``fullfort("kartlegging")``.

SpiffWorkflow copies data per branch: a deadline watch started at T0 never sees what another branch
completed later, so it could not tell a missed step from a done one.  The facts it needs are not
data but the case's own history: which steps have completed, which are open now.  This module
reads them from the workflow (all subprocesses included) and offers them to expressions as three
read-only functions with Norwegian names, because process owners write them:

* ``fullfort(steg)`` — a task with element id ``steg`` has completed somewhere in the case;
* ``apen(steg)`` — such a task is open (READY) now;
* ``holdes_opp_av(steg, …)`` — the name of the step that holds a later one up: the first listed
  step open now, else the first listed step not completed yet (``None`` when all are done), so a
  leader's follow-up can name it.

They are computed once per expression that mentions them, outside the script time budget, and
only return booleans and strings: diagram code never gets a workflow object.  No Flask, no database.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.util.task import TaskState

#: The names a diagram may call; an expression mentioning none of them costs nothing extra.
NAMES = ("fullfort", "apen", "holdes_opp_av")


def mentions(source: str) -> bool:
    """Whether ``source`` may call one of the progress functions (a cheap text test)."""
    return any(name in source for name in NAMES)


def _all_tasks(top) -> Iterator[Any]:
    yield from top.tasks.values()
    for sub in top.subprocesses.values():
        yield from sub.tasks.values()


def _step_names(top) -> dict[str, str]:
    names: dict[str, str] = {}
    for spec in [top.spec, *[s for s in (top.subprocess_specs or {}).values() if s is not None]]:
        for ts in spec.task_specs.values():
            bpmn_name = getattr(ts, "bpmn_name", None)
            if bpmn_name and getattr(ts, "bpmn_id", None):
                names.setdefault(ts.bpmn_id, bpmn_name)
    return names


@dataclass(frozen=True)
class Snapshot:
    """Element ids completed somewhere in the case, and the READY task of each open element."""

    completed: frozenset[str]
    ready: dict[str, Any]


def snapshot(top) -> Snapshot:
    """One pass over every task of the case (the top workflow and all its subprocesses)."""
    completed: set[str] = set()
    ready: dict[str, Any] = {}
    for t in _all_tasks(top):
        state = t.state
        if state == TaskState.COMPLETED:
            completed.add(t.task_spec.name)
        elif state == TaskState.READY:
            ready.setdefault(t.task_spec.name, t)
    return Snapshot(frozenset(completed), ready)


def functions_for(task) -> dict[str, Callable[..., Any]]:
    """The progress functions bound to the case ``task`` belongs to (a snapshot taken now)."""
    top = task.workflow.top_workflow
    snap = snapshot(top)
    done = snap.completed
    open_now = frozenset(snap.ready)

    def holdes_opp_av(*steg: str) -> str | None:
        first = next((s for s in steg if s in open_now), None) or next((s for s in steg if s not in done), None)
        return None if first is None else _step_names(top).get(first, first)

    return {"fullfort": done.__contains__, "apen": open_now.__contains__, "holdes_opp_av": holdes_opp_av}
