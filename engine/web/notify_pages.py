"""The bell and its pages (#17): unread count in the navigation, «Varsler», and the e-mail choice.

Thin: ``engine.notify.bell`` decides what a user sees (access is checked again when listing).
"""
from __future__ import annotations

from flask import Flask, flash, redirect, render_template, request, url_for

from engine.errors import BadRequest
from engine.notify import bell
from engine.store.notify import DIGEST, IMMEDIATE, OFF
from engine.web.auth import current_user
from engine.web.i18n import _
from engine.web.page_base import bp, require_actor


def _internal(link: str) -> str:
    """Only a path of this site (a stored link is ours, but never redirect elsewhere anyway)."""
    return link if link.startswith("/") and not link.startswith("//") and "\\" not in link else url_for("pages.home")


@bp.get("/varsler")
def notifications():
    actor = require_actor()
    try:
        before = int(request.args.get("eldre") or 0) or None
    except ValueError:
        before = None
    rows, more = bell.page(actor, before)
    return render_template("pages/notifications.html", rows=rows, more=more,
                           older=rows[-1].id if rows and more else None, first=before is None)


@bp.post("/varsler/<int:notification_id>/apne")
def open_notification(notification_id: int):
    """Mark read and go where it points."""
    return redirect(_internal(bell.mark_read(require_actor(), notification_id)))


@bp.post("/varsler/<int:notification_id>/lest")
def read_notification(notification_id: int):
    bell.mark_read(require_actor(), notification_id)
    flash(_("Varselet er merket som lest."), "ok")
    return redirect(url_for("pages.notifications"))


@bp.post("/varsler/les-alle")
def read_all():
    n = bell.mark_all_read(require_actor())
    flash(_("%(n)d varsler er merket som lest.", n=n), "ok")
    return redirect(url_for("pages.notifications"))


def _choices() -> list[tuple[str, str, str]]:
    return [(IMMEDIATE, _("Med en gang"), _("Én e-post for hvert varsel.")),
            (DIGEST, _("Daglig sammendrag"), _("Én e-post om dagen med alle nye varsler.")),
            (OFF, _("Ingen e-post"), _("Du ser varslene bare under bjellen."))]


@bp.route("/varsler/innstillinger", methods=["GET", "POST"])
def notify_settings():
    actor = require_actor()
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            bell.set_preference(actor, request.form.get("epost") or "")
        except BadRequest as exc:
            errors = exc.details if isinstance(exc.details, dict) else {"epost": [exc.message]}
        else:
            flash(_("Valget ditt er lagret."), "ok")
            return redirect(url_for("pages.notify_settings"))
    user = current_user()
    return render_template("pages/notify_settings.html", choice=bell.preference(actor), choices=_choices(),
                           errors=errors, email=user.email if user else None), (400 if errors else 200)


def _bell_context() -> dict:
    """The navigation's unread count (signed-in pages only; a broken session must not break a page)."""
    if not request.endpoint or request.endpoint.startswith(("api.", "static")):
        return {}
    try:
        user = current_user()
        if user is None:
            return {}
        from engine.access import rules as access
        return {"unread": bell.unread_count(access.actor_for(user))}
    except Exception:  # noqa: BLE001
        return {}


def init_app(app: Flask) -> None:
    app.context_processor(_bell_context)
