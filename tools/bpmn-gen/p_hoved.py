"""``institusjon_til_bolig`` (main): henvisning → the stay → the transition phase after T1.

The stay ends at T1 (utflytting), by the message ``opphold_avsluttet`` (avbrutt, TSB, annen
institusjon, død, utskrevet uten bolig, midlertidig botilbud) or by the error «botid nådd» thrown
inside it; the two last lead to a sluttrapport.  After T1 the institution stays a party for four
weeks, or for the period of the overgangsavtale in the utflyttingsplan; its part then ends (a
milestone in the case's log), while sluttrapport and oppfølgingsmøte keep their own deadlines.
"""
from __future__ import annotations

from bpmnlayout import Diagram
from common import FORM, UI, deadline, form

I, B, U = "institusjon", "bydel", "beboer"

OVERGANG = ('overgangsperiode = "P4W"\n'
            'if overgangsavtale.get("behov") and overgangsavtale.get("varighet_uker"):\n'
            '    overgangsperiode = "P" + str(overgangsavtale["varighet_uker"]) + "W"')


def hoved() -> Diagram:
    d = Diagram(process_id="institusjon_til_bolig", process_name="Fra institusjon til bolig",
                collaboration_id="samarbeid_institusjon_til_bolig", participant_id="sak_institusjon_til_bolig",
                participant_name="Fra institusjon til bolig – beboer, bydel og institusjon",
                lane_rows={U: 0.8, B: 2, I: 5}, prefix="hv",
                messages=[("melding_opphold_avsluttet", "opphold_avsluttet")],
                errors=[("feil_botid_nadd", "Botiden er nådd", "botid_nadd", "avslutning", "avslutning")],
                doc=("Oslo kommunes rutine «Fra institusjon til bolig» (Fellesskriv 3/2021): én sak per beboers opphold "
                     "og overgang, knyttet til én bydel og én institusjon."))
    d.add("henvisning_mottatt", "startEvent", "Henvisning mottatt", B, 0, 0, props={FORM: "henvisning.schema.json",
          UI: "henvisning.uischema.json"},
          doc=("«Det er bydelen som henviser til opphold i Velferdsetatens institusjoner … Ved henvisning "
               "(elektronisk skjema) bes bydelene synliggjøre hvilke vurderinger som er gjort og hvilke eventuelle "
               "planer som foreligger når det gjelder egnet bolig etter endt institusjonsopphold.» (FK 2) "
               "Henvisningen fylles ut før saken starter; planlagt innflytting (T0) kommer herfra."))
    d.add("oppholdet", "callActivity", "Oppholdet på institusjonen (T0–T1)", I, 1, 0, called="opphold_pa_institusjon",
          doc=("Oppholdet fra registrering og innflytting til utflytting, se prosessen «Oppholdet på institusjonen». "
               "«Fellesskrivets formål er å gi personer med rusproblemer … tilstrekkelig oppfølging under "
               "institusjonsoppholdet og i overgangen fra institusjon til bolig …» (FK 1)"))
    d.add("opphold_avsluttet", "boundaryEvent", "Opphold avsluttet uten bolig", I, 1, 0, attached="oppholdet",
          at=0.3, event=("message", "melding_opphold_avsluttet", "avslutning"), label="left",
          doc=("Meldingen opphold_avsluttet med {\"arsak\": \"avbrutt\" | \"tsb\" | \"annen_institusjon\" | \"dod\" | "
               "\"utskrevet_uten_bolig\" | \"midlertidig_botilbud\", \"dato\": \"ÅÅÅÅ-MM-DD\"}: beboer avbryter, går "
               "over til behandling (TSB) eller annen institusjon, dør, eller skrives ut uten bolig eller til et "
               "midlertidig botilbud. Avbryter oppholdet når som helst."))
    d.add("botid_nadd", "boundaryEvent", "Utskrevet: botiden er nådd", I, 1, 0, attached="oppholdet", at=0.75,
          label="below",
          event=("error", "feil_botid_nadd"),
          doc="Institusjonen har avklart at beboer skrives ut fordi botiden er nådd (se «Fristvakt fra innflytting»).")
    d.add("opphold_endte", "exclusiveGateway", "Oppholdet er avsluttet", I, 2, 3)
    d.add("registrer_avslutning", "scriptTask", "Registrer avslutningen", I, 3, 3,
          script='utflytting = avslutning["dato"]\navslutningsarsak = avslutning["arsak"]',
          doc="T1 = datoen oppholdet ble avsluttet; sluttrapportfristen regnes fra den.")
    d.add("sluttrapport_uten_bolig", "userTask", "Skriv sluttrapport", I, 4, 3, props=form("sluttrapport"),
          doc=("«Institusjonen skal oversende sluttrapport for oppholdet til bydelen tre uker etter endt opphold.» "
               "(FK 3.3) Gjelder også når oppholdet ender uten bolig. Frist: T1 + 3 uker."))
    deadline(d, "sluttrapport_uten_bolig", "sluttrapport", 'frist(utflytting, "P3W")', "sluttrapport", I,
             "Sluttrapporten skal sendes bydelen tre uker etter endt opphold (FK 3.3).")
    d.add("saken_avsluttet_uten_bolig", "endEvent", "Saken avsluttet uten bolig", I, 5, 3, event=("terminate",),
          doc="Saken avsluttes; åpne lederoppgaver lukkes med saken.")
    d.add("etter_utflytting", "parallelGateway", "Etter utflytting", I, 2, 0)
    d.add("sluttrapport", "userTask", "Skriv sluttrapport", I, 3, 1, props=form("sluttrapport"),
          doc=("«Institusjonen skal oversende sluttrapport for oppholdet til bydelen tre uker etter endt opphold.» "
               "(FK 3.3) Frist: T1 + 3 uker."))
    deadline(d, "sluttrapport", "sluttrapport", 'frist(utflytting, "P3W")', "sluttrapport", I,
             "Sluttrapporten skal sendes bydelen tre uker etter endt opphold (FK 3.3).")
    d.add("oppfolgingsmote", "userTask", "Hold oppfølgingsmøte", B, 3, 0, props=form("oppfolgingsmote"),
          doc=("«Oppfølgingsmøte avholdes cirka fire uker etter innflytting i selvstendig bolig. Det er bydelen som "
               "kaller bruker og institusjonen inn til møtet og institusjonen plikter å delta. I møtet gjennomgås "
               "utflyttingsplanen …» (FK 3.3) Frist: T1 + 4 uker."))
    deadline(d, "oppfolgingsmote", "oppfolgingsmote", 'frist(utflytting, "P4W")', "oppfølgingsmøte", B,
             "Oppfølgingsmøtet skal holdes ca. fire uker etter innflytting i egen bolig (FK 3.3).")
    d.add("overgangsperiode", "scriptTask", "Overgangsperioden: fire uker eller avtalt", I, 4, 0, script=OVERGANG,
          doc=("«Institusjonen skal likevel være tilgjengelig for bruker i en overgangsperiode på fire uker etter "
               "utskrivingstidspunktet.» (FK 3) «Dersom annet ikke er avtalt i utflyttingsplanen …» (FK 3.3) Lengden "
               "står i utflyttingsplanens overgangsavtale (varighet i uker)."))
    d.add("overgang_over", "intermediateCatchEvent", "Overgangsperioden er over", I, 5.5, 0,
          event=("timer", "frist(utflytting, overgangsperiode)"),
          doc="T1 + fire uker, eller T1 + den avtalte overgangsperioden.")
    d.add("institusjonens_del_avsluttet", "intermediateThrowEvent", "Institusjonens del er avsluttet", I, 7, 0,
          props={"milepael": "institusjonens_del_avsluttet"},
          doc=("«Dersom annet ikke er avtalt i utflyttingsplanen, avsluttes institusjonens deltakelse etter fire uker "
               "fra utflytting, og bydelen ivaretar den videre kontakten med og oppfølging av bruker.» (FK 3.3)"))
    d.add("overgang_ferdig", "parallelGateway", "Overgangen ferdig", I, 8, 0)
    d.add("bydelen_folger_opp", "endEvent", "Saken avsluttet; bydelen følger opp videre", I, 9, 0)
    d.flow("hv_f1", "henvisning_mottatt", "oppholdet")
    d.flow("hv_f2", "oppholdet", "etter_utflytting")
    d.flow("hv_f3", "etter_utflytting", "sluttrapport")
    d.flow("hv_f4", "etter_utflytting", "oppfolgingsmote")
    d.flow("hv_f4b", "etter_utflytting", "overgangsperiode")
    d.flow("hv_f5", "sluttrapport", "overgang_ferdig")
    d.flow("hv_f6", "oppfolgingsmote", "overgang_ferdig")
    d.flow("hv_o1", "overgangsperiode", "overgang_over")
    d.flow("hv_o2", "overgang_over", "institusjonens_del_avsluttet")
    d.flow("hv_o3", "institusjonens_del_avsluttet", "overgang_ferdig")
    d.flow("hv_f7", "overgang_ferdig", "bydelen_folger_opp")
    d.flow("hv_a0", "opphold_avsluttet", "opphold_endte")
    d.flow("hv_a0b", "botid_nadd", "opphold_endte")
    d.flow("hv_a1", "opphold_endte", "registrer_avslutning")
    d.flow("hv_a2", "registrer_avslutning", "sluttrapport_uten_bolig")
    d.flow("hv_a3", "sluttrapport_uten_bolig", "saken_avsluttet_uten_bolig")
    d.annotate("beboer_i_oppholdet", "oppholdet", "Beboeren gir samtykke, svarer om livskvalitet og lager kriseplan "
               "(i «Oppholdet på institusjonen») og ser planen og møtene på Min side.", U, 0.7, -0.1, width=420)
    d.annotate("regel_oppfolgingsmote", "oppfolgingsmote", "«Oppfølgingsmøte avholdes cirka fire uker etter "
               "innflytting i selvstendig bolig.» (FK 3.3)", B, 4.3, 1, width=300)
    d.annotate("regel_sluttrapport", "sluttrapport", "«Institusjonen skal oversende sluttrapport for oppholdet til "
               "bydelen tre uker etter endt opphold.» (FK 3.3)", I, 4.3, 2, width=300)
    d.annotate("regel_overgang", "institusjonens_del_avsluttet", "«… avsluttes institusjonens deltakelse etter fire "
               "uker fra utflytting» – dersom annet ikke er avtalt i utflyttingsplanen (FK 3.3)", B, 6.3, 1, width=260)
    return d
