"""Which BPMN messages a process accepts, and the JSON Schema each message's payload must match.

A message arrives from outside (a webhook, the API) and becomes case data through the catch event's
``spiffworkflow:messageVariable``; the scripts after it then read fields of it
(``bolig_tilbud["dato"]``).  A payload that is not what those scripts expect breaks the case
*after* it was accepted — so every message a process catches must have a schema, and the service
checks the payload against it at the door, before anything is stored.

The link from message to schema is resolved once, at deploy time, and kept in the version's bundle:

* the catch event's ``spiffworkflow:property`` ``messageJsonSchemaFilename`` names it explicitly, or
* by convention ``melding-<name with - for _>.schema.json`` (``bolig_tilbudt`` →
  ``melding-bolig-tilbudt.schema.json``), so the diagrams need no change.

A catch event whose schema is not in the deployment, is not an object schema, or disagrees with
another catch of the same message is a deploy problem naming the element.  SpiffWorkflow only
(plus lxml for the upload's XML); no Flask, no database.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent

from engine.bpmn import spec as spec_mod
from engine.errors import Problem

#: The property on a message catch event naming the payload's JSON Schema (overrides the convention).
SCHEMA_PROPERTY = "messageJsonSchemaFilename"

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"


def conventional_schema(message_name: str) -> str:
    """The schema file a message uses when its catch event names none."""
    return f"melding-{message_name.replace('_', '-')}.schema.json"


@dataclass(frozen=True)
class Catch:
    """One element that waits for a message: where it is and which schema it asks for."""

    element_id: str
    message: str
    schema: str
    explicit: bool          # named by the property (True) or by the convention (False)
    file: str


def _message_names(task_spec: Any) -> list[str]:
    ed = getattr(task_spec, "event_definition", None)
    found = getattr(ed, "event_definitions", None) or [ed]   # a multiple event lists its definitions
    return [d.name for d in found if isinstance(d, MessageEventDefinition) and d.name]


def catches(process_specs: Iterable[Any]) -> list[Catch]:
    """Every catching message event (intermediate, boundary, start, receive task) of these processes."""
    out: list[Catch] = []
    for process in process_specs:
        file = getattr(process, "file", "") or "-"
        for ts in process.task_specs.values():
            element_id = getattr(ts, "bpmn_id", None)
            if element_id is None or not isinstance(ts, CatchingEvent):
                continue
            named = spec_mod.properties(ts).get(SCHEMA_PROPERTY) or None
            for message in _message_names(ts):
                out.append(Catch(element_id, message, named or conventional_schema(message), named is not None, file))
    return out


def resolve(process_specs: list[Any], forms: dict[str, Any],
            line_of: Callable[[str, str], int | None]) -> tuple[dict[str, str], list[Problem]]:
    """Message name → schema file for these processes, and every problem with the link.

    ``forms`` are the deployment's JSON files (already parsed); ``line_of(file, element_id)`` finds
    the element's line for the problem report.
    """
    schemas: dict[str, str] = {}
    first: dict[str, Catch] = {}
    problems: list[Problem] = []
    for catch in catches(process_specs):
        line = line_of(catch.file, catch.element_id)
        seen = first.setdefault(catch.message, catch)
        if seen.schema != catch.schema:
            problems.append(Problem(catch.file, f"meldingen «{catch.message}» har skjemaet «{seen.schema}» ved "
                                    f"{seen.element_id}, men «{catch.schema}» her; én melding har ett skjema",
                                    line, catch.element_id))
            continue
        schema = forms.get(catch.schema)
        if schema is None:
            why = (f"egenskapen {SCHEMA_PROPERTY} peker på «{catch.schema}», som ikke finnes i utrullingen"
                   if catch.explicit else f"legg «{catch.schema}» i utrullingen (skjemamappen) eller angi "
                   f"egenskapen {SCHEMA_PROPERTY} på hendelsen")
            problems.append(Problem(catch.file, f"meldingen «{catch.message}» har ikke noe JSON Schema for "
                                    f"innholdet: {why}", line, catch.element_id))
            continue
        if not isinstance(schema, dict) or schema.get("type") != "object":
            problems.append(Problem(catch.file, f"skjemaet «{catch.schema}» for meldingen «{catch.message}» må "
                                    "beskrive et JSON-objekt (\"type\": \"object\")", line, catch.element_id))
            continue
        schemas[catch.message] = catch.schema
    return schemas, problems


def referenced_schemas(root: etree._Element) -> set[str]:
    """Schema files an uploaded diagram's messages may need (so the forms folder can supply them).

    Every ``bpmn:message`` by convention plus every explicit property; a name that turns out
    unused is simply not kept in the bundle.
    """
    names = {conventional_schema(m.get("name")) for m in root.iterfind(f".//{{{BPMN_NS}}}message") if m.get("name")}
    names |= {p.get("value") for p in root.iterfind(f".//{{{SPIFF_NS}}}property")
              if p.get("name") == SCHEMA_PROPERTY and p.get("value")}
    return names
