"""The case's anchor dates (T0, bolig tilbudt, T1) as lists and the case page show them.

Which data keys and messages set an anchor, and how a step's changes update them: kept apart from
the unit of work, which only stores the result with the case row.
"""
from __future__ import annotations

from typing import Any

from engine.cases.changes import Change

#: Case data keys that anchor deadlines (PROCESS.md: T0, bolig tilbudt, T1).
ANCHOR_KEYS = ("innflytting", "bolig_tilbudt_dato", "utflytting")
#: Messages that set an anchor: message name → (payload key, anchor).  The offer's date is computed
#: inside a called process, where the top-level data never sees it; the message itself says it.
MESSAGE_ANCHORS = {"bolig_tilbudt": ("dato", "bolig_tilbudt_dato")}


def updated(old: dict[str, str], data: dict[str, Any], changes: list[Change]) -> dict[str, str]:
    """The case's anchor dates for lists and the case page.

    The case data is the most recent task's, and a parallel branch still holds an anchor's earlier
    value (the planned T0 after the actual one was registered), so an anchor already known changes
    only when a task completed in this step answered it.
    """
    anchors = {k: str(v) for k, v in old.items()}
    anchors.update({k: str(data[k]) for k in ANCHOR_KEYS if data.get(k) and k not in anchors})
    for ch in changes:
        given = (ch.data or {}).get("anchors") if ch.type == "message.received" else None
        if isinstance(given, dict):
            anchors.update({k: str(v) for k, v in given.items() if k in ANCHOR_KEYS and v})
        answered = (ch.data or {}).get("values") if ch.type == "task.completed" else None
        if isinstance(answered, dict):
            anchors.update({k: str(answered[k]) for k in ANCHOR_KEYS if answered.get(k)})
    return anchors
