"""What each piece of case information *is*, for consent: its category, and whether the resident reads it.

Pure reference data (no Flask, no database), kept apart from the rule in ``engine.access.consent``
so the two can be read on their own.  The categories are the ones the samtykke form offers
(``forms/samtykke.schema.json`` lists the same keys — a test keeps them equal).  They are derived
from the sources: the Oslostandard (tiltak 1 and 7: kartlegging of funksjonsnivå, økonomi,
bosituasjon, helse and rus; the eight BrukerPlan levekårsområder) and Fellesskriv 3/2021 (plan for
oppholdet, samarbeidsmøter, statusrapport, søknader, utflyttingsplan, sluttrapport).

Two classes sit outside consent:

* ``saksgang`` — what the routine itself needs both parties to know: dates, who takes part, staff
  contacts, which step is open and when it is due, and the consent itself.  Always shared between
  the case's bydel and institution.
* ``intern`` — an organisation's own management of its work (a leader's follow-up of a missed
  deadline).  Never shared, whatever the consent says.

A form not listed here gets ``DEFAULT``: shared only with consent, and not shown to the resident —
the safe side.  A test lists every form in ``forms/`` that has no entry, so a new form is classified
on purpose.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

SAKSGANG, INTERN = "saksgang", "intern"

#: Consent categories: key → the words after «deling av …» (bokmål).  The order is the form's order.
CATEGORIES: Mapping[str, str] = MappingProxyType({
    "personalia": "personalia og kontaktopplysninger",
    "kartlegging_og_helse": "kartlegging, helse og levekår",
    "rus": "rusbruk og rusbehandling",
    "okonomi": "økonomi, gjeld og ytelser",
    "bolig": "bolig, boligplaner og søknader",
    "plan": "planer (plan for oppholdet, utflyttingsplan, kriseplan)",
    "moter_og_rapporter": "møtereferater og rapporter",
})

#: Directions of sharing between the two organisations of a case (the form's «Deling mellom partene»).
TO_INSTITUTION, TO_BYDEL = "bydel_til_institusjon", "institusjon_til_bydel"
DIRECTIONS = (TO_INSTITUTION, TO_BYDEL)

CONSENT_FORM = "samtykke.schema.json"
CONSENT_UI_FORM = "samtykke.uischema.json"


@dataclass(frozen=True)
class FormPolicy:
    """How one form's answers are shared: a category for the whole form, with per-field exceptions."""

    category: str
    resident: bool = False          # part of the resident's own plan and meetings (PROCESS.md)
    fields: Mapping[str, str] = field(default_factory=dict)

    def category_of(self, key: str | None) -> str:
        if key is None:
            return self.category
        return self.fields.get(key.split("/", 1)[0], self.category)


_MEETING = {"motedato": SAKSGANG, "deltakere": SAKSGANG, "beboer_deltok": SAKSGANG, "neste_mote": SAKSGANG,
            "bolig_status": "bolig"}
_FIRST_MEETING = {**_MEETING, "bydelen_deltok": SAKSGANG, "kartlegging_ferdigstilt": SAKSGANG,
                  "utkast_plan_drofted": SAKSGANG, "ansvar_videre_boligavklaring": "bolig"}

