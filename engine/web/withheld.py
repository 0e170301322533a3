"""Saying what was held back, and why — the words for ``engine.access.consent``'s decisions.

Pages and the API both show another organisation's withheld information as a sentence that
starts «Holdt tilbake: …», so a caseworker knows something exists and what would share it (the
resident's consent), without seeing it.  Words go through the translation layer (``_``).
"""
from __future__ import annotations

from typing import Any

from engine.access import consent, sharing
from engine.access.consent import Decision, Grant
from engine.web.i18n import _, format_date

OWNER_WORDS = {"bydel": "bydelen", "institusjon": "institusjonen", "beboer": "beboeren"}


def _when(value: Any) -> str:
    return format_date(value) if value else ""


def reason(d: Decision) -> str:
    """One withheld piece as a sentence («Holdt tilbake: beboeren har ikke samtykket til deling av …»)."""
    what = _(sharing.category_label(d.category or ""))
    owner = _(OWNER_WORDS.get(d.owner or "", d.owner or ""))
    if d.why == consent.NO_CONSENT:
        text = _("Holdt tilbake: beboeren har ikke samtykket til deling av %(what)s fra %(owner)s.",
                 what=what, owner=owner)
        extra = {consent.WITHDRAWN: _("Samtykket ble trukket tilbake %(date)s.", date=_when(d.since)),
                 consent.EXPIRED: _("Samtykket gikk ut %(date)s.", date=_when(d.since)),
                 consent.REFUSED: _("Beboeren har sagt nei til deling."),
                 consent.MISSING: _("Samtykke er ikke registrert ennå.")}.get(d.consent_state or "")
        return f"{text} {extra}" if extra else text
    if d.why == consent.INTERNAL:
        return _("Holdt tilbake: dette er intern oppfølging hos %(owner)s.", owner=owner)
    if d.why == consent.NOT_FOR_RESIDENT:
        return _("Holdt tilbake: dette er et arbeidsdokument for %(owner)s, ikke en del av planen din.", owner=owner)
    return _("Holdt tilbake: innholdet i skjemaene vises bare for partene i saken.")


def as_json(d: Decision) -> dict[str, Any]:
    """A withheld piece in the API: machine-readable reason plus the sentence."""
    return {"category": d.category, "owner": d.owner, "reason": d.why, "consent": d.consent_state,
            "message": reason(d)}


STATE_WORDS = {consent.MISSING: "Ikke registrert", consent.VALID: "Gyldig", consent.REFUSED: "Ikke gitt",
               consent.EXPIRED: "Utløpt", consent.WITHDRAWN: "Trukket tilbake"}
DIRECTION_WORDS = {sharing.TO_INSTITUTION: "fra bydelen til institusjonen",
                   sharing.TO_BYDEL: "fra institusjonen til bydelen"}


def state_word(state: str) -> str:
    return _(STATE_WORDS.get(state, state))


def summary(grant: Grant | None, state: str) -> dict[str, Any]:
    """The consent as the case page and Min side show it (categories, directions, dates in words)."""
    if grant is None:
        return {"state": state, "state_word": state_word(state), "categories": [], "directions": [], "others": []}
    return {"state": state, "state_word": state_word(state),
            "categories": [_(sharing.category_label(c)) for c in sharing.CATEGORIES if c in grant.categories],
            "directions": [_(DIRECTION_WORDS[d]) for d in sharing.DIRECTIONS if d in grant.directions],
            "others": [" – ".join(str(v) for v in (o.get("instans"), o.get("navn")) if v) for o in grant.other_recipients
                       if isinstance(o, dict)],
            "given_on": grant.given_on, "valid_until": grant.valid_until, "withdrawn_at": grant.withdrawn_at,
            "renewal_due_at": grant.renewal_due_at, "renewal_open": grant.renewal_task_id is not None,
            "on_behalf": grant.on_behalf, "id": grant.id}


def grant_json(grant: Grant | None, state: str) -> dict[str, Any]:
    """The consent in the API (``GET /api/v1/cases/<id>/consent``)."""
    if grant is None:
        return {"state": state, "message": _("Samtykke er ikke registrert ennå.")}
    return {"id": grant.id, "state": state, "given": grant.given, "categories": sorted(grant.categories),
            "directions": sorted(grant.directions), "other_recipients": list(grant.other_recipients),
            "given_on": grant.given_on.isoformat() if grant.given_on else None,
            "valid_until": grant.valid_until.isoformat() if grant.valid_until else None,
            "withdrawn_at": grant.withdrawn_at.isoformat() if grant.withdrawn_at else None,
            "renewal_due_at": grant.renewal_due_at.isoformat() if grant.renewal_due_at else None,
            "renewal_task_open": grant.renewal_task_id is not None}


def describe_event(kind: str, who: str, data: dict[str, Any], on_behalf: bool) -> str | None:
    """A consent change as a sentence in the case's timeline (both organisations read it there)."""
    if kind == "consent.withdrawn":
        if on_behalf or data.get("on_behalf_of_resident"):
            return _("%(who)s registrerte at beboeren trakk samtykket tilbake. Opplysninger deles ikke lenger "
                     "mellom bydelen og institusjonen.", who=who)
        return _("Beboeren trakk samtykket tilbake. Opplysninger deles ikke lenger mellom bydelen og institusjonen.")
    if kind == "consent.renewal_due":
        return _("Samtykket gjelder til og med %(date)s. Bydelen har fått oppgaven «Forny samtykke til "
                 "informasjonsdeling».", date=_when(data.get("valid_until")))
    return None
