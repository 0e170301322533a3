"""What one reader gets of a case: every read path filters through here, deciding with ``engine.access.consent``.

``engine.access.consent`` decides one piece at a time; this module knows where the pieces are —
which form (and lane) wrote each key of the case data, what a completed task's audit event holds,
which tasks are a leader's internal follow-up — and hands back what may be shown plus a list of
what was held back (category and reason, never the content or the field names), so a page or the
API can *say* that something was withheld.  Reads only; the caller has already logged the read.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from engine.access import consent, sharing
from engine.access import rules as access
from engine.access.consent import PROCESS_STATE, Decision, Reader, Source
from engine.bpmn import lanes, spec
from engine.bpmn.lanes import Actor
from engine.processes import deployments
from engine.store.models import AuditEvent, Case, OpenTask


def reader(actor: Actor, case: Case) -> Reader:
    """The consent reader for ``actor`` on ``case`` (one query for the current consent)."""
    return consent.reader(actor, access.parties(case), case.id)


def elements(case: Case) -> dict[str, tuple[str | None, str | None]]:
    """Element id → (form file, required role) of every task of the case's process version."""
    out: dict[str, tuple[str | None, str | None]] = {}
    for ts in spec.task_specs(deployments.bundle_for(case.process_version_id)):
        bid = getattr(ts, "bpmn_id", None)
        if bid and bid not in out:
            out[bid] = (spec.form_of(ts), spec.properties(ts).get("rolle"))
    return out


def start_form(case: Case) -> str | None:
    return spec.start_form(deployments.bundle_for(case.process_version_id).spec)


def event_source(e: AuditEvent, known: dict[str, tuple[str | None, str | None]]) -> Source:
    """Who wrote what a completed task's event holds: its lane and its form's policy."""
    d = e.data or {}
    form = d.get("form") or known.get(e.element_id or "", (None, None))[0]
    return Source.form(d.get("lane"), form)


def key_sources(case: Case, events: list[AuditEvent], known: dict[str, tuple[str | None, str | None]]) -> dict[str, Source]:
    """Case data key → the source that last wrote it (the start form, a task's form, a message)."""
    out: dict[str, Source] = {var: Source(lane, pol) for var, (lane, pol) in sharing.VARIABLES.items()}
    first = start_form(case)
    for e in events:
        d = e.data or {}
        if e.type == "case.opened" and first:
            fields = d.get("fields")
            if not isinstance(fields, list):
                schema = deployments.bundle_for(case.process_version_id).form(first) or {}
                fields = list(schema.get("properties") or {})
            for key in fields:
                out[key] = Source.form(lanes.BYDEL, first)
        elif e.type == "task.completed":
            src = event_source(e, known)
            for key in d.get("fields") or []:
                out[key] = src
    return out


def withheld_groups(decisions: Iterable[Decision]) -> list[Decision]:
    """One decision per distinct reason (category, owner, why), in first-seen order."""
    seen: dict[tuple[Any, ...], Decision] = {}
    for d in decisions:
        if not d.visible:
            seen.setdefault((d.why, d.category, d.owner, d.consent_state), d)
    return list(seen.values())


def filter_values(rd: Reader, source: Source, values: dict[str, Any]) -> tuple[dict[str, Any], list[Decision]]:
    """The fields of one form answer the reader may see, and what was held back (grouped)."""
    shown: dict[str, Any] = {}
    held: list[Decision] = []
    for key, value in values.items():
        decision = rd.decide(source, key)
        if decision.visible:
            shown[key] = value
        else:
            held.append(decision)
    return shown, withheld_groups(held)


def case_data(rd: Reader, case: Case, data: dict[str, Any], events: list[AuditEvent]) -> tuple[dict[str, Any], list[Decision]]:
    """The case's data as ``rd`` may see it: each key decided by the source that wrote it."""
    sources = key_sources(case, events, elements(case))
    shown: dict[str, Any] = {}
    held: list[Decision] = []
    for key, value in data.items():
        decision = rd.decide(sources.get(key, PROCESS_STATE), key)
        if decision.visible:
            shown[key] = value
        else:
            held.append(decision)
    return shown, withheld_groups(held)


@dataclass
class ShownEvent:
    """An audit event as one reader gets it: its data with withheld values removed."""

    event: AuditEvent
    data: dict[str, Any] | None
    withheld: list[Decision] = field(default_factory=list)


def hidden_element(rd: Reader, element_id: str | None, known: dict[str, tuple[str | None, str | None]]) -> bool:
    if not element_id or rd.viewer != consent.BEBOER:
        return False
    form, role = known.get(element_id, (None, None))
    return rd.hides_task(role, form)


def events(rd: Reader, case: Case, rows: list[AuditEvent]) -> list[ShownEvent]:
    """The case's timeline for ``rd``: form values filtered field by field; for the resident,
    leaders' follow-ups left out and engine error text removed."""
    known = elements(case)
    opened = Source.form(lanes.BYDEL, start_form(case))
    out: list[ShownEvent] = []
    for e in rows:
        d = dict(e.data or {})
        if hidden_element(rd, e.element_id, known) or (rd.viewer == consent.BEBOER and d.get("role") == lanes.LEDER):
            continue
        if e.type == "case.error" and rd.viewer == consent.BEBOER:
            d = {}
        held: list[Decision] = []
        if e.type in ("task.completed", "case.opened"):
            source = event_source(e, known) if e.type == "task.completed" else opened
            if isinstance(d.get("values"), dict):
                d["values"], held = filter_values(rd, source, d["values"])
            fields = [k for k in d.get("fields") or [] if rd.decide(source, k).visible]
            if len(fields) != len(d.get("fields") or []):
                held = held or withheld_groups(rd.decide(source, k) for k in d.get("fields") or [])
                d["fields"] = fields
        out.append(ShownEvent(e, d or None, held))
    return out


def tasks(rd: Reader, rows: list[OpenTask]) -> list[OpenTask]:
    """Open tasks ``rd`` is shown (the resident does not see leaders' internal follow-ups)."""
    return [t for t in rows if not rd.hides_task(t.role, t.form)]


def timers(rd: Reader, case: Case, rows: list[Any]) -> list[Any]:
    """Waiting timers ``rd`` is shown (none hosted by a task hidden from them)."""
    if rd.viewer != consent.BEBOER:
        return rows
    known = elements(case)
    return [t for t in rows if not hidden_element(rd, getattr(t, "host_element_id", None), known)]


def draft(rd: Reader, row: OpenTask) -> tuple[dict[str, Any] | None, bool]:
    """(the task's draft, whether one was held back): only someone who may complete it reads it."""
    if row.draft is None:
        return None, False
    if rd.may_see_draft(row.lane, row.role):
        return row.draft, False
    return None, True


def prefill(rd: Reader, case: Case, schema: dict[str, Any] | None, data: dict[str, Any],
            events_: list[AuditEvent]) -> dict[str, Any]:
    """Earlier answers to a form's fields, as the reader may see them (a living plan is edited, not
    retyped — but not with what the other organisation may not share)."""
    if not schema:
        return {}
    shown, _held = case_data(rd, case, {k: data[k] for k in (schema.get("properties") or {}) if k in data}, events_)
    return shown
