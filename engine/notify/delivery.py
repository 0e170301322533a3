"""Sending the mail outbox over SMTP, exactly once, with retries — the worker's part.

How a row moves, and why no message is sent twice, even when a worker is killed with ``kill -9``:

1. *claim* — due *pending* rows get a lease (``locked_until``) and this pass's ``claim_token`` in one
   short transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; a conditional UPDATE elsewhere), so
   two workers never take the same row.  A worker that dies now leaves a pending row whose lease
   runs out: another worker sends it later.  Nothing was handed to the SMTP server yet.
2. ``MAIL FROM`` and ``RCPT TO`` — a refusal here (4xx: retry with doubling backoff; 5xx: dead) or a
   broken connection leaves the server without the message, so a retry cannot duplicate it.
3. *sending* is committed (conditional on our token, so a row another worker took meanwhile is
   left alone), and only then the message itself goes out (``DATA``).
4. *sent* is committed when the server answered 250.

The one window that cannot be closed from the client is between the server taking the message
and step 4 (RFC 1047's «duplicate messages» problem).  A row found still *sending* after its
lease is therefore never sent again automatically: it becomes *uncertain*, is listed by
``flask mail list --state uncertain`` and on the console's «E-post» page, and an operator who
checked the mail log re-queues it (``flask mail requeue`` or «Send på nytt», both
``engine.notify.admin.requeue``, audited) — the same Message-ID goes out again, so a receiver that
de-duplicates on it still sees one message.  We chose *at most once* for that window because an
e-mail that was already delivered is the likely case (the server answered while we died), and a
missing notification also shows under the bell, while a duplicate cannot be taken back.
"""
from __future__ import annotations

import email.policy
import logging
import smtplib
import ssl
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import parseaddr
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import OperationalError

from engine import clock
from engine.extensions import db
from engine.notify.mail import compose
from engine.store.models import User
from engine.store.notify import DEAD, PENDING, SENDING, SENT, SKIPPED, UNCERTAIN, MailMessage

log = logging.getLogger(__name__)
DIED_WHILE_SENDING = ("arbeideren stoppet mens e-posten ble sendt; den kan allerede være levert. "
                      "Sjekk e-postloggen før du legger den i kø igjen.")


def setting(key: str) -> Any:
    return current_app.config[key]


@dataclass
class MailReport:
    """What one ``deliver_due`` pass did."""

    sent: int = 0
    retried: int = 0
    dead: int = 0
    skipped: int = 0
    uncertain: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.sent + self.retried + self.dead + self.skipped + self.uncertain


def backoff(attempts: int) -> timedelta:
    """Doubling from ``MAIL_BACKOFF_BASE`` seconds, never above ``MAIL_BACKOFF_CAP``."""
    base, cap = float(setting("MAIL_BACKOFF_BASE")), float(setting("MAIL_BACKOFF_CAP"))
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


# -- claiming --------------------------------------------------------------------------------------

def expire_sending() -> int:
    """Rows left *sending* by a worker that died mid-send: *uncertain*, never re-sent by themselves."""
    now = clock.now()
    stale = sa.and_(MailMessage.state == SENDING, MailMessage.locked_until <= now)
    n = db.session.connection().execute(sa.update(MailMessage).where(stale)
                                        .values(state=UNCERTAIN, last_error=DIED_WHILE_SENDING)).rowcount
    db.session.commit()
    if n:
        log.warning("%s e-mail(s) left «sending» by a stopped worker marked uncertain", n)
    return int(n or 0)


def _claim(limit: int, token: str) -> list[MailMessage]:
    """Lease up to ``limit`` due pending rows for ``token``; commit; the rows, detached from the session."""
    now = clock.now()
    free = sa.or_(MailMessage.locked_until.is_(None), MailMessage.locked_until <= now)
    query = (sa.select(MailMessage.id).where(MailMessage.state == PENDING, MailMessage.next_attempt_at <= now, free)
             .order_by(MailMessage.id).limit(limit))
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    lease = now + timedelta(seconds=float(setting("MAIL_LEASE_SECONDS")))
    try:
        ids = list(db.session.scalars(query))
        if not ids:
            db.session.rollback()
            return []
        won = list(db.session.scalars(sa.update(MailMessage).where(MailMessage.id.in_(ids), MailMessage.state == PENDING, free)
                                      .values(locked_until=lease, claim_token=token).returning(MailMessage.id)))
        db.session.commit()
    except OperationalError:      # SQLite: another process wrote since our snapshot; next tick
        db.session.rollback()
        return []
    rows = list(db.session.scalars(sa.select(MailMessage).where(MailMessage.id.in_(won)).order_by(MailMessage.id)))
    for r in rows:
        db.session.expunge(r)
    db.session.rollback()
    return rows


def _update(row: MailMessage, token: str, states: tuple[str, ...], **values: Any) -> bool:
    """Change ``row`` only if it is still ours and in one of ``states``; commit.  Did it change?"""
    n = db.session.connection().execute(sa.update(MailMessage).where(MailMessage.id == row.id, MailMessage.claim_token == token,
                                                        MailMessage.state.in_(states)).values(**values)).rowcount
    db.session.commit()
    return n == 1


