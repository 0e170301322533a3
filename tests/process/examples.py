"""A valid example payload for every form in ``forms/`` (also used to walk cases through the process)."""
from __future__ import annotations

from copy import deepcopy

KONTAKT = {"navn": "Kari Nordmann", "rolle": "primaerkontakt", "organisasjon": "Bygdøy mestringsenhet",
           "telefon": "+47 22 00 00 00", "epost": "kari@example.org"}
DELTAKERE = [{"navn": "Ola Beboer", "organisasjon": "beboer", "til_stede": True},
             {"navn": "Kari Nordmann", "organisasjon": "institusjon", "til_stede": True},
             {"navn": "Per Bydel", "organisasjon": "bydel", "til_stede": True}]
LEVEKAR = ["bosituasjon", "meningsfull_aktivitet", "okonomi", "fysisk_helse", "psykisk_helse", "rusbruk",
           "sosial_fungering", "nettverk"]
PUNKT = {"status": "utfort", "ansvarlig": "beboer"}


def henvisning(innflytting: str = "2026-01-05") -> dict:
    return {
        "beboer_navn": "Ola Beboer", "beboer_telefon": "912 34 567", "tolkebehov": False,
        "bydel": "Bydel Gamle Oslo", "institusjon": "Bygdøy mestringsenhet",
        "saksbehandler": {"navn": "Per Bydel", "telefon": "+4723000000", "epost": "per@example.org"},
        "henvisningsdato": "2025-12-15", "plasstype": "langtid_rehabilitering", "innflytting": innflytting,
        "bosituasjon": "uten_fast_bopel", "bydelens_vurderinger": "Har rett til opphold; trenger stabil bolig.",
        "planer_for_bolig": "Søke kommunal bolig med oppfølging.",
    }


