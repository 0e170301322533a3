"""The bell: a user's notifications, unread count, marking read, and the e-mail preference.

Access is asked again whenever notifications are shown: a notification about a case the user may no
longer read (moved to another bydel, consent withdrawn from them, their role changed) is neither
counted nor listed — the row stays, so it comes back if access does.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from engine import clock
from engine.access import rules as access
from engine.bpmn import lanes
from engine.bpmn.lanes import Actor
from engine.errors import BadRequest, NotFound
from engine.extensions import db
from engine.notify.api import CHOICES, label, mail_choices
from engine.store.models import Case
from engine.store.notify import Notification, NotifyPreference

PAGE_SIZE = 30


@dataclass(frozen=True)
class Shown:
    """One notification as the list shows it: what happened, when, and where to look."""

    id: int
    kind: str
    text: str
    case_id: int | None
    link: str
    created_at: datetime
    read: bool


def _readable(actor: Actor, case_ids: set[int]) -> set[int]:
    """The cases among ``case_ids`` that ``actor`` may read now (``lanes.may_read``)."""
    if not case_ids:
        return set()
    rows = db.session.execute(sa.select(Case.id, Case.bydel_id, Case.institution_id, Case.resident_user_id)
                              .where(Case.id.in_(case_ids)))
    return {r.id for r in rows if lanes.may_read(actor, lanes.Parties(r.bydel_id, r.institution_id, r.resident_user_id))}


def unread_count(actor: Actor) -> int:
    """Unread notifications about cases the user may read (one grouped query and one case lookup)."""
    per_case = db.session.execute(sa.select(Notification.case_id, sa.func.count()).where(
        Notification.user_id == actor.user_id, Notification.read_at.is_(None)).group_by(Notification.case_id)).all()
    allowed = _readable(actor, {c for c, _ in per_case if c is not None})
    return sum(n for c, n in per_case if c is None or c in allowed)


def page(actor: Actor, before_id: int | None = None, limit: int = PAGE_SIZE) -> tuple[list[Shown], bool]:
    """Newest first, a page at a time (keyset on the id); the rows and whether older ones exist.

    Listing a notification shows which case it is about, so the listed cases are logged as read
    (action ``notifications``), as the inbox logs its rows.
    """
    query = sa.select(Notification).where(Notification.user_id == actor.user_id)
    if before_id:
        query = query.where(Notification.id < before_id)
    rows = list(db.session.scalars(query.order_by(Notification.id.desc()).limit(limit * 3 + 1)))
    allowed = _readable(actor, {r.case_id for r in rows if r.case_id is not None})
    visible = [r for r in rows if r.case_id is None or r.case_id in allowed]
    more = len(visible) > limit or len(rows) > limit * 3
    shown = [Shown(r.id, r.kind, label(r.kind), r.case_id, r.link, clock.as_utc(r.created_at), r.read_at is not None)
             for r in visible[:limit]]
    access.log_listed(actor, {s.case_id for s in shown if s.case_id is not None}, "notifications")
    return shown, more


def mark_read(actor: Actor, notification_id: int) -> str:
    """Mark one of the user's own notifications read; its link (404 for someone else's)."""
    row = db.session.get(Notification, notification_id)
    if row is None or row.user_id != actor.user_id:
        raise NotFound("Fant ikke varselet.")
    if row.read_at is None:
        row.read_at = clock.now()
    link = row.link
    db.session.commit()
    return link


def mark_all_read(actor: Actor) -> int:
    n = db.session.connection().execute(sa.update(Notification).where(
        Notification.user_id == actor.user_id, Notification.read_at.is_(None)).values(read_at=clock.now())).rowcount
    db.session.commit()
    return int(n or 0)


def preference(actor: Actor) -> str:
    return mail_choices([actor.user_id])[actor.user_id]


def set_preference(actor: Actor, choice: str) -> None:
    if choice not in CHOICES:
        raise BadRequest("Velg straks, daglig sammendrag eller ingen e-post.", {"epost": ["Ukjent valg."]})
    row = db.session.get(NotifyPreference, actor.user_id)
    if row is None:
        db.session.add(NotifyPreference(user_id=actor.user_id, mail=choice, updated_at=clock.now()))
    else:
        row.mail, row.updated_at = choice, clock.now()
    db.session.commit()