def _not_taken(row: MailMessage, token: str, code: int | None, error: str, report: MailReport) -> None:
    """The server does not have the message: retry later (4xx, network) or give up (5xx, too many)."""
    attempts = row.attempts + 1
    if (code is not None and 500 <= code < 600) or attempts >= int(setting("MAIL_MAX_ATTEMPTS")):
        _update(row, token, (PENDING, SENDING), state=DEAD, attempts=attempts, locked_until=None, last_error=error[:2000])
        report.dead += 1
    else:
        _update(row, token, (PENDING, SENDING), state=PENDING, attempts=attempts, locked_until=None, claim_token=None,
                next_attempt_at=clock.now() + backoff(attempts), last_error=error[:2000])
        report.retried += 1


# -- sending ---------------------------------------------------------------------------------------

def connect() -> smtplib.SMTP:
    """An SMTP session with the configured server (STARTTLS and login when configured)."""
    smtp = smtplib.SMTP(str(setting("MAIL_SMTP_HOST")), int(setting("MAIL_SMTP_PORT")),
                        timeout=float(setting("MAIL_SMTP_TIMEOUT")))
    try:
        smtp.ehlo_or_helo_if_needed()
        if setting("MAIL_SMTP_STARTTLS"):
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if setting("MAIL_SMTP_USER"):
            smtp.login(str(setting("MAIL_SMTP_USER")), str(setting("MAIL_SMTP_PASSWORD")))
    except BaseException:
        smtp.close()
        raise
    return smtp


def _address(row: MailMessage) -> str | None:
    if row.to_address:
        return row.to_address
    found = db.session.execute(sa.select(User.email, User.active).where(User.id == row.to_user_id)).first()
    db.session.rollback()
    return found.email if found is not None and found.active and found.email else None


def _send_one(smtp: smtplib.SMTP, row: MailMessage, token: str, report: MailReport) -> bool:
    """Send one claimed row on an open session; False when the session is no longer usable."""
    to = _address(row)
    if to is None:
        _update(row, token, (PENDING,), state=SKIPPED, locked_until=None, last_error="mottakeren har ingen e-postadresse")
        report.skipped += 1
        return True
    sender = str(setting("MAIL_FROM"))
    data = compose(row, to, sender).as_bytes(policy=email.policy.SMTP)
    try:
        code, reply = smtp.mail(parseaddr(sender)[1])
        if code == 250:
            code, reply = smtp.rcpt(to)
        if code not in (250, 251):
            smtp.rset()
            _not_taken(row, token, code, f"{code} {reply.decode(errors='replace')}", report)
            return True
    except (smtplib.SMTPException, OSError) as exc:     # the server never had the message
        _not_taken(row, token, None, f"{type(exc).__name__}: {exc}", report)
        return False
    if not _update(row, token, (PENDING,), state=SENDING, attempts=row.attempts + 1,
                   locked_until=clock.now() + timedelta(seconds=float(setting("MAIL_LEASE_SECONDS")))):
        smtp.rset()           # another worker took it after our lease ran out
        return True
    try:
        smtp.data(data)
    except smtplib.SMTPDataError as exc:               # refused with a code: the server does not have it
        _not_taken(row, token, exc.smtp_code, f"{exc.smtp_code} {exc.smtp_error!r}", report)
        return True
    except (smtplib.SMTPException, OSError) as exc:     # gone while the message was on its way: may have it
        _update(row, token, (SENDING,), state=UNCERTAIN, locked_until=None, last_error=f"{type(exc).__name__}: {exc}"[:2000])
        report.uncertain += 1
        return False
    _update(row, token, (SENDING, UNCERTAIN), state=SENT, sent_at=clock.now(), locked_until=None, last_error=None)
    report.sent += 1
    return True


def _send_batch(rows: list[MailMessage], token: str, report: MailReport) -> None:
    try:
        smtp = connect()
    except (smtplib.SMTPException, OSError) as exc:   # down, refusing, or misconfigured: retry until the budget is spent
        for row in rows:
            _not_taken(row, token, None, f"{type(exc).__name__}: {exc}", report)
        return
    try:
        for i, row in enumerate(rows):
            if not _send_one(smtp, row, token, report):
                for rest in rows[i + 1:]:     # not tried: back to the queue at once, no attempt counted
                    _update(rest, token, (PENDING,), locked_until=None, claim_token=None)
                return
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def deliver_due(limit: int = 200, batch: int = 20) -> MailReport:
    """Send due mail (at most ``limit`` rows), one SMTP session per batch; never sends a row twice."""
    report = MailReport()
    if not setting("MAIL_ENABLED"):
        return report
    report.uncertain += expire_sending()
    token = str(uuid.uuid4())
    while report.attempted < limit:
        rows = _claim(min(batch, limit - report.attempted), token)
        if not rows:
            break
        try:
            _send_batch(rows, token, report)
        except Exception as exc:  # noqa: BLE001 — one bad batch must not stop the worker
            db.session.rollback()
            log.exception("mail delivery failed")
            report.errors.append(type(exc).__name__)
            break
    return report


# -- operators -------------------------------------------------------------------------------------

def counts() -> dict[str, int]:
    """How many mails wait, failed or are uncertain (sent rows are not counted: they grow without end)."""
    return dict(db.session.execute(sa.select(MailMessage.state, sa.func.count())
                                   .where(MailMessage.state.in_((PENDING, SENDING, DEAD, UNCERTAIN)))
                                   .group_by(MailMessage.state)).all())


def listing(state: str | None, limit: int = 50) -> list[MailMessage]:
    query = sa.select(MailMessage).order_by(MailMessage.id.desc()).limit(limit)
    if state:
        query = query.where(MailMessage.state == state)
    return list(db.session.scalars(query))


__all__ = ["DEAD", "PENDING", "SENT", "MailReport", "counts", "deliver_due", "listing"]
