"""Lanes → case parties: any lane name a process owner draws is mapped to who acts on the case.

A case has three parties of its own (``bydel``, ``institusjon``, ``beboer``); a process may declare
more with the ``parter`` property on its ``bpmn:process`` (comma-separated names).  Each lane maps
to one party:

1. the lane's ``part`` property, when set: one of the three or a declared party (anything else is
   refused, naming the lane);
2. else the lane's *name*, case-insensitively, when it is one of the three («Bydel», «bydelen»), or
   a declared party;
3. else the lane is a party of its own, named like the lane («Saksbehandler», «Fagleder») — a plain
   Camunda Modeler diagram with lanes named after roles deploys and runs as drawn.

Who may act on a party that is not one of the three is decided in :func:`engine.bpmn.lanes.capacity`
(caseworkers of the case's organisations holding a role of that name; a leader of the case's bydel
otherwise).  A process with no lanes at all gives every human task to the bydel; a process *with*
lanes that leaves a human task outside them is refused (the owner forgot to place it).

The mapping is applied once, at deploy time, by rewriting ``task_spec.lane`` to the party, so the
stored spec, the task projections and the access rules all speak of parties.  Pure: lxml only.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from engine.bpmn import lanes
from engine.errors import Problem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
PART_PROPERTY, PARTIES_PROPERTY = "part", "parter"
#: Everyday forms of the three parties a process owner may write as a lane name.
SYNONYMS = {"bydelen": lanes.BYDEL, "institusjonen": lanes.INSTITUSJON, "beboeren": lanes.BEBOER,
            "bruker": lanes.BEBOER, "brukeren": lanes.BEBOER}
#: A party name is stored with each open task (``open_tasks.lane``, 50 characters).
MAX_PARTY = 50


def normalise(name: str | None) -> str:
    """A party key: lower case, inner whitespace collapsed."""
    return " ".join((name or "").split()).lower()


def element_property(element: etree._Element, name: str) -> str | None:
    """A ``spiffworkflow:property`` directly on ``element`` (not on its children)."""
    for prop in element.iterfind(f"./{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}properties/{{{SPIFF_NS}}}property"):
        if prop.get("name") == name:
            return prop.get("value")
    return None


def declared(process: etree._Element) -> list[str]:
    """The extra parties a ``bpmn:process`` declares (``parter``), normalised, in order."""
    raw = element_property(process, PARTIES_PROPERTY) or ""
    return list(dict.fromkeys(n for n in (normalise(p) for p in raw.split(",")) if n))


@dataclass
class FileParties:
    """What one diagram file says about parties: lane name → party, and which processes have lanes."""

    by_lane: dict[str, str] = field(default_factory=dict)
    processes_with_lanes: set[str] = field(default_factory=set)
    declared: dict[str, list[str]] = field(default_factory=dict)


def read(file: str, root: etree._Element, problems: list[Problem]) -> FileParties:
    """Map every lane of every process in one file to a party, recording (not raising) refusals."""
    out = FileParties()
    for process in root.iterfind(f"{{{BPMN_NS}}}process"):
        pid = process.get("id") or ""
        parties = declared(process)
        out.declared[pid] = parties
        for name in parties:
            if len(name) > MAX_PARTY:
                problems.append(Problem(file, f"parten «{name[:60]}…» i egenskapen «parter» er for lang "
                                              f"(høyst {MAX_PARTY} tegn)", process.sourceline, pid or None))
        for lane in process.iterfind(f".//{{{BPMN_NS}}}lane"):
            out.processes_with_lanes.add(pid)
            party = _party(file, lane, parties, problems)
            name = lane.get("name")
            if party is None or name is None:
                continue
            earlier = out.by_lane.get(name)
            if earlier is not None and earlier != party:
                problems.append(Problem(file, f"banen «{name}» finnes flere ganger med ulik part "
                                              f"(«{earlier}» og «{party}»); gi banene ulike navn",
                                        lane.sourceline, lane.get("id")))
            out.by_lane[name] = party
    return out


def _party(file: str, lane: etree._Element, parties: list[str], problems: list[Problem]) -> str | None:
    lane_id, name = lane.get("id"), lane.get("name")
    explicit = element_property(lane, PART_PROPERTY)
    known = ", ".join([*lanes.LANES, *parties])
    if explicit is not None and explicit.strip():
        party = normalise(explicit)
        if party in lanes.LANES or party in parties:
            return party
        problems.append(Problem(file, f"banen «{name or lane_id}» har part «{explicit}», som prosessen ikke kjenner; "
                                      f"bruk {known}, eller legg parten til i egenskapen «parter» på prosessen",
                                lane.sourceline, lane_id))
        return None
    key = normalise(name)
    if not key:
        problems.append(Problem(file, "banen har verken navn eller part; gi banen et navn eller egenskapen «part» "
                                      f"({known})", lane.sourceline, lane_id))
        return None
    party = key if key in lanes.LANES or key in parties else SYNONYMS.get(key, key)
    if len(party) > MAX_PARTY:
        problems.append(Problem(file, f"banenavnet er for langt til å være en part (høyst {MAX_PARTY} tegn); "
                                      "gi banen et kortere navn eller egenskapen «part»", lane.sourceline, lane_id))
        return None
    return party


#: Human tasks in SpiffWorkflow: user, manual and abstract tasks wait for someone to complete them.
HUMAN_KINDS = {"UserTask": "brukeroppgaven", "ManualTask": "den manuelle oppgaven", "NoneTask": "oppgaven"}


def human_kind(task_spec: Any) -> str:
    """How a refusal names a human task's type, in Norwegian («brukeroppgaven», «oppgaven»)."""
    for cls in type(task_spec).__mro__:
        if cls.__name__ in HUMAN_KINDS:
            return HUMAN_KINDS[cls.__name__]
    return "oppgaven"


def apply(specs: Iterable[Any], files: dict[str, FileParties], line_of: Any) -> list[Problem]:
    """Rewrite each task spec's lane to its party; refuse human tasks left outside the lanes.

    ``line_of(file, element_id)`` finds an element's line for the refusal.
    """
    problems: list[Problem] = []
    for process_spec in specs:
        file = getattr(process_spec, "file", "") or "-"
        info = files.get(file, FileParties())
        has_lanes = _has_lanes(process_spec, info)
        for ts in process_spec.task_specs.values():
            if getattr(ts, "bpmn_id", None) is None:
                continue
            if ts.lane is not None:
                ts.lane = info.by_lane.get(ts.lane, normalise(ts.lane))
            elif getattr(ts, "manual", False):
                if has_lanes:
                    problems.append(Problem(file, f"{human_kind(ts)} ligger ikke i noen bane (lane), men prosessen "
                                                  "har baner; legg den i banen til den som skal gjøre den",
                                            line_of(file, ts.bpmn_id), ts.bpmn_id))
                else:
                    ts.lane = lanes.BYDEL
    return problems


def _has_lanes(process_spec: Any, info: FileParties) -> bool:
    """Whether the process (or, for an embedded subprocess, the process drawing it) has lanes."""
    if process_spec.name in info.processes_with_lanes:
        return True
    return any(getattr(ts, "lane", None) is not None for ts in process_spec.task_specs.values())
