"""The console's users page: who can sign in, their open sessions, and ending someone's access.

The revocation is ``engine.access.sessions.revoke`` (audited as ``user.revoked``), the same as the
API's ``POST /api/v1/admin/users/<id>/revoke`` and ``flask users revoke``.  A refusal (no reason)
is drawn as an error summary with the 422 and the typed values kept.  Administrators only.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from engine.access import sessions
from engine.access import users as user_lookup
from engine.access.rules import require_role
from engine.bpmn.lanes import ADMINISTRATOR
from engine.errors import NotFound
from engine.ops import console
from engine.web.admin_base import bp
from engine.web.i18n import _
from engine.web.page_base import require_actor

MAX_REASON = 500


def _page(actor, values=None, errors=None, target_id: int | None = None, status: int = 200):
    return render_template("admin/users.html", rows=console.users_overview(actor), values=values or {},
                           errors=errors or [], target_id=target_id), status


@bp.get("/users")
def users():
    actor = require_actor()
    return _page(actor)


@bp.post("/users/<int:user_id>/revoke")
def revoke(user_id: int):
    actor = require_actor()
    require_role(actor, ADMINISTRATOR)
    target = user_lookup.get(user_id)
    if target is None:
        raise NotFound(_("Fant ikke brukeren."))
    reason = (request.form.get("reason") or "").strip()
    deactivate = request.form.get("deactivate") == "1"
    if not reason or len(reason) > MAX_REASON:
        text = _("Skriv hvorfor tilgangen avsluttes.") if not reason else _("Høyst %(n)d tegn.", n=MAX_REASON)
        return _page(actor, {"reason": request.form.get("reason", ""), "deactivate": deactivate},
                     [(f"revoke-{user_id}-reason", _("Begrunnelse: %(text)s", text=text))], user_id, 422)
    result = sessions.revoke(target, actor.user_id, reason, deactivate)
    flash(_("%(name)s: %(n)d økt(er) avsluttet%(locked)s.", name=target.display_name, n=result["sessions_ended"],
            locked=_(", kontoen er sperret") if deactivate else ""), "ok")
    return redirect(url_for("admin_pages.users"))
