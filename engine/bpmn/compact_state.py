"""Format 3 of a case's stored state: SpiffWorkflow's dict with each id once, in columns.

Why (#15, «≤ 8 KB running»): in SpiffWorkflow's own layout (formats 1 and 2) a compressed state is
mostly task ids — random, so they do not compress — written three times each (``id``, the child's
``parent``, the parent's ``children``), and at registration four of five tasks are only the predicted
path ahead (MAYBE/LIKELY/FUTURE), which the engine derives from the diagram. Here:

* **predicted tasks lose their ids**: a task's children that are all predicted, with no data, are
  stored as their shape only — element and state of each, nested — and get new ids on restore.
  Nothing keeps a predicted task's id (the projections store open and finished tasks only). They
  are not *re-predicted* from the spec: SpiffWorkflow's ``_predict`` on a restored task gives a
  different tree (FUTURE where the stored one says MAYBE, one level deeper), so the shape is kept;
* **each id is stored once**, as 16 raw bytes in a table after the JSON; tasks refer to ids by their
  index, and a task's children are not written when they are the tasks naming it as parent, in order;
* **names are stored once** (``task_spec`` becomes an index into ``names``), and the per-task fields
  become columns, with the sparse ones (data, delta, internal data, triggered) only where not empty;
* **a task with no data has no delta** (``task_codec.CompactTaskConverter`` writes ``{}`` instead of
  one deleting every key of its parent), stored as a position in ``empty``.

The task data is written as SpiffWorkflow writes it: each task's *delta* against its parent
(``TaskConverter``), so ``reset_to`` restores exactly the data it restored before. (Storing each
distinct delta once was measured: 10–20 bytes of 3–9 KB, as zstd already matches a repeated one.)

:func:`pack` and :func:`unpack` are exact inverses on every kept task (id, parent, children, state,
spec, time, data, internal data) and keep the predicted ones' shape (element, state, nesting; a
restored predicted task has a new id and its parent's time) — ``tests/routine/test_stored_state.py``
checks this on the real routine at every step of a case. No Flask, no SpiffWorkflow objects: dicts
in, dicts out.
"""
from __future__ import annotations

import json
from typing import Any
from uuid import UUID, uuid4

from engine.bpmn.task_codec import remember

MAYBE, LIKELY, FUTURE = 1, 2, 4          # SpiffWorkflow's TaskState values (stable in its dicts)
PREDICTED = frozenset((MAYBE, LIKELY, FUTURE))
_ID_REFS = ("root", "last_task", "parent_task_id")
_TASK_KEYS = {"typename", "id", "parent", "children", "last_state_change", "state", "task_spec", "triggered",
              "internal_data", "data", "delta"}
_SEP = b"\x00"     # JSON text never holds a raw NUL byte: the id table follows the first one


class NotPackable(ValueError):
    """The state has something this layout does not describe (the caller keeps format 2)."""


