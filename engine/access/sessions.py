"""Server-side session records and revocation (the SQL side of ``engine.web.sessions``).

A session is a row; the browser holds a random id whose SHA-256 is the row's key, so a copy of the
table cannot be replayed as a cookie.  Ending a session — logout, revocation, idle, maximum age, a
deactivated account — is a write here, seen at once by every process.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

import sqlalchemy as sa

from engine import clock
from engine.extensions import db
from engine.store.auth import UserSession
from engine.store.models import ApiToken, AuditEvent, User

log = logging.getLogger("tilbolig.security")

#: ``last_seen_at`` is written at most this often: one write a minute per user, not one per request.
TOUCH_SECONDS = 60


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def open_session(user: User, method: str, acr: str | None, address: str | None, user_agent: str | None) -> str:
    """Record a new session and return its id, the only copy of which goes into the cookie."""
    sid = secrets.token_urlsafe(32)
    db.session.add(UserSession(token_hash=_hash(sid), user_id=user.id, method=method, acr=acr,
                               address=(address or "")[:64] or None, user_agent=(user_agent or "")[:300] or None))
    db.session.commit()
    log.info("session start user=%s method=%s acr=%s address=%s", user.username, method, acr, address)
    return sid


def find(sid: object) -> UserSession | None:
    if not isinstance(sid, str) or not sid:
        return None
    return db.session.scalar(sa.select(UserSession).where(UserSession.token_hash == _hash(sid)))


def why_over(row: UserSession, idle_minutes: float, max_hours: float) -> str | None:
    """Why this session no longer counts (``None``: it is live)."""
    if row.ended_at is not None:
        return row.end_reason or "ended"
    if row.user is None or not row.user.active:
        return "inactive"
    now = clock.now()
    if now - clock.as_utc(row.last_seen_at) > timedelta(minutes=idle_minutes):
        return "idle"
    if now - clock.as_utc(row.created_at) > timedelta(hours=max_hours):
        return "max_age"
    return None


def touch(row: UserSession) -> None:
    """Note activity (at most once a minute, so a busy page does not write on every request)."""
    if (clock.now() - clock.as_utc(row.last_seen_at)).total_seconds() >= TOUCH_SECONDS:
        row.last_seen_at = clock.now()
        db.session.commit()


def close(row: UserSession, reason: str) -> None:
    if row.ended_at is None:
        row.ended_at = clock.now()
        row.end_reason = reason
        db.session.commit()
        log.info("session end user_id=%s reason=%s", row.user_id, reason)


def revoke_user(user_id: int, reason: str = "revoked") -> int:
    """End every open session of a user; returns how many."""
    result = db.session.execute(sa.update(UserSession)
                                .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
                                .values(ended_at=clock.now(), end_reason=reason))
    db.session.commit()
    count = getattr(result, "rowcount", 0) or 0
    log.warning("sessions revoked user_id=%s count=%s reason=%s", user_id, count, reason)
    return count


def revoke(target: User, by_user_id: int | None, reason: str, deactivate: bool = False) -> dict:
    """An administrator ends ``target``'s access now; with ``deactivate`` also the account and its
    API tokens.  Audited as ``user.revoked``."""
    tokens = 0
    if deactivate:
        target.active = False
        result = db.session.execute(sa.update(ApiToken).where(ApiToken.user_id == target.id,
                                                               ApiToken.revoked_at.is_(None))
                                    .values(revoked_at=clock.now()))
        tokens = getattr(result, "rowcount", 0) or 0
    db.session.add(AuditEvent(case_id=None, type="user.revoked", actor_id=by_user_id,
                              data={"user_id": target.id, "username": target.username, "reason": reason,
                                    "deactivated": deactivate, "tokens_revoked": tokens}))
    db.session.commit()
    ended = revoke_user(target.id, "deactivated" if deactivate else "revoked")
    return {"user_id": target.id, "sessions_ended": ended, "tokens_revoked": tokens, "active": target.active}
