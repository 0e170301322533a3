"""The console's words: the engine's states and error classes said in plain Norwegian (#14 item 7).

The engine, the API and the database speak ``running``, ``dead``, ``DeadlineError``; an administrator
reading the console should not have to.  Every state the console shows goes through one of these
functions (and ``_()``), so a raw engine word on a console page is a missing entry here, and the
technical text stays available — folded away — for the one who must report the bug.
"""
from __future__ import annotations

import re

from flask import Flask

from engine.web.i18n import _

#: A case's life-cycle status (``engine.store.status``).
CASE_STATUS = {"running": "Pågår", "error": "Stoppet på grunn av feil", "suspended": "Satt på vent",
               "completed": "Fullført", "terminated": "Avbrutt"}
#: A timer of the case: waiting, due but not yet fired, or impossible to compute.
TIMER_STATE = {"waiting": "Venter", "late": "Forfalt, ikke utløst", "broken": "Kan ikke beregnes"}
TIMER_KIND = {"deadline": "Frist", "cycle": "Gjentakende påminnelse", "other": "Tidtaker"}
#: An outbound webhook delivery (``engine.store.webhooks``): pending is «waiting» before the first
#: attempt and «retrying» after a failed one.
OUTBOX_STATE = {"pending": "Venter på levering", "retrying": "Prøver igjen", "delivered": "Levert",
                "dead": "Ga opp – ikke levert"}
#: An inbound event.
INBOUND_STATE = {"held": "Venter på at saken er klar", "unmatched": "Fant ingen sak", "failed": "Feilet",
                 "delivered": "Levert til saken"}

#: A mail in the mail outbox (``engine.store.notify``); ``retrying`` is pending after a failed attempt.
MAIL_STATE = {"pending": "Venter på sending", "retrying": "Prøver igjen", "sending": "Sendes nå",
              "sent": "Sendt", "dead": "Ga opp – ikke sendt", "uncertain": "Usikker – sjekk e-postloggen",
              "skipped": "Ikke sendt – mottakeren har ingen adresse"}

#: An outbound webhook's event type (``webhooks.outbound.PUBLIC_TYPES``).
EVENT_TYPE = {"case.opened": "Sak opprettet", "task.created": "Ny oppgave", "task.completed": "Oppgave fullført",
              "deadline.overdue": "Frist passert", "deadline.changed": "Frist endret", "case.closed": "Sak avsluttet",
              "case.error": "Sak stoppet på grunn av feil", "consent.withdrawn": "Samtykke trukket tilbake",
              "consent.renewal_due": "Samtykke må fornyes"}
#: A user's role (``engine.bpmn.lanes.ROLES``).
ROLE = {"saksbehandler": "Saksbehandler", "leder": "Leder", "prosesseier": "Prosesseier",
        "administrator": "Administrator", "beboer": "Beboer", "velferdsetaten": "Rådgiver i Velferdsetaten",
        "skriptbetrodd": "Kan rulle ut skript"}
#: An engine error class named in a stored error message → what it means for the administrator.
ERROR_CLASSES = {
    "DeadlineError": "En frist kunne ikke regnes ut – oftest fordi en dato saken trenger mangler eller er ugyldig.",
    "ZeroDivisionError": "En beregning i prosessen delte på null – oftest fordi et tall i skjemaet er 0.",
    "NameError": "En beregning eller et valg i prosessen bruker et felt saken ikke har fått verdi for.",
    "KeyError": "En beregning eller et valg i prosessen bruker et felt saken ikke har fått verdi for.",
    "TypeError": "En beregning i prosessen fikk en verdi av feil slag (for eksempel tekst der det trengs et tall).",
    "ValueError": "En beregning i prosessen fikk en verdi den ikke kan bruke.",
    "ScriptTimeout": "En beregning i prosessen tok for lang tid og ble stoppet.",
    "ScriptLimitExceeded": "En beregning i prosessen brukte mer enn den har lov til og ble stoppet.",
    "MessageInvalid": "En melding fra et annet system hadde innhold som ikke stemmer med det prosessen venter.",
    "WorkflowException": "Prosessen kunne ikke gå videre fra dette steget.",
}
GENERIC_ERROR = "Prosessen stoppet ved et automatisk steg (en beregning, et valg eller en frist) som feilet."


def case_status(status: str | None) -> str:
    return _(CASE_STATUS[status]) if status in CASE_STATUS else _("Ukjent status")


def outbox_state(state: str | None, attempts: int = 0) -> str:
    if state == "pending" and attempts:
        state = "retrying"
    return _(OUTBOX_STATE[state]) if state in OUTBOX_STATE else _("Ukjent tilstand")


def inbound_state(state: str | None) -> str:
    return _(INBOUND_STATE[state]) if state in INBOUND_STATE else _("Ukjent tilstand")


def mail_state(state: str | None, attempts: int = 0) -> str:
    if state == "pending" and attempts:
        state = "retrying"
    return _(MAIL_STATE[state]) if state in MAIL_STATE else _("Ukjent tilstand")


def event_type(kind: str | None) -> str:
    return _(EVENT_TYPE[kind]) if kind in EVENT_TYPE else (kind or "")


def role(name: str | None) -> str:
    return _(ROLE[name]) if name in ROLE else (name or "")


def timer_state(state: str | None) -> str:
    return _(TIMER_STATE[state]) if state in TIMER_STATE else _("Ukjent tilstand")


def timer_kind(kind: str | None) -> str:
    return _(TIMER_KIND.get(kind or "other", TIMER_KIND["other"]))


_CLASS = re.compile(r"\b([A-Z][A-Za-z]*(?:Error|Exception|Timeout|Exceeded|Invalid))\b")


def explain_error(message: str | None) -> str:
    """The plain-Norwegian meaning of an engine error message (its technical text is shown folded)."""
    for name in _CLASS.findall(message or ""):
        if name in ERROR_CLASSES:
            return _(ERROR_CLASSES[name])
    return _(GENERIC_ERROR)


def explain_broken_timer(reason: str | None) -> str:
    """A timer whose due time could not be computed: nearly always a missing or invalid date."""
    if {"NameError", "KeyError"} & set(_CLASS.findall(reason or "")):
        return _("En frist kunne ikke regnes ut fordi den bygger på et felt (oftest en dato) saken ikke har fått "
                 "verdi for.")
    return _(ERROR_CLASSES["DeadlineError"])


def element_label(element_id: str | None, names: dict[str, str]) -> str:
    """An element's name from the diagram; the id only when the diagram gives it no name."""
    if not element_id:
        return ""
    return names.get(element_id) or element_id


def init_app(app: Flask) -> None:
    app.jinja_env.filters["saksstatus"] = case_status
    app.jinja_env.filters["utboks_tilstand"] = outbox_state
    app.jinja_env.filters["innboks_tilstand"] = inbound_state
    app.jinja_env.filters["epost_tilstand"] = mail_state
    app.jinja_env.filters["tidtaker_tilstand"] = timer_state
    app.jinja_env.filters["hendelsestype"] = event_type
    app.jinja_env.filters["rolle"] = role
    app.jinja_env.filters["tidtaker_slag"] = timer_kind
    app.jinja_env.globals["forklar_feil"] = explain_error
    app.jinja_env.globals["forklar_tidtaker"] = explain_broken_timer
