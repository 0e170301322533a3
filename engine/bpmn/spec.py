"""Reading a parsed process spec: properties, forms, names, timer hosts, who calls whom.

SpiffWorkflow keeps our ``spiffworkflow:property`` values in ``task_spec.extensions['properties']``
and the element id in ``bpmn_id``. This module is the one place that knows it; the case page,
the new-case form, migration and the runtime ask here.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

#: The SpiffArena convention naming a user task's JSON Schema (and optional UI schema).
FORM_PROPERTY = "formJsonSchemaFilename"
UI_FORM_PROPERTY = "formUiSchemaFilename"


def properties(task_spec: Any) -> dict[str, str]:
    """The ``spiffworkflow:properties`` of an element (empty when it has none)."""
    return (getattr(task_spec, "extensions", None) or {}).get("properties", {}) or {}


def form_of(task_spec: Any) -> str | None:
    """The form file a user task (or start event) names."""
    return properties(task_spec).get(FORM_PROPERTY) or None


def ui_form_of(task_spec: Any) -> str | None:
    return properties(task_spec).get(UI_FORM_PROPERTY) or None


def process_specs(bundle: Any) -> list[Any]:
    """The main process spec and every process it calls."""
    return [bundle.spec, *bundle.subprocess_specs.values()]


def called_processes(bundle: Any) -> set[str]:
    """Keys of the processes a bundle's process calls (its call activities, at any depth)."""
    return set(getattr(bundle, "subprocess_specs", None) or {})


def task_specs(bundle: Any) -> Iterable[Any]:
    """Every task spec of every process of a bundle."""
    for process in process_specs(bundle):
        yield from process.task_specs.values()


def task_spec_names(bundle: Any) -> set[str]:
    """Internal task spec names (what a saved state refers to)."""
    names: set[str] = set()
    for process in process_specs(bundle):
        names |= set(process.task_specs)
    return names


def _start_event(process_spec: Any) -> Any | None:
    return next((ts for ts in process_spec.task_specs.values() if type(ts).__name__ == "StartEvent"
                 and form_of(ts)), None)


def start_form(process_spec: Any) -> str | None:
    """The form a process asks for before it starts (a property on its start event)."""
    start = _start_event(process_spec)
    return form_of(start) if start is not None else None


def start_ui_form(process_spec: Any) -> str | None:
    """The start form's UI schema: the start event's property, else ``<name>.uischema.json``."""
    start = _start_event(process_spec)
    if start is None:
        return None
    return ui_form_of(start) or (form_of(start) or "").replace(".schema.json", ".uischema.json")


def element_names(bundle: Any) -> dict[str, str]:
    """Element id → its name in the diagram (main process and the processes it calls)."""
    names: dict[str, str] = {}
    for ts in task_specs(bundle):
        bid = getattr(ts, "bpmn_id", None)
        if bid and getattr(ts, "bpmn_name", None):
            names.setdefault(bid, ts.bpmn_name)
    return names


def element_form(bundle: Any, element_id: str) -> str | None:
    """The form file named by the element with this id."""
    for ts in task_specs(bundle):
        if getattr(ts, "bpmn_id", None) == element_id:
            return form_of(ts)
    return None


def timer_hosts(bundle: Any) -> dict[str, str]:
    """Boundary event element id → the element id of the activity it is attached to."""
    hosts: dict[str, str] = {}
    for ts in task_specs(bundle):
        if type(ts).__name__ != "BoundaryEventSplit":
            continue
        outputs = list(getattr(ts, "outputs", []) or [])
        main = next((o for o in outputs if getattr(o, "event_definition", None) is None), None)
        for o in outputs:
            if o is not main and main is not None and getattr(o, "bpmn_id", None):
                hosts[o.bpmn_id] = main.bpmn_id
    return hosts


def process_names(bundle: Any) -> dict[str, str]:
    """Process key → its name (the main process first, then every process it calls)."""
    return {p.name: (getattr(p, "description", None) or p.name) for p in process_specs(bundle)}


def call_activities(bundle: Any) -> dict[str, str]:
    """Call activity element id → the key of the process it calls (at any depth) — what a
    drill-down into the diagram opens."""
    out: dict[str, str] = {}
    for ts in task_specs(bundle):
        called = getattr(ts, "spec", None)
        if type(ts).__name__ == "CallActivity" and isinstance(called, str) and getattr(ts, "bpmn_id", None):
            out.setdefault(ts.bpmn_id, called)
    return out


def lift_to(bundle: Any, target: str) -> Callable[[str], list[str]]:
    """A function mapping an element id to the ids to mark in the drawing of process ``target``.

    Itself if it belongs to ``target``; else the call activities of ``target`` under which it runs
    (a task of «Boligavklaring» lights up «Oppholdet» in the main process and «Boligavklaring» in
    «Oppholdet»); empty if it does not run under ``target`` at all.
    """
    owners: dict[str, set[str]] = {}
    for process in process_specs(bundle):
        for ts in process.task_specs.values():
            if getattr(ts, "bpmn_id", None):
                owners.setdefault(ts.bpmn_id, set()).add(process.name)
    callers: dict[str, list[str]] = {}
    for element_id, called in call_activities(bundle).items():
        callers.setdefault(called, []).append(element_id)

    def lift(element_id: str, depth: int = 0) -> list[str]:
        mine = owners.get(element_id, set())
        if target in mine:
            return [element_id]
        if depth > 5:
            return []
        out: list[str] = []
        for process in sorted(mine):
            for caller in callers.get(process, []):
                out += [e for e in lift(caller, depth + 1) if e not in out]
        return out
    return lift


def lift_to_main(bundle: Any) -> Callable[[str], list[str]]:
    """A function mapping an element id to the ids to mark in the drawn main process.

    Itself if it is drawn there, else the call activities that run the process it belongs to (a
    task inside «Opphold på institusjon» lights up that call activity).
    """
    main = {getattr(ts, "bpmn_id", None) for ts in bundle.spec.task_specs.values()}
    owner: dict[str, str] = {}
    for name, process in bundle.subprocess_specs.items():
        for ts in process.task_specs.values():
            if getattr(ts, "bpmn_id", None):
                owner.setdefault(ts.bpmn_id, name)
    callers: dict[str, list[str]] = {}
    for ts in task_specs(bundle):
        called = getattr(ts, "spec", None)
        if isinstance(called, str) and getattr(ts, "bpmn_id", None):
            callers.setdefault(called, []).append(ts.bpmn_id)

    def lift(element_id: str, depth: int = 0) -> list[str]:
        if element_id in main or depth > 5:
            return [element_id]
        out: list[str] = []
        for caller in callers.get(owner.get(element_id, ""), []):
            out += lift(caller, depth + 1)
        return out or [element_id]
    return lift
