"""The caseworker and resident web pages: wiring, the inbox, friendly error pages (sign-in: ``login``).

Views are thin: they read the request, call a use case (``engine.cases``, ``engine.cases.worklist``)
and render a template.  Who may see what is decided in ``engine.access`` — a case outside the
user's organisation is a 404 here exactly as in the API.  Every form is CSRF-protected; only the
token-authenticated JSON API and the signed webhooks are exempt.  The task and case pages live in
``pages_task`` and ``pages_case``; the form widgets in ``formrender``.
"""
from __future__ import annotations

import os
from urllib.parse import parse_qsl, urlsplit

from flask import Flask, flash, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect

from engine.access import rules as access
from engine.access import users as user_lookup
from engine.bpmn import lanes
from engine.cases import saved_filters
from engine.cases import worklist as inbox_mod
from engine.errors import BadRequest
from engine.store.models import User
from engine.web import i18n, listing
from engine.web.auth import current_user
from engine.web.i18n import _
from engine.web.page_base import bp, require_actor

STATIC = os.path.join(os.path.dirname(__file__), "static")
csrf = CSRFProtect()

#: Blueprints that authenticate each request themselves (bearer token, webhook signature).
CSRF_EXEMPT_BLUEPRINTS = ("api", "inbound")
CSRF_EXEMPT_PREFIXES = ("/api/", "/webhooks/")
#: Where a page that already counted the inbox leaves the numbers for the navigation (one request).
COUNTS_KEY = "tilbolig.inbox_counts"


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths after login (no open redirect to another host)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def _home_for(user: User) -> str:
    roles = user.role_set
    if roles & {lanes.SAKSBEHANDLER, lanes.LEDER}:
        return url_for("pages.inbox")
    if lanes.RESIDENT in roles:
        return url_for("pages.my_page")
    return url_for("pages.case_list")


@bp.get("/")
def home():
    user = current_user()
    return redirect(_home_for(user) if user else url_for("pages.login"))


def _choice(raw: str | None, allowed, default: str) -> str:
    """A value from the query string only if it is one of ``allowed``."""
    return raw if raw is not None and raw in allowed else default


def _inbox_filter(args) -> inbox_mod.InboxFilter:
    scope = args.get("vis")
    return inbox_mod.InboxFilter(step=args.get("steg") or None,
                                 overdue_only=args.get("forfalt") == "1",
                                 scope=scope if scope in (inbox_mod.MINE, inbox_mod.UNASSIGNED) else inbox_mod.ORGANISATION,
                                 search=(args.get("q") or "").strip()[:200] or None,
                                 sort=_choice(args.get("sorter"), inbox_mod.SORTS, "frist"),
                                 cursor=listing.cursor_of(args))


@bp.get("/innboks")
def inbox():
    actor = require_actor()
    flt = _inbox_filter(request.args)
    page = inbox_mod.inbox(actor, flt)
    known = inbox_mod.summary(actor)
    request.environ[COUNTS_KEY] = known.counts         # the navigation's numbers: counted once a page
    total = inbox_mod.total(actor, flt, known)
    users = user_lookup.display_names(t.claimed_by_id for t, *_ in page.rows)
    return render_template("pages/inbox.html", rows=page.rows, flt=flt, steps=known.steps, users=users,
                           actor=actor, total=total, links=listing.page_links("pages.inbox", page), page_size=inbox_mod.PAGE_SIZE,
                           is_leader=actor.has(lanes.LEDER), sorts=_sort_labels(),
                           saved=listing.saved_of(actor, saved_filters.INBOX))


def _sort_labels() -> list[tuple[str, str]]:
    return [("frist", _("Frist (over fristen først)")), ("navn", _("Beboerens navn")), ("sak", _("Saksnummer")),
            ("nyest", _("Nyeste oppgaver først")), ("steg", _("Steg"))]


def _list_url(list_name: str, query: str = "") -> str:
    endpoint = "pages.inbox" if list_name == saved_filters.INBOX else "pages.case_list"
    return url_for(endpoint) + ("?" + query if query else "")


@bp.post("/filtre")
def save_filter():
    """«Lagre filteret»: the current filter of the inbox or the case list under a name."""
    actor = require_actor()
    list_name = _choice(request.form.get("liste"), saved_filters.PARAMETERS, saved_filters.INBOX)
    query = saved_filters.query_of(list_name, parse_qsl(request.form.get("filter") or ""))
    try:
        saved = saved_filters.save(actor, list_name, request.form.get("navn") or "", query)
    except BadRequest as exc:
        flash(_(exc.message), "error")
        return redirect(_list_url(list_name, query))
    flash(_("Filteret «%(name)s» er lagret.", name=saved.name), "ok")
    return redirect(_list_url(list_name, saved.query))


