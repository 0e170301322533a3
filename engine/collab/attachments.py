"""Attachments: a file on a case or on a form field — capped, checked by content, stored by digest.

``upload`` checks access first (a note on the case: a caseworker of either side; a form field: whoever
may act on the open task), then streams the file to a scratch file while hashing it, stopping at
the cap without holding the file in memory, sniffs what it is (``engine.collab.sniff``: a renamed
program is refused), hands it to the blob store (content-addressed: a second copy is not stored
again) and writes the row and its audit change in one transaction. ``open_for`` is the download:
the case read is checked and logged like every read, then consent decides the piece itself.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import sqlalchemy as sa

from engine import clock
from engine.access import rules as access
from engine.access.consent import Decision
from engine.bpmn.lanes import Actor
from engine.cases import visibility
from engine.cases.changes import Change
from engine.cases.unit_of_work import record_case_changes
from engine.collab import sharing, sniff
from engine.collab.store import BlobStore, TooLarge, spool
from engine.errors import Forbidden, NotFound, PayloadTooLarge, Unprocessable
from engine.extensions import db
from engine.store.collab import Attachment
from engine.store.models import Case, OpenTask, User

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
#: A form field's value that points at an attachment.
REFERENCE = re.compile(r"^vedlegg:(\d{1,12})$")


def too_large_text(limit: int) -> str:
    return f"Filen er for stor. Et vedlegg kan være høyst {limit / 1024 / 1024:.0f} MB."


def reference(a: Attachment) -> str:
    return f"vedlegg:{a.id}"


def referenced_id(value: object) -> int | None:
    m = REFERENCE.match(value) if isinstance(value, str) else None
    return int(m.group(1)) if m else None


def clean_filename(name: str | None, extension: str) -> str:
    """The user's file name, kept readable but harmless (no path, no control characters), with the
    extension of what the content *is*: ``rapport.pdf`` that is a PNG is served as ``rapport.png``."""
    base = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>:|?*;').strip(" .")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{(stem or 'vedlegg')[:150]}.{extension}"


@dataclass(frozen=True)
class Target:
    """Where an upload goes: the case itself (``category``), or a field of an open task's form."""

    category: str | None = None
    task_id: str | None = None
    field: str | None = None


def _where(actor: Actor, case: Case, target: Target) -> tuple[str, str, str | None, str | None]:
    """(lane, category, form, field) of an upload the actor may make; refuses otherwise."""
    rd = visibility.reader(actor, case)
    if target.task_id is None:
        side = sharing.writer_side(rd)
        if side is None:
            raise Forbidden("Bare saksbehandlere i bydelen og institusjonen kan legge ved filer på saken.")
        category = target.category or sharing.DEFAULT_CATEGORY
        if category not in sharing.CHOICES:
            raise Unprocessable("Velg hvordan vedlegget deles.", {"category": ["Velg hvordan vedlegget deles."]})
        return side, category, None, None
    row = db.session.get(OpenTask, str(target.task_id))
    if row is None or row.case_id != case.id:
        raise NotFound("Fant ikke oppgaven. Den kan være fullført allerede.")
    access.require_act(actor, case, row.lane, row.role, "attach")
    if not target.field or not row.form:
        raise Unprocessable("Feltet finnes ikke i skjemaet.", {"field": ["Ukjent felt."]})
    return row.lane or "", "", row.form, target.field


def upload(actor: Actor, case_id: int, chunks: Iterator[bytes], filename: str | None, *, store: BlobStore,
           limit: int = DEFAULT_MAX_BYTES, target: Target = Target()) -> Attachment:
    """Store one uploaded file on the case (see the module docstring); refusals say why in Norwegian."""
    case = access.require_read(actor, db.session.get(Case, case_id), "attach")
    try:
        lane, category, form, field = _where(actor, case, target)
    except (Forbidden, Unprocessable, NotFound):
        db.session.commit()
        raise
    db.session.commit()            # the access-log row; the upload itself may take a while
    try:
        path, digest, size = spool(store, chunks, limit)
    except TooLarge:
        raise PayloadTooLarge(too_large_text(limit))
    try:
        if size == 0:
            raise Unprocessable("Filen er tom.", {"file": ["Filen er tom."]})
        try:
            kind = sniff.sniff(path)
        except sniff.Refused as exc:
            raise Unprocessable(exc.reason, {"file": [exc.reason]})
        store.put(digest, path)
    finally:
        path.unlink(missing_ok=True)
    a = Attachment(case_id=case.id, task_id=str(target.task_id) if target.task_id else None, form=form, field=field,
                   sha256=digest, size=size, content_type=kind.content_type,
                   filename=clean_filename(filename, kind.extension), lane=lane, category=category or "",
                   uploaded_by_id=actor.user_id, uploaded_at=clock.now())
    db.session.add(a)
    db.session.flush()
    record_case_changes(case.id, [Change("attachment.added", actor, task_id=a.task_id,
                                         data={"attachment_id": a.id, "field": field})])
    db.session.commit()
    return a


