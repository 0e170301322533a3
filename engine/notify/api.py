"""Notifying users: one row per user and event, in the caller's transaction, mailed by preference.

``notify_users`` is the entry point for every kind (the change hook in ``engine.notify.hooks``, the
deadline scan, and other parts without a case change of their own).  The e-mail it queues names
only the kind of event and a link: no resident's name, no form content — a mailbox is not a
place for health data.
"""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask import current_app

from engine import clock
from engine.extensions import db
from engine.notify.mail import enqueue_mail
from engine.store.notify import DIGEST, IMMEDIATE, NONE, OFF, QUEUED, Notification, NotifyPreference, insert_new

#: The kinds of event, as the bell and the e-mail name them (nothing about the case itself).
KINDS = {
    "task.new": "Ny oppgave i din kø",
    "task.assigned": "En oppgave er gitt til deg",
    "deadline.soon": "En frist nærmer seg",
    "deadline.missed": "En frist er passert",
    "comment.mentioned": "Du er nevnt i en kommentar",
    "meeting.planned": "Du er invitert til et møte",
    "meeting.moved": "Et møte er endret",
    "meeting.cancelled": "Et møte er avlyst",
}
CHOICES = (IMMEDIATE, DIGEST, OFF)


def label(kind: str) -> str:
    return KINDS.get(kind, "Noe har skjedd i en sak")


def base_url() -> str:
    return str(current_app.config.get("MAIL_BASE_URL") or "").rstrip("/")


def mail_choices(user_ids: Iterable[int], known: dict[int, str | None] | None = None) -> dict[int, str]:
    """Each user's e-mail choice (the configured default where they chose nothing).

    ``known`` holds choices already read with the users (``None``: never chosen); only users
    missing from it are looked up.
    """
    ids = list(user_ids)
    default = str(current_app.config.get("NOTIFY_DEFAULT_MAIL") or IMMEDIATE)
    if known is not None and all(u in known for u in ids):
        return {u: known[u] or default for u in ids}
    chosen = dict(db.session.connection().execute(sa.select(NotifyPreference.user_id, NotifyPreference.mail)
                                                  .where(NotifyPreference.user_id.in_(ids))).all()) if ids else {}
    return {u: chosen.get(u, default) for u in ids}


def mail_text(kind: str, link: str) -> tuple[str, str]:
    """Subject and body of the immediate e-mail: the kind of event and a link, nothing else."""
    what = label(kind)
    return f"tilbolig: {what}", (
        f"Hei,\n\n{what}.\n\nSe mer her (du må logge inn): {base_url()}{link}\n\n"
        "Av hensyn til personvernet står det ikke mer om saken i denne e-posten.\n\n"
        f"Velg om du vil ha e-post med en gang, en gang om dagen eller ikke i det hele tatt: "
        f"{base_url()}/varsler/innstillinger\n")


def notify_users(user_ids: Iterable[int], kind: str, case_id: int | None, link: str, dedup_key: str,
                 task_id: str | None = None, mail: bool = True,
                 choices: dict[int, str | None] | None = None) -> list[int]:
    """Add a notification for each user (once per user and ``dedup_key``); queue their e-mail.

    In the caller's transaction (no commit).  Immediate e-mail goes to the mail outbox now; a digest
    user's notification waits for the worker's daily digest.  Returns the users notified anew.
    ``mail=False`` is for events whose own e-mail is already sent by their owner (a meeting's
    invitation carries the .ics): the bell rings, but nobody gets a second mail or a digest line.
    """
    ids = sorted({int(u) for u in user_ids})
    if not ids:
        return []
    mailing = mail and bool(current_app.config.get("MAIL_ENABLED"))
    chosen = mail_choices(ids, choices) if mailing else {}    # no mail, no question asked
    now = clock.now()
    mark = {IMMEDIATE: QUEUED, DIGEST: DIGEST, OFF: NONE}
    rows = [dict(user_id=u, kind=kind, case_id=case_id, task_id=task_id, link=link[:500], dedup_key=dedup_key[:200],
                 mail=mark.get(chosen[u], NONE) if mailing else NONE, created_at=now) for u in ids]
    new = set(insert_new(Notification, rows, ["user_id", "dedup_key"], returning="user_id"))
    if mailing:
        subject, text = mail_text(kind, link)
        for u in ids:
            if u in new and chosen[u] == IMMEDIATE:
                enqueue_mail(to_user_id=u, to_address=None, kind=kind, subject=subject, text=text,
                             dedup_key=f"notify:{u}:{dedup_key}", case_id=case_id)
    return sorted(new)

