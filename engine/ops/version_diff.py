"""Versions compared (#18 item 3): the element-level diff of two versions of a process, or of the
draft against a version, and the migration dry-run between versions chosen by *number*.

The diff itself is ``engine.bpmn.diagram_diff`` (pure); this module finds the diagrams that define
the process in each version and maps version numbers to the ids ``engine.ops.migration`` takes.
"""
from __future__ import annotations

from typing import Any

from engine.bpmn import diagram_diff
from engine.bpmn.lanes import Actor
from engine.errors import NotFound
from engine.ops import migration
from engine.processes import drafts


def _diagram(files: dict[str, Any], process_key: str) -> str:
    name = drafts.defining_file(files, process_key)
    if name is None:
        raise NotFound("Fant ikke diagrammet som definerer prosessen.")
    return files[name]


def compare(actor: Actor, process_key: str, old: Any, new: Any) -> dict[str, Any]:
    """The diff from version ``old`` to version ``new`` (``new`` == "utkast": the saved draft), with
    both diagrams so the page can draw the new one and mark the changes."""
    drafts.require_owner(actor)
    a = drafts.version_by_number(process_key, old)
    old_xml = _diagram(drafts.version_files(a), process_key)
    new_label: str | int
    if new == "utkast":
        draft = drafts.get_draft(process_key)
        if draft is None:
            raise NotFound("Prosessen har ikke noe utkast.")
        new_xml, new_label = _diagram(draft.files, process_key), "utkast"
    else:
        b = drafts.version_by_number(process_key, new)
        new_xml, new_label = _diagram(drafts.version_files(b), process_key), b.version
    changes = diagram_diff.diff(old_xml, new_xml)
    return {"process_key": process_key, "old": a.version, "new": new_label, "old_xml": old_xml, "new_xml": new_xml,
            "changes": [c.to_dict() for c in changes],
            "counts": {k: sum(c.kind == k for c in changes)
                       for k in (diagram_diff.ADDED, diagram_diff.REMOVED, diagram_diff.CHANGED)}}


def dry_run(actor: Actor, process_key: str, old: Any, new: Any) -> dict[str, Any]:
    """Which running cases of version ``old`` could move to version ``new``, and why not (nothing moves)."""
    drafts.require_owner(actor)
    a, b = drafts.version_by_number(process_key, old), drafts.version_by_number(process_key, new)
    report = migration.migrate(actor, a.id, b.id, dry_run=True).to_dict()
    return {**report, "from_version": a.version, "to_version": b.version}