def open_for(actor: Actor, attachment_id: int, store: BlobStore) -> tuple[Attachment, BinaryIO]:
    """The attachment and a stream of its bytes, if ``actor`` may read it: 404 outside the case (or a
    deleted one), 403 with the reason when consent holds it back. Every attempt is logged."""
    a = db.session.get(Attachment, attachment_id)
    if a is None:
        raise NotFound("Fant ikke vedlegget.")
    case = access.require_read(actor, db.session.get(Case, a.case_id), "read_attachment")
    d = sharing.decide_attachment(visibility.reader(actor, case), a)
    if not d.visible or a.deleted_at is not None:
        access.log(actor, case.id, "read_attachment", granted=False)
        db.session.commit()
        if a.deleted_at is not None or d is sharing.NOT_FOR_VIEWER:
            raise NotFound("Fant ikke vedlegget.")
        raise Forbidden("Vedlegget er holdt tilbake: den som la det ved, deler det ikke med deg nå "
                        "(samtykke eller intern informasjon).")
    db.session.commit()
    return a, store.get(a.sha256)


def delete(actor: Actor, attachment_id: int) -> Attachment:
    """Mark an attachment on the case deleted (its uploader only); the blob and the row are kept."""
    a = db.session.get(Attachment, attachment_id)
    if a is None:
        raise NotFound("Fant ikke vedlegget.")
    case = access.require_read(actor, db.session.get(Case, a.case_id), "attachment_delete")
    if a.uploaded_by_id != actor.user_id or a.deleted_at is not None:
        access.log(actor, case.id, "attachment_delete", granted=False)
        db.session.commit()
        raise Forbidden("Bare den som la ved filen kan slette den.")
    a.deleted_at = clock.now()
    record_case_changes(case.id, [Change("attachment.deleted", actor, data={"attachment_id": a.id})])
    db.session.commit()
    return a


@dataclass
class ShownAttachment:
    attachment: Attachment
    uploader: str


def of_case(actor: Actor, case: Case, *, on_case_only: bool = True) -> tuple[list[ShownAttachment], list[Decision]]:
    """The case's attachments ``actor`` may see (not deleted), and what was held back, grouped.
    The caller has checked and logged the read of the case."""
    query = sa.select(Attachment).where(Attachment.case_id == case.id, Attachment.deleted_at.is_(None))
    if on_case_only:
        query = query.where(Attachment.form.is_(None))
    rows = list(db.session.scalars(query.order_by(Attachment.id)))
    rd = visibility.reader(actor, case)
    shown, held = [], []
    for a in rows:
        d = sharing.decide_attachment(rd, a)
        if d.visible:
            shown.append(a)
        elif d is not sharing.NOT_FOR_VIEWER:
            held.append(d)
    names = {u.id: u.display_name for u in db.session.scalars(
        sa.select(User).where(User.id.in_({a.uploaded_by_id for a in shown})))} if shown else {}
    return [ShownAttachment(a, names.get(a.uploaded_by_id, "")) for a in shown], visibility.withheld_groups(held)


def for_fields(case_id: int, ids: list[int]) -> dict[int, Attachment]:
    """Attachments of this case among ``ids`` (a form field showing its file; another case's id is ignored)."""
    if not ids:
        return {}
    return {a.id: a for a in db.session.scalars(sa.select(Attachment).where(Attachment.id.in_(ids),
                                                                            Attachment.case_id == case_id))}
