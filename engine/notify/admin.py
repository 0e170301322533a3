"""The mail outbox for administrators (#17): counts, a keyset-paged list and «send again».

Why its own module: the console shows what ``flask mail list`` shows, and an operator who re-sends
an *uncertain* mail decides that a message the relay may already have delivered goes out again —
that decision is audited (``mail.requeued``, who, which mail, from which state) in the same commit,
as the webhook outbox's redelivery is.  The list carries the recipient's username, never the
subject or the body: the console needs to know *whose* mail is stuck, not what it says.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from engine import clock
from engine.errors import Conflict, NotFound
from engine.extensions import db
from engine.store.models import AuditEvent, User
from engine.store.notify import DEAD, PENDING, SENDING, SENT, SKIPPED, UNCERTAIN, MailMessage

#: The states «Send på nytt» accepts (the same as ``flask mail requeue``).
REQUEUABLE = (DEAD, UNCERTAIN, SKIPPED)
#: The console's filters: ``retrying`` is a pending mail that has failed at least once.
FILTERS = (UNCERTAIN, DEAD, PENDING, "retrying", SENDING, SKIPPED, SENT)


@dataclass(frozen=True)
class MailRow:
    """One mail as the console shows it: no subject, no body."""

    id: int
    kind: str
    username: str | None
    to_address: str | None
    state: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    sent_at: datetime | None
    message_id: str
    case_id: int | None


def page(state: str | None = None, before_id: int | None = None, limit: int = 50) -> tuple[list[MailRow], bool]:
    """One page of mails, newest first, keyset on the id (``before_id``): page 1,000 costs what page 1
    does.  Returns the rows and whether there are older ones."""
    query = (sa.select(MailMessage, User.username).outerjoin(User, User.id == MailMessage.to_user_id))
    if state == "retrying":
        query = query.where(MailMessage.state == PENDING, MailMessage.attempts > 0)
    elif state:
        query = query.where(MailMessage.state == state)
    if before_id:
        query = query.where(MailMessage.id < before_id)
    found = db.session.execute(query.order_by(MailMessage.id.desc()).limit(limit + 1)).all()
    rows = [_row(m, username) for m, username in found[:limit]]
    return rows, len(found) > limit


def _row(m: MailMessage, username: str | None) -> MailRow:
    return MailRow(id=m.id, kind=m.kind, username=username, to_address=None if m.to_user_id else m.to_address,
                   state=m.state, attempts=m.attempts, last_error=m.last_error,
                   next_attempt_at=m.next_attempt_at if m.state == PENDING else None, created_at=m.created_at,
                   sent_at=m.sent_at, message_id=m.message_id, case_id=m.case_id)


def counts() -> dict[str, int]:
    """Mails waiting, failed, uncertain or skipped (``retrying`` apart); sent ones are not counted:
    they grow without end and the states that need an operator are few and read from the index."""
    out = dict(db.session.execute(sa.select(MailMessage.state, sa.func.count())
                                  .where(MailMessage.state.in_((PENDING, SENDING, DEAD, UNCERTAIN, SKIPPED)))
                                  .group_by(MailMessage.state)).all())
    out["retrying"] = db.session.scalar(sa.select(sa.func.count()).select_from(MailMessage).where(
        MailMessage.state == PENDING, MailMessage.attempts > 0)) or 0
    return out


def requeue(mail_id: int, actor_id: int | None) -> MailMessage:
    """Put a dead, uncertain or skipped mail back in the queue with a fresh attempt budget and the
    same Message-ID (a receiver that de-duplicates on it still shows one), audited in the same commit."""
    row = db.session.get(MailMessage, mail_id)
    if row is None:
        raise NotFound("Fant ikke e-posten.")
    if row.state == SENT:
        raise Conflict("E-posten er allerede sendt; den sendes ikke på nytt.")
    if row.state not in REQUEUABLE:
        raise Conflict("E-posten venter allerede på sending.")
    previous = row.state
    row.state, row.attempts, row.next_attempt_at = PENDING, 0, clock.now()
    row.locked_until = row.claim_token = None
    db.session.add(AuditEvent(case_id=None, type="mail.requeued", actor_id=actor_id,
                              data={"mail_id": row.id, "message_id": row.message_id, "kind": row.kind,
                                    "case_id": row.case_id, "previous_state": previous}))
    db.session.commit()
    return row
