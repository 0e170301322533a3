"""The worker's periodic scan: deadlines coming up or passed, and the daily digests.

Deadlines: an open task whose ``due_at`` (set by the deadline projection) is within
``NOTIFY_SOON_DAYS`` gets «En frist nærmer seg» once; one whose due time has passed or that the
deadline timer flagged (``overdue_at``) gets «En frist er passert» once.  *Once* is a row in
``notify_deadline_marks`` per (task, kind), written in the same transaction as the notifications,
so two workers or a restarted one never ring twice; a task already marked costs one index probe.

Digests: from ``NOTIFY_DIGEST_HOUR`` o'clock Oslo time, each user with notifications waiting for a
digest gets one e-mail for the day (dedup key ``digest:<user>:<date>``), and those notifications
are marked as mailed in the same transaction.  Notifications arriving later that day wait for
tomorrow's: one digest per user per day.
"""
from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import OperationalError

from engine import clock
from engine.extensions import db
from engine.notify import hooks, recipients
from engine.notify.api import base_url, label, mail_choices
from engine.notify.mail import enqueue_mail
from engine.store import status
from engine.store.models import Case, OpenTask, User
from engine.store.notify import DIGEST, DIGESTED, NONE, OFF, DeadlineMark, MailMessage, Notification, insert_new

BATCH = 200
_last_run = {"at": float("-inf")}


def run_due(force: bool = False) -> None:
    """Scan deadlines and digests, at most every ``NOTIFY_SCAN_SECONDS`` in this process (unless ``force``)."""
    every = float(current_app.config.get("NOTIFY_SCAN_SECONDS", 60.0))
    if not force and time.monotonic() - _last_run["at"] < every:
        return
    _last_run["at"] = time.monotonic()
    now = clock.now()
    scan_deadlines(now)
    send_digests(now)


def _unmarked(kind: str) -> sa.ColumnElement[bool]:
    return ~sa.exists().where(DeadlineMark.task_id == OpenTask.id, DeadlineMark.kind == kind)


def _open_tasks(where: Iterable[sa.ColumnElement[bool]]) -> list[tuple[str, int]]:
    query = (sa.select(OpenTask.id, OpenTask.case_id).join(Case, Case.id == OpenTask.case_id)
             .where(Case.status.in_(status.ACTIVE), *where).order_by(OpenTask.due_at, OpenTask.id).limit(BATCH))
    return [(r.id, r.case_id) for r in db.session.execute(query)]


def scan_deadlines(now: datetime) -> int:
    """Notify deadlines within the window and deadlines passed, once each; returns the tasks notified."""
    soon_until = now + timedelta(days=int(current_app.config.get("NOTIFY_SOON_DAYS", 7)))
    n = 0
    while rows := _open_tasks([OpenTask.due_at > now, OpenTask.due_at <= soon_until, OpenTask.overdue_at.is_(None),
                               _unmarked("soon")]):
        for task_id, case_id in rows:
            fresh = insert_new(DeadlineMark, [dict(task_id=task_id, kind="soon", created_at=now)], ["task_id", "kind"])
            parties = recipients.parties_of(case_id)
            if fresh and parties is not None:
                hooks.send(hooks.task_owners(parties, task_id), "deadline.soon", case_id, f"/oppgaver/{task_id}",
                            f"task:{task_id}:soon", task_id)
        db.session.commit()
        n += len(rows)
    while rows := _open_tasks([sa.or_(OpenTask.overdue_at.is_not(None), OpenTask.due_at <= now), _unmarked("missed")]):
        for task_id, case_id in rows:
            parties = recipients.parties_of(case_id)
            if parties is not None:
                hooks.missed(case_id, parties, task_id)
            else:
                insert_new(DeadlineMark, [dict(task_id=task_id, kind="missed", created_at=now)], ["task_id", "kind"])
        db.session.commit()
        n += len(rows)
    return n


def digest_day(now: datetime) -> date | None:
    """The Oslo date whose digest may go out at ``now`` (None before the configured hour)."""
    local = clock.as_utc(now).astimezone(clock.OSLO)
    return local.date() if local.hour >= int(current_app.config.get("NOTIFY_DIGEST_HOUR", 7)) else None


def send_digests(now: datetime) -> int:
    """Queue today's digest for every user with notifications waiting for one; returns how many.

    One user at a time, in a transaction that first locks the user's row (PostgreSQL), so a second
    worker waits, then finds today's digest queued and leaves the notifications alone — it cannot mark
    as mailed one that arrived after the first worker composed its digest.
    """
    day = digest_day(now)
    if day is None:
        return 0
    waiting = list(db.session.scalars(sa.select(Notification.user_id).where(Notification.mail == DIGEST,
                                                                              Notification.created_at <= now).distinct()))
    choices = mail_choices(waiting)
    db.session.rollback()
    sent = 0
    for user_id in waiting:
        try:
            sent += _digest_for(user_id, day, now, choices[user_id])
        except OperationalError:      # SQLite: another worker wrote meanwhile; the next scan tries again
            db.session.rollback()
    return sent


def _digest_for(user_id: int, day: date, now: datetime, choice: str) -> int:
    mine = sa.and_(Notification.user_id == user_id, Notification.mail == DIGEST, Notification.created_at <= now)
    if choice == OFF:                 # changed their mind since: no mail for what waited
        db.session.execute(sa.update(Notification).where(mine).values(mail=NONE))
        db.session.commit()
        return 0
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(User.id).where(User.id == user_id).with_for_update())
    key = f"digest:{user_id}:{day.isoformat()}"
    if db.session.scalar(sa.select(MailMessage.id).where(MailMessage.dedup_key == key)) is not None:
        db.session.rollback()         # today's is queued or sent; the rest waits for tomorrow
        return 0
    items = list(db.session.scalars(sa.select(Notification).where(mine).order_by(Notification.id)))
    if not items:
        db.session.rollback()
        return 0
    enqueue_mail(to_user_id=user_id, to_address=None, kind="digest", subject=digest_subject(len(items)),
                 text=digest_text(items), dedup_key=key)
    db.session.execute(sa.update(Notification).where(Notification.id.in_([i.id for i in items])).values(mail=DIGESTED))
    db.session.commit()
    return 1


def digest_subject(n: int) -> str:
    return f"tilbolig: {n} nye varsler" if n != 1 else "tilbolig: 1 nytt varsel"


def digest_text(items: list[Notification]) -> str:
    """Kinds and links only — the same rule as the immediate e-mail."""
    lines = [f"- {label(i.kind)}: {base_url()}{i.link}" for i in items]
    return ("Hei,\n\nDette har skjedd i tilbolig siden forrige sammendrag:\n\n" + "\n".join(lines)
            + "\n\nDu må logge inn for å se sakene. Av hensyn til personvernet står det ikke mer her.\n\n"
            + f"Velg hvordan du vil få e-post: {base_url()}/varsler/innstillinger\n")
