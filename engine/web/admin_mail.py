"""The console's e-mail page (#17): the mail outbox by state, and «Send på nytt».

A thin view over ``engine.notify.admin``: counts per state, one keyset page of 50 (newest first), and
the re-queue of a dead or uncertain mail (same Message-ID), which the domain audits.  Administrators
only; the recipient is shown by username, never the mail's subject or body.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from engine.errors import ServiceError
from engine.notify import admin as mail_admin
from engine.web import console_words
from engine.web.admin_base import bp
from engine.web.admin_events import PAGE_SIZE, _admin, _before
from engine.web.i18n import _


def _mail_page(state: str, before: int | None, error: ServiceError | None = None, status: int = 200):
    state = state if state in mail_admin.FILTERS else ""
    rows, more = mail_admin.page(state or None, before, PAGE_SIZE)
    labels = {s: console_words.mail_state(s) for s in mail_admin.FILTERS}
    next_url = url_for("admin_pages.mail", tilstand=state or None, før=rows[-1].id) if more and rows else None
    return render_template("admin/mail.html", state=state, rows=rows, counts=mail_admin.counts(), labels=labels,
                           next_url=next_url, first_page=before is None, error=error,
                           requeuable=mail_admin.REQUEUABLE), status


@bp.get("/epost")
def mail():
    _admin()
    return _mail_page(request.args.get("tilstand") or "", _before())


@bp.post("/epost/<int:mail_id>/send-igjen")
def requeue_mail(mail_id: int):
    actor = _admin()
    try:
        mail_admin.requeue(mail_id, actor.user_id)
    except ServiceError as exc:
        return _mail_page(request.form.get("tilstand") or "", None, exc, exc.status)
    flash(_("E-post %(id)s ligger i kø igjen og sendes ved neste levering, med samme Message-ID.", id=mail_id), "ok")
    back = request.form.get("tilbake") or ""
    if not back.startswith("/admin/epost") or "//" in back or "\\" in back:
        back = url_for("admin_pages.mail")
    return redirect(back)
