"""The console's events page and webhooks page (#14 item 7): what came in, what went out, and redelivery.

Inbound events (held, unmatched, failed, delivered) and outbound deliveries (waiting, retrying,
delivered, dead), each filterable by state and paged by id (keyset: the next page starts below the
last id shown).  «Send på nytt» puts a dead delivery back in the queue and «Prøv igjen» holds a
failed inbound event again; both are audited by ``engine.events``.  Administrators only.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from engine.access.rules import require_role
from engine.bpmn.lanes import ADMINISTRATOR
from engine.errors import ServiceError
from engine.events import inbox, outbox, subscriptions
from engine.store.webhooks import DEAD, DELIVERED, FAILED, HELD, UNMATCHED
from engine.web import console_words
from engine.web.admin_base import bp
from engine.web.i18n import _
from engine.web.page_base import require_actor

PAGE_SIZE = 50
INBOUND_FILTERS = (HELD, FAILED, UNMATCHED, DELIVERED)
OUTBOUND_FILTERS = ("pending", "retrying", DELIVERED, DEAD)


def _admin():
    actor = require_actor()
    require_role(actor, ADMINISTRATOR)
    return actor


def _before() -> int | None:
    raw = request.args.get("før", "") or request.args.get("before", "")
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


def _events_page(kind: str, state: str, before: int | None, error: ServiceError | None = None, status: int = 200):
    allowed = INBOUND_FILTERS if kind == "inn" else OUTBOUND_FILTERS
    state = state if state in allowed else ""
    if kind == "inn":
        rows, more = inbox.page(state or None, before, PAGE_SIZE)
        counts = inbox.counts()
        labels = {s: console_words.inbound_state(s) for s in allowed}
    else:
        rows, more = outbox.page(state or None, before, PAGE_SIZE)
        counts = outbox.counts()
        labels = {s: console_words.outbox_state("pending", 1) if s == "retrying" else console_words.outbox_state(s)
                  for s in allowed}
    next_url = url_for("admin_pages.events", retning=kind, tilstand=state or None, før=rows[-1].id) \
        if more and rows else None
    return render_template("admin/events.html", kind=kind, state=state, rows=rows, counts=counts, labels=labels,
                           next_url=next_url, first_page=before is None, error=error,
                           subs={s.id: s for s in subscriptions.list_subscriptions()}), status


@bp.get("/events")
def events():
    _admin()
    kind = "ut" if request.args.get("retning") == "ut" else "inn"
    return _events_page(kind, request.args.get("tilstand") or "", _before())


def _back(kind: str):
    """Back to the page the button was on (only ever an events page of this console)."""
    back = request.form.get("tilbake") or ""
    if not back.startswith("/admin/events") or "//" in back or "\\" in back:
        back = url_for("admin_pages.events", retning=kind)
    return redirect(back)


@bp.post("/events/ut/<int:event_id>/send-igjen")
def redeliver(event_id: int):
    actor = _admin()
    try:
        outbox.redeliver(event_id, actor.user_id)
    except ServiceError as exc:
        return _refused(exc, "ut")
    flash(_("Utgående hendelse %(id)s sendes på nytt ved neste levering.", id=event_id), "ok")
    return _back("ut")


@bp.post("/events/inn/<int:event_id>/prov-igjen")
def retry_inbound(event_id: int):
    actor = _admin()
    try:
        event = inbox.retry(event_id, actor.user_id)
    except ServiceError as exc:
        return _refused(exc, "inn")
    flash(_("Innkommende hendelse %(id)s: %(state)s.", id=event_id, state=console_words.inbound_state(event.state)),
          "ok")
    return _back("inn")


def _refused(exc: ServiceError, kind: str):
    """The events page again with the refusal as an error summary, and the refusal's status."""
    return _events_page(kind, request.form.get("tilstand") or "", None, exc, exc.status)


@bp.get("/webhooks")
def webhooks():
    _admin()
    subs = [subscriptions.subscription_json(s) for s in subscriptions.list_subscriptions()]
    return render_template("admin/webhooks.html", subs=subs, sources=subscriptions.list_sources())
