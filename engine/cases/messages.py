"""The door for messages: a payload is checked against its message's JSON Schema before anything happens.

Both doors (the webhook and the API) and the repair that re-delivers a failed message ask here, so
they answer the same way: a :class:`~engine.errors.MessageInvalid` (422) with every problem by body
path (``data/dato``), raised *before* a row is written or a case is stepped.  The schema belongs
to the process version (resolved at deploy time, ``engine.bpmn.messages``): a case is checked
against its own version; an event that names no known case yet against every latest version that
catches the message.
"""
from __future__ import annotations

from typing import Any

from engine import forms
from engine.errors import MessageInvalid
from engine.processes import deployments


def _errors(bundle: Any, name: str, data: Any) -> dict[str, list[str]]:
    if not bundle.accepts(name):
        return {"name": [f"Prosessen tar ikke imot meldingen «{name}»."]}
    if not isinstance(data, dict):
        return {"data": ["Må være et JSON-objekt."]}
    schema = bundle.message_schema(name)
    if schema is None:   # only a version deployed before schemas, with no schema in the forms folder
        return {}
    return {f"data/{path}" if path != "_" else "data": problems
            for path, problems in forms.validate(schema, data).items()}


def _refuse(name: str, errors: dict[str, list[str]]) -> MessageInvalid:
    return MessageInvalid(errors, f"Meldingen «{name}» kan ikke tas imot: innholdet har feil.")


def check(version_id: int, name: str, data: Any) -> None:
    """Refuse (422) a message the version does not catch, or whose payload fails its schema."""
    errors = _errors(deployments.bundle_for(version_id), name, data)
    if errors:
        raise _refuse(name, errors)


def check_unaddressed(name: str, data: Any) -> None:
    """Check an event for a case not known yet against every latest process version that catches it.

    It will be checked again against its case's own version when it is delivered.
    """
    catching = [bundle for bundle in (deployments.bundle_for(pv.id) for pv in deployments.latest_versions())
                if bundle.accepts(name)]
    if not catching:
        raise _refuse(name, {"name": [f"Ingen utrullet prosess tar imot meldingen «{name}»."]})
    for bundle in catching:
        errors = _errors(bundle, name, data)
        if errors:
            raise _refuse(name, errors)