def _shapes(tasks: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """Tasks whose children are all predicted subtrees without data → those children (stored id-less)."""
    idless: dict[str, bool] = {}

    def free(tid: str) -> bool:    # predicted, no data, and so is everything under it
        if tid not in idless:
            t = tasks[tid]
            idless[tid] = (t["state"] in PREDICTED and t["delta"] == {} and not t["data"]
                           and not t["internal_data"] and not t["triggered"] and all(free(c) for c in t["children"]))
        return idless[tid]

    return {tid: t["children"] for tid, t in tasks.items()
            if t["children"] and not free(tid) and all(free(c) for c in t["children"])}


class _Packer:
    def __init__(self, encoder: type[json.JSONEncoder] | None) -> None:
        self.encoder = encoder
        self.ids: list[str] = []
        self.index: dict[str, int] = {}
        self.names: list[str] = []
        self.name_index: dict[str, int] = {}

    def ref(self, tid: str | None) -> int:
        if tid is None:
            return -1
        i = self.index.get(tid)
        if i is None:
            i = self.index[tid] = len(self.ids)
            self.ids.append(tid)
        return i

    def name(self, name: str) -> int:
        i = self.name_index.get(name)
        if i is None:
            i = self.name_index[name] = len(self.names)
            self.names.append(name)
        return i

    def shape(self, tasks: dict[str, dict[str, Any]], tid: str) -> list[Any]:
        t = tasks[tid]
        return [self.name(t["task_spec"]), t["state"], [self.shape(tasks, c) for c in t["children"]]]

    def workflow(self, wf: dict[str, Any]) -> dict[str, Any]:
        tasks = wf["tasks"]
        shapes = _shapes(tasks)
        dropped: set[str] = set()
        stack = [c for children in shapes.values() for c in children]
        while stack:
            tid = stack.pop()
            dropped.add(tid)
            stack.extend(tasks[tid]["children"])
        kept = [t for tid, t in tasks.items() if tid not in dropped]
        out: dict[str, Any] = {k: v for k, v in wf.items() if k != "tasks" and k not in _ID_REFS}
        for k in _ID_REFS:
            if k in wf:
                out[k] = self.ref(wf[k])
        ids, parents, states, names, times = [], [], [], [], []
        data, delta, internal, triggered, children, empty, predicted = [], [], [], [], [], [], []
        derived: dict[str, list[str]] = {}
        for pos, t in enumerate(kept):
            if t.keys() != _TASK_KEYS or t["typename"] != "Task":
                raise NotPackable(f"uventede felt i en oppgave: {sorted(t)}")
            tid = t["id"]
            ids.append(self.ref(tid))
            parents.append(self.ref(t["parent"]))
            states.append(t["state"])
            names.append(self.name(t["task_spec"]))
            times.append(t["last_state_change"])
            if t["data"]:
                data.append([pos, t["data"]])
            d = t["delta"]
            if t["parent"] is None:
                if d:
                    raise NotPackable("rotoppgaven har en delta")
            elif d == {} and not t["data"]:
                empty.append(pos)     # no data at all (``runtime``'s converter writes no delta then)
            elif not isinstance(d, dict) or d.keys() != {"updates", "deletions"}:
                raise NotPackable(f"uventet delta {d!r}")
            elif d["updates"] or d["deletions"]:
                delta.append([pos, d])
            if t["internal_data"]:
                internal.append([pos, t["internal_data"]])
            if t["triggered"]:
                triggered.append(pos)
            if tid in shapes:
                predicted.append([pos, [self.shape(tasks, c) for c in shapes[tid]]])
            elif t["parent"] is not None:
                derived.setdefault(t["parent"], []).append(tid)
        for pos, t in enumerate(kept):
            if t["id"] not in shapes and t["children"] != derived.get(t["id"], []):
                children.append([pos, [self.ref(c) for c in t["children"]]])
        out["t"] = {"id": ids, "parent": parents, "state": states, "spec": names, "time": times,
                    "data": data, "delta": delta, "internal": internal, "triggered": triggered,
                    "children": children, "empty": empty, "predicted": predicted}
        return out


def pack(state: dict[str, Any], encoder: type[json.JSONEncoder] | None = None) -> bytes:
    """Format-3 bytes (JSON, NUL, id table) of a spec-less state dict as SpiffWorkflow writes it.

    ``encoder`` is the serializer's JSON encoder (SpiffWorkflow leaves some values as objects).
    """
    p = _Packer(encoder)
    top = p.workflow(state)
    top["subprocesses"] = [[p.ref(k), p.workflow(v)] for k, v in (state.get("subprocesses") or {}).items()]
    top["names"] = p.names
    try:
        raw = bytes.fromhex("".join(p.ids).replace("-", ""))
    except (ValueError, TypeError) as exc:
        raise NotPackable(f"en oppgave-id er ikke en UUID: {exc}") from exc
    if len(raw) != 16 * len(p.ids) or any(len(t) != 36 or t != t.lower() for t in p.ids):
        raise NotPackable("en oppgave-id er ikke skrevet som SpiffWorkflow skriver den")
    return json.dumps(top, cls=encoder, separators=(",", ":")).encode() + _SEP + raw


def unpack(blob: bytes) -> dict[str, Any]:
    """The state dict SpiffWorkflow restores (predicted tasks with new ids)."""
    head, sep, raw = blob.partition(_SEP)
    if not sep or len(raw) % 16:
        raise ValueError("format 3 uten id-tabell")
    ids = [_text(UUID(bytes=raw[i:i + 16])) for i in range(0, len(raw), 16)]
    top = json.loads(head)
    names = top.pop("names")
    subprocesses = top.pop("subprocesses")
    state = _workflow(top, ids, names)
    state["subprocesses"] = {ids[k]: _workflow(v, ids, names) for k, v in subprocesses}
    return state


def _text(task_id: UUID) -> str:
    text = str(task_id)
    remember(task_id, text)     # the restore that follows needs it as a UUID again
    return text


def _task(tid: str, parent: str | None, state: int, spec: str, time: float) -> dict[str, Any]:
    return {"typename": "Task", "id": tid, "parent": parent, "children": [], "last_state_change": time,
            "state": state, "task_spec": spec, "triggered": False, "internal_data": {}, "data": {}, "delta": {}}


def _grow(tasks: dict[str, Any], parent: dict[str, Any], shapes: list[Any], names: list[str]) -> None:
    """Predicted tasks from their stored shape, under ``parent``, in the order they were stored."""
    for spec, state, below in shapes:
        task = _task(_text(uuid4()), parent["id"], state, names[spec], parent["last_state_change"])
        tasks[task["id"]] = task
        parent["children"].append(task["id"])
        _grow(tasks, task, below, names)


def _workflow(wf: dict[str, Any], ids: list[str], names: list[str]) -> dict[str, Any]:
    t = wf.pop("t")
    out = dict(wf)
    for k in _ID_REFS:
        if k in wf:
            out[k] = ids[wf[k]] if wf[k] >= 0 else None
    own = [ids[i] for i in t["id"]]
    parents = [ids[i] if i >= 0 else None for i in t["parent"]]
    explicit = {pos: [ids[i] for i in refs] for pos, refs in t["children"]}
    predicted = dict(t["predicted"])
    data = dict(t["data"])
    delta = dict(t["delta"])
    internal = dict(t["internal"])
    triggered, no_data = set(t["triggered"]), set(t["empty"])
    tasks: dict[str, dict[str, Any]] = {}
    for pos, tid in enumerate(own):
        parent = parents[pos]
        task = _task(tid, parent, t["state"][pos], names[t["spec"][pos]], t["time"][pos])
        task["triggered"] = pos in triggered
        task["internal_data"] = internal.get(pos, {})
        task["data"] = data.get(pos, {})
        if pos in delta:
            task["delta"] = delta[pos]
        elif parent is not None and pos not in no_data:
            task["delta"] = {"updates": {}, "deletions": []}
        if pos in explicit:
            task["children"] = explicit[pos]
        tasks[tid] = task
        if pos in predicted:
            _grow(tasks, task, predicted[pos], names)
    fixed = {own[pos] for pos in explicit} | {own[pos] for pos in predicted}
    for pos, tid in enumerate(own):        # the rest: children are the tasks naming them, in order
        parent = parents[pos]
        if parent is not None and parent not in fixed:
            tasks[parent]["children"].append(tid)
    out["tasks"] = tasks
    return out