@bp.post("/filtre/<int:filter_id>/slett")
def delete_filter(filter_id: int):
    gone = saved_filters.delete(require_actor(), filter_id)
    flash(_("Filteret «%(name)s» er slettet.", name=gone.name), "ok")
    return redirect(_list_url(gone.list))


@bp.post("/oppgaver/<task_id>/ta")
def claim(task_id: str):
    inbox_mod.claim(require_actor(), task_id, take=True)
    flash(_("Du har tatt oppgaven."), "ok")
    return redirect(_safe_next(request.form.get("neste")) or url_for("pages.inbox"))


@bp.post("/oppgaver/<task_id>/tildel")
def assign(task_id: str):
    try:
        user_id = int(request.form.get("til") or 0)
    except ValueError:
        user_id = 0
    _row, target = inbox_mod.assign(require_actor(), task_id, user_id)
    flash(_("Oppgaven er gitt til %(name)s.", name=target.display_name), "ok")
    return redirect(_safe_next(request.form.get("neste")) or url_for("pages.task", task_id=task_id))


@bp.post("/oppgaver/<task_id>/legg-tilbake")
def unclaim(task_id: str):
    inbox_mod.claim(require_actor(), task_id, take=False)
    flash(_("Oppgaven er lagt tilbake."), "ok")
    return redirect(_safe_next(request.form.get("neste")) or url_for("pages.inbox"))


# ---------------------------------------------------------------------------------------------
# wiring
# ---------------------------------------------------------------------------------------------

ERROR_TITLES = {400: "Noe var feil med forespørselen", 403: "Du har ikke tilgang", 404: "Fant ikke siden",
                405: "Det går ikke an her", 409: "Noen kom deg i forkjøpet", 413: "Det du sendte er for stort",
                422: "Kan ikke behandle dette", 500: "Noe gikk galt hos oss"}
ERROR_TEXTS = {403: "Du har ikke tilgang til dette.",
               404: "Siden eller saken finnes ikke, eller du har ikke tilgang til den.",
               409: "Saken ble endret av noen andre mens du arbeidet. Last siden på nytt og se hva som er gjort.",
               500: "Det oppstod en feil. Den er logget, og ingenting du har lagret er tapt. Prøv igjen om litt."}


def html_error(status: int, message: str, exc: Exception | None):
    """Render a friendly Norwegian error page; nothing technical leaks (registered for ``errors.py``)."""
    if status == 401:
        return redirect(url_for("pages.login", neste=request.full_path.rstrip("?")))
    from engine.errors import ServiceError
    if isinstance(exc, CSRFError):
        text = _("Skjemaet var utløpt eller ugyldig. Gå tilbake, last siden på nytt og prøv igjen.")
    elif isinstance(exc, ServiceError) and status < 500 and status != 404:
        text = exc.message
    else:
        text = _(ERROR_TEXTS.get(status, message))
    return render_template("pages/error.html", status=status, title=_(ERROR_TITLES.get(status, "Feil")),
                           text=text), status


def _csrf_guard():
    from flask import current_app
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    if request.blueprint in CSRF_EXEMPT_BLUEPRINTS or request.path.startswith(CSRF_EXEMPT_PREFIXES):
        return
    csrf.protect()


def _nav_context() -> dict:
    if not request.endpoint or request.endpoint.startswith(("api.", "static")):
        return {}
    try:
        user = current_user()
    except Exception:  # noqa: BLE001 - a broken session must not break the error page
        return {"me": None, "counts": None}
    counts = None
    if user is not None and user.role_set & {lanes.SAKSBEHANDLER, lanes.LEDER, lanes.RESIDENT}:
        counts = request.environ.get(COUNTS_KEY) or inbox_mod.counts(access.actor_for(user))
    return {"me": user, "counts": counts, "lanes": lanes}


def init_app(app: Flask) -> None:
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)   # our guard below decides what is exempt
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    # SameSite, HttpOnly and Secure of the session cookie: engine.config and engine.web.sessions (#13).
    # The app's own /static route serves the web folder (CSS, our scripts, bpmn-js under vendor/).
    app.static_folder = STATIC
    i18n.init_app(app)
    csrf.init_app(app)
    app.before_request(_csrf_guard)
    app.context_processor(_nav_context)
    app.extensions["html_errors"] = html_error
    app.register_blueprint(bp)
