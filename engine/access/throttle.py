"""Login throttling per username and per address, counted in the database so that every web
process sees the same attempts (an in-memory counter would give each process its own budget).

A username is blocked after ``LOGIN_MAX_FAILURES_PER_USER`` failures within the window since its
last success; an address after ``LOGIN_MAX_FAILURES_PER_ADDRESS`` failures within the window (a
higher limit: many people can share one address).  The answer is HTTP 429 with the wait.
"""
from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta

import sqlalchemy as sa

from engine import clock
from engine.extensions import db
from engine.store.auth import LoginAttempt

log = logging.getLogger("tilbolig.security")


def _norm(username: str | None) -> str | None:
    return (username or "").strip().lower()[:80] or None


def wait_seconds(username: str | None, address: str | None, window_minutes: float, max_per_user: int,
                 max_per_address: int) -> int:
    """Seconds until another attempt is allowed for this username or address; 0 when allowed now."""
    window = timedelta(minutes=window_minutes)
    since = clock.now() - window
    waits = [0]
    name = _norm(username)
    if name:
        last_ok = db.session.scalar(sa.select(sa.func.max(LoginAttempt.at))
                                    .where(LoginAttempt.username == name, LoginAttempt.succeeded.is_(True)))
        start = max(since, clock.as_utc(last_ok)) if last_ok else since
        waits.append(_wait(LoginAttempt.username == name, start, window, max_per_user))
    if address:
        waits.append(_wait(LoginAttempt.address == address, since, window, max_per_address))
    return max(waits)


def _wait(condition, start: datetime, window: timedelta, limit: int) -> int:
    rows = db.session.scalars(sa.select(LoginAttempt.at)
                              .where(condition, LoginAttempt.succeeded.is_(False), LoginAttempt.at > start)
                              .order_by(LoginAttempt.at.desc()).limit(limit)).all()
    if len(rows) < limit:
        return 0
    # Blocked until the oldest of the last ``limit`` failures leaves the window.
    free_at = clock.as_utc(rows[-1]) + window
    return max(1, math.ceil((free_at - clock.now()).total_seconds()))


def record(username: str | None, address: str | None, succeeded: bool) -> None:
    """Store one attempt (committed at once, whatever the view does next)."""
    db.session.add(LoginAttempt(username=_norm(username), address=(address or "")[:64] or None,
                                succeeded=succeeded))
    db.session.commit()
    if not succeeded:
        log.warning("login failed username=%s address=%s", _norm(username), address)
