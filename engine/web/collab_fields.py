"""The file widget of a task form: an upload becomes an attachment, and the field holds its reference.

A file field is a string field with ``"format": "vedlegg"`` (or ``ui:widget: file``); the browser
posts the chosen file as ``<path>/__fil`` beside a hidden ``<path>`` with the current reference.
Before the form is completed or saved as a draft, each chosen file is stored through
``engine.collab.attachments`` (access: whoever may act on the task; the same cap and content check
as every upload) and the field gets ``vedlegg:<id>``. A refused file is a field error; the other
values are kept. A reference to an attachment of another case is dropped. Top-level fields only.
"""
from __future__ import annotations

from typing import Any

from flask import request

from engine.collab import attachments
from engine.collab.store import read_chunks
from engine.errors import PayloadTooLarge, Unprocessable
from engine.web import collab_view, formrender

SUFFIX = "/__fil"


def file_fields(schema: dict[str, Any]) -> list[str]:
    return [name for name, sub in (schema.get("properties") or {}).items()
            if isinstance(sub, dict) and sub.get("format") == formrender.FILE_FORMAT]


def receive(actor, row, case, schema: dict[str, Any], data: dict[str, Any]) -> dict[str, list[str]]:
    """Store the files chosen in the posted form into ``data``; errors by field path."""
    errors: dict[str, list[str]] = {}
    names = file_fields(schema)
    for name in names:
        storage = request.files.get(name + SUFFIX)
        if storage is None or not storage.filename:
            continue
        try:
            a = attachments.upload(actor, case.id, read_chunks(storage.stream), storage.filename,
                                   store=collab_view.store(), limit=collab_view.max_bytes(),
                                   target=attachments.Target(task_id=row.id, field=name))
        except (Unprocessable, PayloadTooLarge) as exc:
            details = exc.details if isinstance(exc.details, dict) else {}
            errors[name] = list(details.get("file") or [exc.message])
            continue
        data[name] = attachments.reference(a)
    refs = {n: attachments.referenced_id(data.get(n)) for n in names}
    known = attachments.for_fields(case.id, [i for i in refs.values() if i is not None])
    for name, ref in refs.items():
        if data.get(name) not in (None, "") and (ref is None or ref not in known):
            data.pop(name, None)
    return errors


def field_files(case, fields: list[formrender.Field]) -> dict[int, Any]:
    """Attachment id → attachment, for the file fields shown (their current file's name)."""
    ids = [attachments.referenced_id(f.value) for f in fields if f.kind == "file"]
    return attachments.for_fields(case.id, [i for i in ids if i is not None])
