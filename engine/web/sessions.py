"""Sessions that end: a server-side record per signed-in browser, checked on every request.

Flask's signed cookie only carries a random session id (and the CSRF token); who is signed in is
decided by the ``user_sessions`` row it points at.  So logging out, an administrator revoking a
user, the idle timeout and the maximum age all end a session at once, in every process, and a
cookie forged with a leaked or old secret (``{"user_id": 7}``) gets nothing.

Also here, because they are about the same cookie: the secret key check at start-up, the Secure
flag on HTTPS (ProxyFix-aware) and HSTS.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, current_app, flash, request, session
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from engine import clock
from engine.extensions import db
from engine.store.auth import UserSession
from engine.store.models import User
from engine.web.i18n import _

log = logging.getLogger("tilbolig.security")

#: The secret this service shipped with before #13: anything signed with it must be worthless.
OLD_DEFAULT_SECRET = "dev-only-change-me"
#: ``last_seen_at`` is written at most this often: one write a minute per user, not one per request.
TOUCH_SECONDS = 60
_ENV_KEY = "tilbolig.session_user"


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def start(user: User, method: str, acr: str | None = None) -> UserSession:
    """Sign ``user`` in on this browser: a fresh cookie (no session fixation) and a new record."""
    session.clear()
    sid = secrets.token_urlsafe(32)
    row = UserSession(token_hash=_hash(sid), user_id=user.id, method=method, acr=acr,
                      address=(request.remote_addr or "")[:64] or None,
                      user_agent=(request.user_agent.string or "")[:300] or None)
    db.session.add(row)
    db.session.commit()
    session["sid"] = sid
    session.permanent = False
    request.environ[_ENV_KEY] = user
    log.info("session start user=%s method=%s acr=%s address=%s", user.username, method, acr, row.address)
    return row


def end(reason: str = "logout") -> None:
    """End this browser's session (logout) and forget the cookie's contents."""
    row = _row(session.get("sid"))
    if row is not None and row.ended_at is None:
        _close(row, reason)
        db.session.commit()
    session.clear()
    request.environ[_ENV_KEY] = None


def revoke_user(user_id: int, reason: str = "revoked") -> int:
    """End every open session of a user (administrator revocation, deactivation); returns how many."""
    result = db.session.execute(sa.update(UserSession)
                                .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
                                .values(ended_at=clock.now(), end_reason=reason))
    db.session.commit()
    log.warning("sessions revoked user_id=%s count=%s reason=%s", user_id, result.rowcount, reason)
    return result.rowcount or 0


def session_user() -> User | None:
    """The user of this browser's live session, or ``None``; ends a session that has run out.

    Memoised per request.  Never called for ``/api/``: the API takes bearer tokens only.
    """
    if _ENV_KEY in request.environ:
        return request.environ[_ENV_KEY]
    user = None
    sid = session.get("sid")
    if isinstance(sid, str) and sid:
        row = _row(sid)
        reason = _why_over(row) if row is not None else "unknown"
        if reason is None:
            user = row.user
            if (clock.now() - clock.as_utc(row.last_seen_at)).total_seconds() >= TOUCH_SECONDS:
                row.last_seen_at = clock.now()
                db.session.commit()
        else:
            if row is not None and row.ended_at is None:
                _close(row, reason)
                db.session.commit()
            session.clear()
            if reason == "idle":
                flash(_("Du ble logget ut fordi du ikke hadde vært aktiv på %(n)d minutter.",
                        n=current_app.config["SESSION_IDLE_MINUTES"]), "info")
    request.environ[_ENV_KEY] = user
    return user


def _row(sid) -> UserSession | None:
    if not isinstance(sid, str) or not sid:
        return None
    return db.session.scalar(sa.select(UserSession).where(UserSession.token_hash == _hash(sid)))


def _why_over(row: UserSession) -> str | None:
    """Why this session no longer counts (``None``: it is live)."""
    if row.ended_at is not None:
        return row.end_reason or "ended"
    if row.user is None or not row.user.active:
        return "inactive"
    now = clock.now()
    config = current_app.config
    if now - clock.as_utc(row.last_seen_at) > timedelta(minutes=float(config["SESSION_IDLE_MINUTES"])):
        return "idle"
    if now - clock.as_utc(row.created_at) > timedelta(hours=float(config["SESSION_MAX_HOURS"])):
        return "max_age"
    return None


def _close(row: UserSession, reason: str) -> None:
    row.ended_at = clock.now()
    row.end_reason = reason
    log.info("session end user_id=%s reason=%s", row.user_id, reason)


def _check_session() -> None:
    """Before every page request: end a run-out session now, not whenever a view first asks."""
    if request.path.startswith("/api/") or request.endpoint in (None, "static"):
        return
    session_user()


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, marked Secure whenever the request came over HTTPS (after ProxyFix),
    or always when ``SESSION_COOKIE_SECURE`` is set."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


def _hsts(response):
    seconds = int(current_app.config["HSTS_SECONDS"])
    if seconds > 0 and request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", f"max-age={seconds}; includeSubDomains")
    return response


def check_secret_key(app: Flask) -> None:
    """Refuse to run with no secret or the old default outside debug/tests (a forged cookie signed
    with a known key got the operations console).  In debug/tests a random per-process key is used."""
    key = app.config.get("SECRET_KEY")
    if key and key != OLD_DEFAULT_SECRET:
        return
    if app.debug or app.testing:
        app.config["SECRET_KEY"] = secrets.token_hex(32)
        return
    raise RuntimeError("tilbolig starter ikke uten en hemmelig nøkkel: sett TILBOLIG_SECRET_KEY, eller kjør "
                       "`make secret` (skriver en tilfeldig nøkkel til instance/secret_key).")


def init_app(app: Flask) -> None:
    check_secret_key(app)
    hops = int(app.config["PROXY_FIX_HOPS"])
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    app.session_interface = CookieSessionInterface()
    app.before_request(_check_session)
    app.after_request(_hsts)