FORMS: Mapping[str, FormPolicy] = MappingProxyType({
    # -- the bydel ---------------------------------------------------------------------------
    "henvisning.schema.json": FormPolicy("kartlegging_og_helse", fields={
        "beboer_navn": SAKSGANG, "bydel": SAKSGANG, "institusjon": SAKSGANG, "saksbehandler": SAKSGANG,
        "henvisningsdato": SAKSGANG, "plasstype": SAKSGANG, "innflytting": SAKSGANG,
        "beboer_fodselsdato": "personalia", "beboer_telefon": "personalia", "tolkebehov": "personalia",
        "bosituasjon": "bolig", "beholder_bolig": "bolig", "planer_for_bolig": "bolig",
        "mal_for_oppholdet": "plan"}),
    "bydelskontakter.schema.json": FormPolicy(SAKSGANG, resident=True),
    "vurder-statusrapport.schema.json": FormPolicy("kartlegging_og_helse", fields={
        "statusrapport_tilstrekkelig": SAKSGANG}),
    "felles-kartlegging.schema.json": FormPolicy("kartlegging_og_helse", fields={
        "felles_kartlegging_dato": SAKSGANG, "avklart_boform": "bolig"}),
    "soknader.schema.json": FormPolicy("bolig", fields={"institusjonsrapport_vedlagt": SAKSGANG}),
    "utflyttingsmote.schema.json": FormPolicy("bolig", resident=True, fields={
        "utflyttingsmote_dato": SAKSGANG, "utflyttingsmote_deltakere": SAKSGANG, "planlagt_utflytting": SAKSGANG,
        "betaling_for_plass": "okonomi", "referat": "moter_og_rapporter"}),
    "utflyttingsplan.schema.json": FormPolicy("plan", resident=True, fields={
        "kontaktpersoner": SAKSGANG, "okonomi_plan": "okonomi", "rusmestring": "rus"}),
    "oppfolgingsmote.schema.json": FormPolicy("moter_og_rapporter", resident=True, fields={
        "oppfolgingsmote_dato": SAKSGANG, "oppfolgingsmote_deltakere": SAKSGANG, "institusjonen_deltok": SAKSGANG,
        "utflyttingsplan_gjennomgatt": SAKSGANG, "husleie_betalt": "okonomi"}),
    # -- the institution ---------------------------------------------------------------------
    "innflytting.schema.json": FormPolicy("personalia", resident=True, fields={
        "innflytting": SAKSGANG, "kontakter": SAKSGANG}),
    "kartlegging.schema.json": FormPolicy("kartlegging_og_helse", fields={
        "kartlegging_dato": SAKSGANG, "okonomiske_forhold": "okonomi", "behov_hjelp_bolig": "bolig",
        "trolig_behov_booppfolging": "bolig"}),
    "plan-for-oppholdet.schema.json": FormPolicy("plan", resident=True, fields={"plan_startet": SAKSGANG}),
    "forste-samarbeidsmote.schema.json": FormPolicy("moter_og_rapporter", resident=True, fields=_FIRST_MEETING),
    "samarbeidsmote.schema.json": FormPolicy("moter_og_rapporter", resident=True, fields={
        **_MEETING, "faste_moter_avsluttes": SAKSGANG}),
    "statusrapport.schema.json": FormPolicy("moter_og_rapporter", fields={
        "statusrapport_dato": SAKSGANG, "anbefalt_boligtype": "bolig", "behov_for_booppfolging": "bolig",
        "booppfolging_omfang": "bolig", "anbefalte_soknader": "bolig"}),
    "boligmote.schema.json": FormPolicy("bolig", resident=True, fields={
        "boligmote_dato": SAKSGANG, "boligmote_deltakere": SAKSGANG, "anbefaling_drofted": SAKSGANG}),
    "utflytting.schema.json": FormPolicy(SAKSGANG, resident=True, fields={
        "flyttet_til": "bolig", "overgangsperiode": "plan"}),
    "evaluering.schema.json": FormPolicy("plan", resident=True, fields={
        "evaluering_dato": SAKSGANG, "evaluering_deltakere": SAKSGANG, "endrede_behov": "kartlegging_og_helse"}),
    "botid.schema.json": FormPolicy("plan", resident=True, fields={
        "botid_beslutning": SAKSGANG, "botid_forlenget_til": SAKSGANG, "utskrives_dato": SAKSGANG,
        "utskrives_til": "bolig"}),
    "sluttrapport.schema.json": FormPolicy("moter_og_rapporter", fields={
        "sluttrapport_dato": SAKSGANG, "avslutningstype": SAKSGANG, "sendt_til_bydelen": SAKSGANG}),
    # -- the resident's own (lane beboer: given by the resident to both services) ---------------
    CONSENT_FORM: FormPolicy(SAKSGANG, resident=True),
    "livskvalitet.schema.json": FormPolicy("kartlegging_og_helse", resident=True, fields={
        "livskvalitet_dato": SAKSGANG}),
    "kriseplan.schema.json": FormPolicy("plan", resident=True, fields={"ved_rusepisode": "rus"}),
    # -- a leader's follow-up of a missed deadline ---------------------------------------------
    "oppfolging-frist.schema.json": FormPolicy(INTERN),
    # -- the yearly livskvalitet survey (#16): the bydel's own count; its instance has no other party,
    # and what leaves the bydel is the anonymised report (engine.survey), never these answers ---------
    "livskvalitet-aarlig.schema.json": FormPolicy(INTERN),
    "livskvalitet-rapport.schema.json": FormPolicy(INTERN),
    # -- messages from outside (payload forms) -------------------------------------------------
    "melding-bolig-tilbudt.schema.json": FormPolicy("bolig", fields={"dato": SAKSGANG}),
    "melding-opphold-avsluttet.schema.json": FormPolicy(SAKSGANG),
})

DEFAULT = FormPolicy("moter_og_rapporter")

#: Process variables no form writes but a message does: variable → (lane that brings it, policy).
VARIABLES: Mapping[str, tuple[str, FormPolicy]] = MappingProxyType({
    "bolig_tilbud": ("bydel", FormPolicy("bolig")),
})


def policy(form: str | None) -> FormPolicy:
    """The sharing policy of a form file (``DEFAULT`` for a form nobody classified)."""
    if form is None:
        return DEFAULT
    return FORMS.get(form, DEFAULT)


def category_label(category: str) -> str:
    return CATEGORIES.get(category, category)
