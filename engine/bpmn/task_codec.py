"""A faster drop-in for SpiffWorkflow 3.2's ``TaskConverter.to_dict`` — the same dict, byte for byte.

Profiling a completion on the real routine (≈270 tasks, ≈130 KB of state) showed the state dump
at ≈10 ms, and a third of it in ``uuid.UUID.__str__``: every task's id, its parent's and each
child's are formatted again on every step (≈1,100 conversions per dump), and ``task.parent`` is
looked up twice.  Task ids never change, so their text is cached, and the parent is fetched once.
The output is unchanged, so no new state format is needed; ``tests/spine`` checks it against
SpiffWorkflow's own converter.
"""
from __future__ import annotations

import functools
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.workflow import TaskConverter
from SpiffWorkflow.util.deep_merge import DeepMerge

#: Task id → text, shared by every workflow of the process (ids are random: no collisions to fear).
uuid_text = functools.lru_cache(maxsize=1 << 17)(UUID.__str__)


class FastTaskConverter(TaskConverter):
    """SpiffWorkflow's task converter with the id formatting cached (see the module docstring)."""

    def to_dict(self, task: Any) -> dict[str, Any]:
        parent = task.parent
        if parent is None:
            data, delta = task.data, {}
        else:
            data = {}
            delta = {"updates": DeepMerge.get_updated_keys(parent.data, task.data),
                     "deletions": DeepMerge.get_deleted_keys(parent.data, task.data)}
        return {
            "id": uuid_text(task.id),
            "parent": uuid_text(task._parent) if parent is not None else None,
            "children": [uuid_text(child) for child in task._children],
            "last_state_change": task.last_state_change,
            "state": task.state,
            "task_spec": task.task_spec.name,
            "triggered": task.triggered,
            "internal_data": self.registry.convert(task.internal_data),
            "data": data,
            "delta": delta,
        }
