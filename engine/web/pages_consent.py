"""Pages for withdrawing consent: the resident on Min side, or a caseworker recording it for them.

Withdrawing is one plain question and one button (no JavaScript); the use case
(``engine.cases.consent.withdraw``) makes it effective at once and tells both organisations.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from engine import cases
from engine.access import consent
from engine.cases import consent as consent_changes
from engine.errors import Conflict, Forbidden
from engine.web import withheld
from engine.web.i18n import _
from engine.web.page_base import bp, require_actor


@bp.get("/min-side/samtykke/<int:case_id>/trekk-tilbake")
def withdraw_consent_form(case_id: int):
    """«Vil du trekke tilbake samtykket?» — what it means, before the resident confirms."""
    actor = require_actor()
    case = cases.get_case(actor, case_id, "read_consent")
    if case.resident_user_id != actor.user_id:
        raise Forbidden(_("Bare beboeren selv kan trekke tilbake samtykket her."))
    grant = consent.current(case.id)
    return render_template("pages/consent_withdraw.html", case=case,
                           consent=withheld.summary(grant, consent.state_of(grant)))


@bp.post("/min-side/samtykke/<int:case_id>/trekk-tilbake")
def withdraw_consent(case_id: int):
    actor = require_actor()
    try:
        consent_changes.withdraw(actor, case_id)
    except Conflict as exc:
        flash(exc.message, "info")
        return redirect(url_for("pages.my_page"))
    flash(_("Samtykket er trukket tilbake. Bydelen og institusjonen har fått beskjed, og de deler ikke lenger "
            "opplysninger om deg med hverandre."), "ok")
    return redirect(url_for("pages.my_page"))


@bp.post("/saker/<int:case_id>/samtykke/trekk-tilbake")
def withdraw_consent_on_behalf(case_id: int):
    """A caseworker records a withdrawal the resident made orally (kept as on the resident's behalf)."""
    actor = require_actor()
    if request.form.get("bekreft") != "ja":
        flash(_("Kryss av for at beboeren har trukket samtykket tilbake."), "info")
        return redirect(url_for("pages.case", case_id=case_id) + "#h-consent")
    try:
        consent_changes.withdraw(actor, case_id)
    except Conflict as exc:
        flash(exc.message, "info")
    else:
        flash(_("Tilbaketrekkingen er registrert. Opplysninger deles ikke lenger mellom bydelen og institusjonen."),
              "ok")
    return redirect(url_for("pages.case", case_id=case_id) + "#h-consent")
