"""Sessions that end, on the web side: Flask's signed cookie carries only a random session id (and
the CSRF token); who is signed in is decided by the server-side record it points at
(``engine.access.sessions``).  So logging out, an administrator revoking a user, the idle timeout
and the maximum age end a session at once in every process, and a cookie forged with a leaked or
old secret (``{"user_id": 7}``) gets nothing.

Also here, because they are about the same cookie: the secret-key check at start-up, the Secure
flag on HTTPS (ProxyFix-aware) and HSTS.
"""
from __future__ import annotations

import secrets

from flask import Flask, current_app, flash, request, session
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from engine.access import sessions as store
from engine.store.models import User
from engine.web.i18n import _

#: The secret this service shipped with before #13: anything signed with it must be worthless.
OLD_DEFAULT_SECRET = "dev-only-change-me"
_ENV_KEY = "tilbolig.session_user"


def start(user: User, method: str, acr: str | None = None) -> None:
    """Sign ``user`` in on this browser: a fresh cookie (no session fixation) and a new record."""
    session.clear()
    session["sid"] = store.open_session(user, method, acr, request.remote_addr, request.user_agent.string)
    session.permanent = False
    request.environ[_ENV_KEY] = user


def end(reason: str = "logout") -> None:
    """End this browser's session (logout) and forget the cookie's contents."""
    row = store.find(session.get("sid"))
    if row is not None:
        store.close(row, reason)
    session.clear()
    request.environ[_ENV_KEY] = None


def session_user() -> User | None:
    """The user of this browser's live session, or ``None``; ends a session that has run out.

    Memoised per request.  Never consulted for ``/api/``: the API takes bearer tokens only.
    """
    if _ENV_KEY in request.environ:
        return request.environ[_ENV_KEY]
    user = None
    sid = session.get("sid")
    if sid:
        config = current_app.config
        row = store.find(sid)
        reason = (store.why_over(row, float(config["SESSION_IDLE_MINUTES"]), float(config["SESSION_MAX_HOURS"]))
                  if row is not None else "unknown")
        if row is not None and reason is None:
            user = row.user
            store.touch(row)
        else:
            if row is not None:
                store.close(row, reason or "ended")
            session.clear()
            if reason == "idle":
                flash(_("Du ble logget ut fordi du ikke hadde vært aktiv på %(n)d minutter.",
                        n=config["SESSION_IDLE_MINUTES"]), "info")
    request.environ[_ENV_KEY] = user
    return user


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
    if key is not None and not isinstance(key, (str, bytes)):
        key = app.config["SECRET_KEY"] = str(key)   # TILBOLIG_SECRET_KEY=123… arrives as a JSON number
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
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)  # type: ignore[method-assign]
    app.session_interface = CookieSessionInterface()
    app.before_request(_check_session)
    app.after_request(_hsts)
