"""Who may see and do what on a case — decided here, in one place, and logged.

The engine checks nothing.  Every read or write of a case goes through :func:`require_read` or
:func:`require_act`, which ask ``engine.bpmn.lanes`` and append a row to the access log
(granted or not).  A case outside the caller's organisations answers 404, never 403, so its
existence is not revealed.
"""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from engine import clock
from engine.access import access_log
from engine.bpmn import lanes
from engine.bpmn.lanes import Actor, Capacity, Parties
from engine.errors import Forbidden, NotFound
from engine.extensions import db
from engine.store.models import AccessLog, Case, User


def actor_for(user: User) -> Actor:
    return Actor(user_id=user.id, username=user.username, organisation_id=user.organisation_id,
                 roles=user.role_set)


def parties(case: Case) -> Parties:
    return Parties(bydel_id=case.bydel_id, institution_id=case.institution_id,
                   resident_user_id=case.resident_user_id)


def log(actor: Actor | None, case_id: int | None, action: str, granted: bool = True,
        on_behalf_of_id: int | None = None) -> None:
    """Append an access-log row to the current transaction (written when it commits: ``access_log``)."""
    access_log.add(actor.user_id if actor else None, case_id, action, granted, on_behalf_of_id)


_LIST_INSERT_PG = sa.text(
    "INSERT INTO access_log (at, user_id, case_id, action, granted) "
    "SELECT :at, :user_id, ids.id, :action, true FROM unnest(CAST(:ids AS integer[])) AS ids(id)")


def log_listed(actor: Actor, case_ids: Iterable[int], action: str) -> None:
    """Log and commit one read per listed case, keeping what the caller already loaded.

    A list (the inbox, the task list) is a read of every case it shows.  The rows go in with one
    statement; the commit does not expire the session's objects, so the page drawing the list does
    not reload each row it holds.
    """
    ids = sorted(set(case_ids))
    if not ids:
        return
    now = clock.now()
    if db.session.get_bind().dialect.name == "postgresql":
        # One statement with the ids as an array: the executemany of a 50-row page cost 4 ms.
        db.session.execute(_LIST_INSERT_PG, {"at": now, "user_id": actor.user_id, "ids": ids, "action": action})
    else:
        db.session.execute(sa.insert(AccessLog), [dict(at=now, user_id=actor.user_id, case_id=i, action=action,
                                                       granted=True) for i in ids])
    session = db.session()
    keep, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep


def require_read(actor: Actor, case: Case | None, action: str = "read") -> Case:
    """The case if ``actor`` may read it; otherwise log the attempt and raise 404."""
    if case is None:
        raise NotFound("Fant ikke saken.")
    if not lanes.may_read(actor, parties(case)):
        log(actor, case.id, action, granted=False)
        db.session.commit()
        raise NotFound("Fant ikke saken.")
    log(actor, case.id, action)
    return case


def require_act(actor: Actor, case: Case | None, lane: str | None, role: str | None, action: str) -> Capacity:
    """How ``actor`` may act on a task in ``lane`` of ``case``; 404 outside the case, 403 inside it."""
    case = require_read(actor, case, action)
    cap = lanes.capacity(actor, parties(case), lane, role)
    if cap is None:
        log(actor, case.id, action, granted=False)
        db.session.commit()
        raise Forbidden("Du kan ikke utføre denne oppgaven.")
    return cap


def require_role(actor: Actor, *roles: str) -> None:
    if not any(actor.has(r) for r in roles):
        raise Forbidden("Du har ikke tilgang til denne funksjonen.")
