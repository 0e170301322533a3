"""Inbound messages: from a request body to a BPMN message for a case — the one body both doors take.

The webhook (``POST /webhooks/inbound/<source>``) and the API (``POST /api/v1/cases/{id}/messages``)
read the same body::

    {"name": "bolig_tilbudt", "data": {"dato": "2026-05-01", ...}}

``name`` is the BPMN message name, ``data`` its payload (checked later against the message's JSON
Schema).  Two synonyms are read so no sender breaks: ``type`` for ``name`` (the Standard Webhooks
field name, which webhook senders have used since the webhook came) and ``payload`` for ``data``
(the API's old key — deprecated, reported back so the API can say so).  The webhook body also
names its case, ``case_id`` or ``external_ref``; the API has the case in its URL.  On the webhook
the name must be one the source is allowed to send, so a source for housing offers cannot end a stay.
Pure: no Flask, no database.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

MAX_BODY_BYTES = 64 * 1024
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
#: (canonical key, synonym) for the message name and for its payload.
NAME_KEYS = ("name", "type")
DATA_KEYS = ("data", "payload")
DEPRECATED_KEYS = frozenset({"payload"})


class InvalidEvent(ValueError):
    """The body is not a message we understand; ``details`` maps body fields to problems."""

    def __init__(self, message: str, details: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message, self.details = message, details or {}


@dataclass(frozen=True)
class Message:
    """What a body asks for: deliver message ``name`` with ``payload``; ``deprecated`` keys it used."""

    name: str
    payload: dict[str, Any] = field(default_factory=dict)
    deprecated: tuple[str, ...] = ()


@dataclass(frozen=True)
class InboundMessage(Message):
    """A webhook's message and the case it names (by id or by the external reference)."""

    case_id: int | None = None
    external_ref: str | None = None


def _pick(doc: dict[str, Any], keys: tuple[str, str], errors: dict[str, list[str]]) -> tuple[str, Any]:
    """The key used (canonical first) and its value; both keys with different values is an error."""
    present = [k for k in keys if k in doc]
    if len(present) == 2 and doc[keys[0]] != doc[keys[1]]:
        errors[keys[1]] = [f"Bruk bare «{keys[0]}» («{keys[1]}» betyr det samme)."]
    key = present[0] if present else keys[0]
    return key, doc.get(key)


def _fields(doc: Any, allowed: frozenset[str] | None, errors: dict[str, list[str]]) -> tuple[str, dict[str, Any]]:
    name_key, name = _pick(doc, NAME_KEYS, errors)
    if not isinstance(name, str) or not _NAME.match(name):
        errors[name_key] = ["Mangler eller ugyldig meldingsnavn."]
    elif allowed is not None and name not in allowed:
        errors[name_key] = [f"Kilden har ikke lov til å sende «{name}»."]
    data_key, data = _pick(doc, DATA_KEYS, errors)
    if data is None:            # no payload at all: the schema then says which fields are missing
        data = {}
    if not isinstance(data, dict):
        errors[data_key] = ["Må være et JSON-objekt."]
    return str(name), data if isinstance(data, dict) else {}


def _object(body: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidEvent("Innholdet er ikke gyldig JSON.") from exc
    if not isinstance(doc, dict):
        raise InvalidEvent("Forventet et JSON-objekt.")
    return doc


def read_message(doc: Any) -> Message:
    """The API's body (already decoded); raise ``InvalidEvent`` with every field problem."""
    if not isinstance(doc, dict):
        raise InvalidEvent("Forventet et JSON-objekt.")
    errors: dict[str, list[str]] = {}
    name, data = _fields(doc, None, errors)
    if errors:
        raise InvalidEvent("Meldingen kan ikke tas imot.", errors)
    return Message(name, data, tuple(sorted(DEPRECATED_KEYS & doc.keys())))


def parse(body: bytes, allowed: frozenset[str]) -> InboundMessage:
    """A verified webhook body; raise ``InvalidEvent`` with every field problem."""
    doc = _object(body)
    errors: dict[str, list[str]] = {}
    name, data = _fields(doc, allowed, errors)
    case_id = doc.get("case_id")
    if case_id is not None and (isinstance(case_id, bool) or not isinstance(case_id, int) or case_id < 1):
        errors["case_id"] = ["Må være et positivt heltall."]
    ref = doc.get("external_ref")
    if ref is not None and (not isinstance(ref, str) or not ref.strip() or len(ref) > 200):
        errors["external_ref"] = ["Må være en tekst på 1–200 tegn."]
    if case_id is None and ref is None:
        errors["case_id"] = ["Oppgi case_id eller external_ref."]
    if errors:
        raise InvalidEvent("Hendelsen kan ikke behandles.", errors)
    return InboundMessage(name, data, tuple(sorted(DEPRECATED_KEYS & doc.keys())), case_id=case_id,
                          external_ref=ref.strip() if ref else None)
