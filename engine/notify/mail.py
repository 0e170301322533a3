"""The mail outbox: an e-mail is a row written in the caller's transaction, sent later by the worker.

Why an outbox: a change that rolls back must send nothing, and a committed one must not lose its
mail when the SMTP server is down.  The message is composed when it is sent (so a user's current
address is used), but its Message-ID is fixed when it is queued: every attempt of one row carries
the same one.  Delivery and its exactly-once rules: ``engine.notify.delivery``.
"""
from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any

from flask import current_app

from engine import clock
from engine.store.notify import PENDING, MailMessage, insert_new


@dataclass(frozen=True)
class MailAttachment:
    """A file or alternative part: ``("invitasjon.ics", "text/calendar; method=REQUEST", b"…")``."""

    filename: str
    content_type: str
    data: bytes


def enqueue_mail(*, to_user_id: int | None, to_address: str | None, kind: str, subject: str, text: str,
                 attachments: Sequence[MailAttachment] = (), dedup_key: str, case_id: int | None = None,
                 alternative: MailAttachment | None = None) -> None:
    """Add one e-mail to the mail outbox in the caller's transaction (db.session; no commit).

    A second call with the same dedup_key is a no-op. The worker sends it exactly once, with retries.
    ``alternative`` (e.g. a text/calendar part) is sent as a multipart/alternative part — needed for
    calendar invitations to show as invitations.  With ``MAIL_ENABLED`` off nothing is queued.
    """
    if to_user_id is None and not to_address:
        raise ValueError("enqueue_mail needs to_user_id or to_address")
    if not current_app.config.get("MAIL_ENABLED"):
        return
    now = clock.now()
    parts: dict[str, Any] = {"attachments": [_part(a) for a in attachments]}
    if alternative is not None:
        parts["alternative"] = _part(alternative)
    insert_new(MailMessage, [dict(
        dedup_key=dedup_key[:200], kind=kind, to_user_id=to_user_id, to_address=to_address, subject=subject[:300],
        text=text, parts=parts, case_id=case_id, message_id=new_message_id(), state=PENDING, attempts=0,
        next_attempt_at=now, created_at=now)], ["dedup_key"])


def new_message_id() -> str:
    """``<random@domain of MAIL_FROM>``: stable per row, so a receiver can tell a repeat."""
    domain = parseaddr(str(current_app.config.get("MAIL_FROM") or ""))[1].partition("@")[2] or "tilbolig.invalid"
    return f"<{uuid.uuid4().hex}@{domain}>"


def _part(a: MailAttachment) -> dict[str, str]:
    return {"filename": a.filename, "content_type": a.content_type, "data": base64.b64encode(a.data).decode()}


def _unpart(p: dict[str, str]) -> tuple[MailAttachment, str, str, dict[str, str]]:
    a = MailAttachment(p["filename"], p["content_type"], base64.b64decode(p["data"]))
    kind, *params = [x.strip() for x in a.content_type.split(";")]
    maintype, _, subtype = kind.partition("/")
    extra = {k.strip(): v.strip().strip('"') for k, _, v in (x.partition("=") for x in params) if k.strip()}
    return a, maintype or "application", subtype or "octet-stream", extra


def compose(row: MailMessage, to: str, sender: str) -> EmailMessage:
    """The message of ``row`` to ``to``: plain text, an optional alternative, then the attachments."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = row.subject
    msg["Date"] = format_datetime(clock.as_utc(row.created_at))
    msg["Message-ID"] = row.message_id
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(row.text)
    parts = row.parts or {}
    if parts.get("alternative"):
        alt, maintype, subtype, params = _unpart(parts["alternative"])
        if maintype == "text":
            msg.add_alternative(alt.data.decode("utf-8"), subtype=subtype, params=params)
        else:
            msg.add_alternative(alt.data, maintype=maintype, subtype=subtype, params=params)
    for p in parts.get("attachments") or []:
        att, maintype, subtype, params = _unpart(p)
        msg.add_attachment(att.data, maintype=maintype, subtype=subtype, filename=att.filename, params=params)
    return msg