EXAMPLES: dict[str, dict] = {
    "henvisning.schema.json": henvisning(),
    "innflytting.schema.json": {"innflytting": "2026-01-05", "kontakter": [KONTAKT], "parorende_involvert": "ikke_aktuelt"},
    "bydelskontakter.schema.json": {"bydelskontakter": [{**KONTAKT, "rolle": "ruskonsulent", "navn": "Per Bydel"}]},
    "samtykke.schema.json": {
        "samtykke_gitt": True, "samtykke_dato": "2026-01-06",
        "samtykke_opplysninger": ["personalia", "moter_og_rapporter"],
        "samtykke_deling": ["bydel_til_institusjon", "institusjon_til_bydel"],
        "samtykke_mottakere": [{"instans": "Boligkontoret i bydelen"}],
        "samtykke_gyldig_til": "2027-01-06", "informert_om_tilbaketrekking": True},
    "livskvalitet.schema.json": {"livskvalitet_dato": "2026-01-07", "livet_samlet": 4, "mansa": {"bolig": 2}},
    "livskvalitet-aarlig.schema.json": {"beboer": {"navn": "Ola Beboer", "sak_id": 1}, "maling_status": "gjennomfort",
                                        "livskvalitet_dato": "2027-02-01", "gjennomforing": "samtale",
                                        "livet_samlet": 5, "mansa": {"bolig": 6}},
    "livskvalitet-rapport.schema.json": {"bekreftet": True},
    "kartlegging.schema.json": {
        "kartlegging_dato": "2026-01-12", "behov_hjelp_bolig": "ja", "trolig_behov_booppfolging": "usikkert",
        "okonomiske_forhold": {"betalingshistorikk": "Husleierestanse 2024", "inntekt": "AAP", "gjeld": "Ca. 40 000 kr"},
        "har_individuell_plan": False, "ip_tilbudt": True, "ip_svar": "takket_ja",
        "levekarsomrader": {k: {"vurdering": "gul"} for k in LEVEKAR}},
    "plan-for-oppholdet.schema.json": {
        "plan_startet": "2026-01-15",
        "plan_mal": [{"mal": "Egen bolig", "levekarsomrade": "bosituasjon", "ansvarlig": "bydel"}],
        "sosial_tilhorighet": "Turgruppe og frivillig arbeid", "beboer_medvirket": True},
    "forste-samarbeidsmote.schema.json": {
        "motedato": "2026-01-29", "deltakere": DELTAKERE, "beboer_deltok": True, "bydelen_deltok": True,
        "bolig_status": "Kommunal bolig er målet.", "referat": "Plan drøftet.", "kartlegging_ferdigstilt": True,
        "utkast_plan_drofted": True, "ansvar_videre_boligavklaring": "Bydelen undersøker kommunal bolig."},
    "samarbeidsmote.schema.json": {
        "motedato": "2026-03-30", "deltakere": DELTAKERE, "beboer_deltok": True,
        "bolig_status": "Venter på statusrapport.", "referat": "Status gjennomgått.", "faste_moter_avsluttes": False},
    "statusrapport.schema.json": {
        "statusrapport_dato": "2026-04-20", "beboers_onsker": "Egen leilighet nær familien.",
        "institusjonens_vurdering": "Kommunal bolig med booppfølging.", "anbefalt_boligtype": "kommunal_bolig_med_oppfolging",
        "behov_for_booppfolging": "ja"},
    "vurder-statusrapport.schema.json": {"statusrapport_tilstrekkelig": True},
    "felles-kartlegging.schema.json": {
        "felles_kartlegging_dato": "2026-04-28", "arsaker": "Manglet vurdering av økonomi.",
        "avklart_boform": "kommunal_bolig", "avklart_oppfolgingsbehov": "Booppfølging to timer i uka."},
    "boligmote.schema.json": {
        "boligmote_dato": "2026-05-20", "boligmote_deltakere": DELTAKERE, "anbefaling_drofted": True,
        "avtalt_boligtype": "kommunal_bolig_med_oppfolging", "bistandsbehov": "Hjelp med søknad og depositum.",
        "soknadsansvar": [{"soknad": "kommunal_bolig", "ansvarlig": "bydel", "frist": "2026-06-30"}]},
    "soknader.schema.json": {"soknader": {
        "kommunal_bolig": {"status": "sendt", "dato": "2026-05-25", "sendt_av": "bydel"},
        "startlan": {"status": "ikke_aktuelt"}, "booppfolging": {"status": "sendt", "dato": "2026-05-25"},
        "frivillig_forvaltning": {"status": "ikke_aktuelt"}, "ruspoliklinikk": {"status": "ikke_aktuelt"},
        "fact": {"status": "ikke_aktuelt"}, "videre_institusjonsplass": {"status": "ikke_aktuelt"},
        "bostotte": {"status": "ikke_aktuelt"}}, "institusjonsrapport_vedlagt": True},
    "utflyttingsmote.schema.json": {
        "utflyttingsmote_dato": "2026-06-01", "utflyttingsmote_deltakere": DELTAKERE,
        "tilbudt_bolig": "Kommunal leilighet, Tøyen", "boligtype": "kommunal_bolig_med_oppfolging",
        "planlagt_utflytting": "2026-06-15", "booppfolger_kontakt": "etablert", "samarbeidsavtale": "inngatt",
        "beholder_institusjonsplass": "dagplass", "betaling_for_plass": "bydelsbetaling"},
    "utflyttingsplan.schema.json": {
        "kontaktpersoner": {"institusjon": KONTAKT, "bydel": {**KONTAKT, "rolle": "bydelskontakt"}},
        "for_innflytting": {k: dict(PUNKT) for k in ["mobler_innbo", "flytting", "strom", "melde_flytting",
                                                     "husordensregler", "tilganger"]},
        "gjoremal_i_boligen": "Renhold, avfall.",
        "okonomi_plan": {"plan_boutgifter": "Avtalegiro fra AAP", "konsekvenser_gjennomgatt": True,
                         "ordninger": ["autogiro_avtalegiro", "bostotte"]},
        "naboskap": "Hilse på naboene.", "aktiviteter_og_nettverk": "Arbeidstrening tre dager i uka.",
        "rusmestring": {"vurdering": "Behov for oppfølging fra ruspoliklinikk."},
        "overgangsavtale": {"behov": True, "omfang": "Kan ringe og komme innom.", "varighet_uker": 4}},
    "kriseplan.schema.json": {
        "kriseplan_dato": "2026-06-05",
        "varselsignaler": {"slik_jeg_ser_dem": "Sover dårlig", "slik_personalet_ser_dem": "Trekker meg unna"},
        "tiltak": {"hva_jeg_kan_gjore": "Ringe primærkontakt", "hva_personalet_kan_gjore": "Ta kontakt"},
        "ved_rusepisode": {"hvor_jeg_drar": "Til institusjonen"},
        "kontaktpersoner": [{"navn": "Mor", "rolle": "familie", "telefon": "90000000"}]},
    "utflytting.schema.json": {"utflytting": "2026-06-15", "flyttet_til": "kommunal_bolig_med_oppfolging"},
    "sluttrapport.schema.json": {
        "sluttrapport_dato": "2026-07-01", "avslutningstype": "planlagt_utflytting",
        "oppsummering": "Gjennomført opphold.", "sendt_til_bydelen": True},
    "oppfolgingsmote.schema.json": {
        "oppfolgingsmote_dato": "2026-07-10", "oppfolgingsmote_deltakere": DELTAKERE, "institusjonen_deltok": True,
        "utflyttingsplan_gjennomgatt": True, "videre_oppfolging": "Booppfølger to timer i uka."},
    "oppfolging-frist.schema.json": {"oppfolging_tiltak": "Snakket med teamet; gjøres denne uka."},
    "botid.schema.json": {"botid_beslutning": "forlenget", "botid_forlenget_til": "2027-03-01",
                          "botid_begrunnelse": "Venter på kommunal bolig; avtalt med bydelen."},
    "evaluering.schema.json": {
        "evaluering_dato": "2026-04-01", "evaluering_deltakere": ["beboer", "institusjon", "bydel"],
        "tiltak_vurdering": "Arbeidstrening virker; økonomi må følges tettere.",
        "plan_mal": [{"mal": "Egen bolig", "levekarsomrade": "bosituasjon", "ansvarlig": "bydel"},
                     {"mal": "Nedbetalingsplan for gjeld", "levekarsomrade": "okonomi", "ansvarlig": "beboer"}],
        "plan_endringer": "Nytt mål om økonomi."},
    "melding-bolig-tilbudt.schema.json": {"dato": "2026-05-28", "bolig": "Kommunal leilighet, Tøyen"},
    "melding-opphold-avsluttet.schema.json": {"arsak": "avbrutt", "dato": "2026-03-01"},
}


#: Days a form refuses after today (``x-ikkeEtterIDag``, #14: a report is dated when it is written,
#: T1 is the day the resident moved).  A test whose clock stands before the example's day gets today.
PAST_ONLY = {"statusrapport.schema.json": "statusrapport_dato", "utflytting.schema.json": "utflytting"}


def example(form: str, **changes) -> dict:
    from engine import clock
    data = deepcopy(EXAMPLES[form])
    key = PAST_ONLY.get(form)
    if key and key not in changes and str(data.get(key, "")) > clock.today_oslo().isoformat():
        data[key] = clock.today_oslo().isoformat()
    data.update(changes)
    return data
