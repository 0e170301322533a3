"""Inbound events: from a verified request body to a BPMN message for a case.

The expected body (the housing office's «bolig tilbudt», for example)::

    {"type": "bolig_tilbudt", "case_id": 42, "data": {"dato": "2026-05-01", ...}}
    {"type": "bolig_tilbudt", "external_ref": "BOLIG-2026-0042", "data": {...}}

``type`` is the BPMN message name; it must be one the source is allowed to send, so a source for
housing offers cannot end a stay.  ``data`` becomes the message payload.
Pure: no Flask, no database.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

MAX_BODY_BYTES = 64 * 1024
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,99}$")


class InvalidEvent(ValueError):
    """The body is not an event we understand; ``details`` maps fields to problems."""

    def __init__(self, message: str, details: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message, self.details = message, details or {}


@dataclass(frozen=True)
class InboundMessage:
    """What an event asks for: deliver message ``name`` with ``payload`` to the case it names."""

    name: str
    case_id: int | None
    external_ref: str | None
    payload: dict[str, Any] = field(default_factory=dict)


def parse(body: bytes, allowed: frozenset[str]) -> InboundMessage:
    """Translate a verified body; raise ``InvalidEvent`` if it is not a usable event."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidEvent("Innholdet er ikke gyldig JSON.") from exc
    if not isinstance(doc, dict):
        raise InvalidEvent("Forventet et JSON-objekt.")
    errors: dict[str, list[str]] = {}
    name = doc.get("type")
    if not isinstance(name, str) or not _NAME.match(name):
        errors["type"] = ["Mangler eller ugyldig meldingsnavn."]
    elif name not in allowed:
        errors["type"] = [f"Kilden har ikke lov til å sende «{name}»."]
    case_id = doc.get("case_id")
    if case_id is not None and (isinstance(case_id, bool) or not isinstance(case_id, int) or case_id < 1):
        errors["case_id"] = ["Må være et positivt heltall."]
    ref = doc.get("external_ref")
    if ref is not None and (not isinstance(ref, str) or not ref.strip() or len(ref) > 200):
        errors["external_ref"] = ["Må være en tekst på 1–200 tegn."]
    if case_id is None and ref is None:
        errors["case_id"] = ["Oppgi case_id eller external_ref."]
    data = doc.get("data", {})
    if not isinstance(data, dict):
        errors["data"] = ["Må være et JSON-objekt."]
    if errors:
        raise InvalidEvent("Hendelsen kan ikke behandles.", errors)
    return InboundMessage(name=str(name), case_id=case_id, external_ref=ref.strip() if ref else None, payload=data)
