"""Moving a saved workflow state to another version of its process (the SpiffWorkflow side).

SpiffWorkflow 3.2 restores a saved instance against whatever spec objects it is given, looking each
task's spec up by name. Tasks it only *predicted* from the old diagram (MAYBE/LIKELY/FUTURE) describe
the old path ahead, so they are dropped before the restore and predicted again from the new spec.
"""
from __future__ import annotations

import json
from typing import Any

from SpiffWorkflow.util.task import TaskState

from engine.bpmn import spec, state_codec

_OPEN = {int(TaskState.READY), int(TaskState.WAITING), int(TaskState.STARTED), int(TaskState.ERROR)}
_PREDICTED = {int(TaskState.MAYBE), int(TaskState.LIKELY), int(TaskState.FUTURE)}


def _state_tasks(state: dict[str, Any]) -> list[dict[str, Any]]:
    tasks = list(state.get("tasks", {}).values())
    for sub in (state.get("subprocesses") or {}).values():
        tasks += list(sub.get("tasks", {}).values())
    return tasks


def prune_predictions(state: dict[str, Any]) -> dict[str, Any]:
    """Drop predicted tasks (finished and open tasks are kept as they are)."""
    for holder in [state, *(state.get("subprocesses") or {}).values()]:
        tasks = holder.get("tasks", {})
        drop = {tid for tid, t in tasks.items() if t.get("state") in _PREDICTED}
        for tid in drop:
            tasks.pop(tid)
        for t in tasks.values():
            t["children"] = [c for c in t.get("children", []) if c not in drop]
    return state


def readable(stored: bytes | str) -> bool:
    """Whether stored state decodes (a case whose state cannot be read cannot be migrated)."""
    try:
        state_codec.decode(stored)
    except state_codec.StateUnreadable:
        return False
    return True


def migrated_state(stored: bytes | str) -> str:
    """The saved state (any stored format) ready to be restored against another version (predictions removed)."""
    return json.dumps(prune_predictions(state_codec.decode(stored)))


def missing_specs(stored: bytes | str, to_bundle: Any) -> tuple[set[str], set[str]]:
    """Task specs the state names that ``to_bundle`` lacks: (open ones, finished ones)."""
    names = spec.task_spec_names(to_bundle)
    open_missing: set[str] = set()
    past_missing: set[str] = set()
    for t in _state_tasks(prune_predictions(state_codec.decode(stored))):
        if t["task_spec"] not in names:
            (open_missing if t.get("state") in _OPEN else past_missing).add(t["task_spec"])
    return open_missing, past_missing


def repredict(wf: Any) -> None:
    """Let the engine predict the path ahead of each open task from the *new* spec."""
    mask = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
    for task in wf.get_tasks(state=mask):
        if not task.children:
            task.task_spec._predict(task, mask=mask | TaskState.FUTURE | TaskState.PREDICTED_MASK)
