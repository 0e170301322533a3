"""Sign-in and sign-out pages: local passwords (the demo; can be turned off) beside the OpenID
Connect buttons (``/logg-inn/<ansatt|idporten>`` and their ``/svar`` callbacks), throttled per
username and address, and every sign-in a server-side session.

Routes are on the ``pages`` blueprint so ``pages.login`` / ``pages.logout`` stay the names every
template and redirect already uses.  The protocol is in ``engine.web.oidc``; the accounts in
``engine.access.identities``.
"""
from __future__ import annotations

import logging
import math

from flask import current_app, flash, redirect, render_template, request, url_for

from engine.access import identities, passwords, throttle
from engine.access import users as user_lookup
from engine.store.models import User
from engine.web import oidc, sessions
from engine.web.i18n import _
from engine.web.pages import _home_for as home_for
from engine.web.pages import _safe_next as safe_next
from engine.web.pages import bp

log = logging.getLogger("tilbolig.security")


def render_login(error: str | None = None, status: int = 200, username: str = "", headers=None):
    """The login page: the password form when enabled, one button per configured provider."""
    nxt = safe_next(request.args.get("neste"))
    buttons = [(p.label, url_for("pages.oidc_begin", kind=p.kind, neste=nxt)) for p in oidc.enabled()]
    body = render_template("pages/login.html", error=error, username=username, providers=buttons,
                           password_enabled=current_app.config["PASSWORD_LOGIN_ENABLED"])
    return body, status, headers or {}


def sign_in(user: User, method: str, acr: str | None = None) -> None:
    sessions.start(user, method, acr)


@bp.route("/logg-inn", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return render_login()
    if not current_app.config["PASSWORD_LOGIN_ENABLED"]:
        return render_login(_("Innlogging med passord er slått av. Bruk en av knappene nedenfor."), 403)
    username = (request.form.get("username") or "").strip()
    password = request.form.get("password") or ""
    address = request.remote_addr
    config = current_app.config
    wait = throttle.wait_seconds(username, address, float(config["LOGIN_WINDOW_MINUTES"]),
                                 int(config["LOGIN_MAX_FAILURES_PER_USER"]),
                                 int(config["LOGIN_MAX_FAILURES_PER_ADDRESS"]))
    if wait:
        log.warning("login throttled username=%s address=%s wait=%ss", username, address, wait)
        message = _("For mange mislykkede innlogginger. Vent %(n)d minutter før du prøver igjen.",
                    n=max(1, math.ceil(wait / 60)))
        return render_login(message, 429, username, {"Retry-After": str(wait)})
    user = user_lookup.by_username(username)
    # Hash even for an unknown user, so the answer time does not reveal which usernames exist.
    ok = passwords.check_password(user.password_hash if user is not None else None, password)
    ok = ok and user is not None and user.active and bool(user.password_hash)
    throttle.record(username, address, ok)
    if not ok or user is None:
        return render_login(_("Feil brukernavn eller passord."), 401, username)
    sign_in(user, "password")
    return redirect(safe_next(request.args.get("neste")) or home_for(user))


@bp.post("/logg-ut")
def logout():
    sessions.end("logout")
    flash(_("Du er logget ut."), "info")
    return redirect(url_for("pages.login"))


@bp.get("/logg-inn/<kind>")
def oidc_begin(kind: str):
    """Send the browser to the provider, with state, nonce and the PKCE challenge."""
    p = oidc.provider(kind)
    if p is None:
        return render_login(_("Denne innloggingen er ikke satt opp."), 404)
    try:
        return redirect(oidc.authorization_url(p, safe_next(request.args.get("neste"))))
    except identities.SignInRefused as exc:
        log.warning("oidc %s refused at start: %s", kind, exc.reason)
        return render_login(_(exc.message), 503)


@bp.get("/logg-inn/<kind>/svar")
def oidc_callback(kind: str):
    """The provider's answer: checked, redeemed, verified, mapped to an account, then a session."""
    p = oidc.provider(kind)
    if p is None:
        return render_login(_("Denne innloggingen er ikke satt opp."), 404)
    try:
        claims, next_path = oidc.complete(p, request.args.to_dict())
        user = (identities.staff_user(p.issuer, p.claims, claims) if kind == "ansatt"
                else identities.resident_user(p.claims, claims))
    except identities.SignInRefused as exc:
        log.warning("oidc %s refused address=%s: %s", kind, request.remote_addr, exc.reason)
        return render_login(_(exc.message), 403)
    sign_in(user, f"oidc:{kind}", claims.get("acr"))
    return redirect(next_path or home_for(user))
