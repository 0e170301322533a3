"""Generate processes/*.bpmn for «Fra institusjon til bolig» (semantics + diagram interchange).

    .venv/bin/python tools/bpmn-gen/generate.py          # writes processes/*.bpmn

Three processes, each with its own pool and the three lanes beboer / bydel / institusjon:

* ``institusjon_til_bolig`` (main): henvisning → the stay (call activity) → sluttrapport and
  oppfølgingsmøte after moving out; the message ``opphold_avsluttet`` interrupts the stay at any
  point and leads to a sluttrapport.
* ``opphold_pa_institusjon``: everything from innflytting (T0) to utflytting (T1), including the
  message ``bolig_tilbudt`` after the søknader.
* ``samarbeidsmoter``: the recurring samarbeidsmøte about every two months; the convenor lane is
  chosen from the ``bolig_tilbudt`` flag.

Every deadline is a non-interrupting timer boundary event with a ``frist`` property; its outgoing
flow gives the leader of the responsible organisation a follow-up task.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bpmnlayout import Diagram  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "processes"

FORM = "formJsonSchemaFilename"
UI = "formUiSchemaFilename"


def form(name: str, ui: bool = True, **extra) -> dict:
    props = {FORM: f"{name}.schema.json"}
    if ui:
        props[UI] = f"{name}.uischema.json"
    props.update(extra)
    return props


ANSVAR = ("«Bydelene og Velferdsetaten v/institusjonene har et likeverdig ansvar for at fellesskrivet "
          "følges under oppholdet, samt ved og etter utflytting.» (FK 4)")


def deadline(d: Diagram, host: str, key: str, expr: str, label: str, lane: str, rule: str, at: float = 0.25):
    """Non-interrupting timer on ``host`` → leader's follow-up task (below the host) → end."""
    h = d.nodes[host]
    b = d.add(f"frist_{host}", "boundaryEvent",
              f"Frist: {label}", h.lane, h.col, h.row, attached=host, cancel=False, at=at,
              event=("timer", expr), props={"frist": key},
              doc=f"Fristen for «{h.name}» er passert. {rule}")
    suffix = host
    task = d.add(f"leder_{suffix}", "userTask", f"Følg opp frist: {label}", lane, h.col, h.row + 1,
                 props=form("oppfolging-frist", rolle="leder"),
                 doc=(f"Lederoppgave: fristen for «{h.name}» er passert, og oppgaven er fortsatt åpen. "
                      f"{rule} Avklar hva som skal til for at oppgaven blir gjort, og om det er avtalt en "
                      f"annen tidsramme («Når institusjonen eller bydelen ser at det er behov for tilpasninger, "
                      f"kan det avtales andre tidsrammer» – FK 1). {ANSVAR}"))
    end = d.add(f"fulgt_opp_{suffix}", "endEvent", "Frist fulgt opp", lane, h.col + 0.7, h.row + 1)
    d.flow(f"flyt_{b.id}", b.id, task.id)
    d.flow(f"flyt_{task.id}", task.id, end.id)
    return b


# =====================================================================================================
# samarbeidsmoter
# =====================================================================================================
def samarbeidsmoter() -> Diagram:
    d = Diagram(process_id="samarbeidsmoter", process_name="Samarbeidsmøter ca. hver annen måned",
                collaboration_id="samarbeid_samarbeidsmoter", participant_id="sak_samarbeidsmoter",
                participant_name="Samarbeidsmøter – beboer, bydel og institusjon",
                lane_rows={"beboer": 0.5, "bydel": 1, "institusjon": 2}, prefix="sm",
                doc=("Faste samarbeidsmøter med bolig som fast tema, omtrent hver annen måned regnet fra forrige "
                     "møte. Institusjonen kaller inn så lenge beboer bor der; fra bolig er tildelt eller tilbudt "
                     "kaller bydelen inn (flagget bolig_tilbudt). Kalles fra «Oppholdet på institusjonen» og "
                     "avbrytes derfra når beboer flytter ut eller møteansvaret går over til bydelen."))
    d.add("moterekke_start", "startEvent", "Faste møter starter", "institusjon", 0, 0,
          doc="Starter etter oppstartsfasen; forrige møte er det første samarbeidsmøtet (siste_samarbeidsmote).")
    d.add("neste_mote", "exclusiveGateway", "Neste møte", "institusjon", 1, 0)
    d.add("to_maneder_siden_mote", "intermediateCatchEvent", "Ca. to måneder siden forrige møte",
          "institusjon", 2, 0, event=("timer", 'frist(siste_samarbeidsmote, "P2M")'),
          doc=("«… det anbefales som et minimum en møtefrekvens på ca. hver annen måned. Bolig skal være fast "
               "tema på alle samarbeidsmøter.» (FK 2) Venter til to kalendermåneder etter datoen for forrige "
               "møte (siste_samarbeidsmote), ut dagen i Oslo."))
    d.add("hvem_kaller_inn", "exclusiveGateway", "Hvem kaller inn?", "institusjon", 3, 0, default=None,
          doc="Bydelen kaller inn når bolig er tildelt eller tilbudt (bolig_tilbudt), ellers institusjonen.")
    rule_inst = ("«Institusjonen er ansvarlig for å kalle inn til møter så lenge beboer bor på institusjonen.» (FK 2) "
                 "«Bolig skal være fast tema på alle samarbeidsmøter.» (FK 2)")
    rule_bydel = ("«Fra det tidspunkt bruker får tildelt eller tilbud om bolig, overføres ansvaret for å gjennomføre "
                  "møter til bydel, uavhengig av om bruker fortsatt disponerer institusjonsplassen.» (FK 2) "
                  "«Bolig skal være fast tema på alle samarbeidsmøter.» (FK 2)")
    d.add("samarbeidsmote_institusjon", "userTask", "Hold samarbeidsmøte (institusjonen kaller inn)",
          "institusjon", 4, 0, props=form("samarbeidsmote"), post="siste_samarbeidsmote = motedato", doc=rule_inst)
    d.add("samarbeidsmote_bydel", "userTask", "Hold samarbeidsmøte (bydelen kaller inn)",
          "bydel", 4, 0, props=form("samarbeidsmote"), post="siste_samarbeidsmote = motedato", doc=rule_bydel)
    d.add("mote_holdt", "exclusiveGateway", "Møte holdt", "institusjon", 5, 0)
    d.add("flere_moter", "exclusiveGateway", "Fortsette med faste møter?", "institusjon", 6, 0,
          doc=("Partene kan avtale andre tidsrammer (FK 1): møterekken slutter bare når møtet har avtalt det "
               "(faste_moter_avsluttes). Ellers slutter den når oppholdet avsluttes."))
    d.add("faste_moter_avsluttet", "endEvent", "Faste møter avsluttet etter avtale", "institusjon", 7, 0)

    d.flow("sm_f1", "moterekke_start", "neste_mote")
    d.flow("sm_f2", "neste_mote", "to_maneder_siden_mote")
    d.flow("sm_f3", "to_maneder_siden_mote", "hvem_kaller_inn")
    d.flow("sm_bydel", "hvem_kaller_inn", "samarbeidsmote_bydel", name="Bolig tildelt/tilbudt: bydelen",
           cond="bolig_tilbudt")
    d.flow("sm_inst", "hvem_kaller_inn", "samarbeidsmote_institusjon", name="Ellers: institusjonen", default=True)
    d.flow("sm_f4", "samarbeidsmote_institusjon", "mote_holdt")
    d.flow("sm_f5", "samarbeidsmote_bydel", "mote_holdt")
    d.flow("sm_f6", "mote_holdt", "flere_moter")
    d.flow("sm_slutt", "flere_moter", "faste_moter_avsluttet", name="Avtalt å avslutte",
           cond="faste_moter_avsluttes")
    d.layout()
    g, m = d.nodes["flere_moter"], d.nodes["neste_mote"]
    low = d.row_cy("institusjon", 1)
    d.flow("sm_igjen", "flere_moter", "neste_mote", name="Ja, neste møte", default=True,
           via=[(g.cx, g.y + g.h), (g.cx, low), (m.cx, low), (m.cx, m.y + m.h)])
    return d


# =====================================================================================================
# opphold_pa_institusjon
# =====================================================================================================
def opphold() -> Diagram:
    d = Diagram(process_id="opphold_pa_institusjon", process_name="Oppholdet på institusjonen (T0–T1)",
                collaboration_id="samarbeid_opphold", participant_id="sak_opphold",
                participant_name="Oppholdet på institusjonen – beboer, bydel og institusjon",
                lane_rows={"beboer": 1, "bydel": 2, "institusjon": 6}, prefix="op",
                messages=[("melding_bolig_tilbudt", "bolig_tilbudt")],
                signals=[("signal_moteansvar_til_bydel", "moteansvar_til_bydel", "bolig_tilbudt_dato",
                          "moteansvar_fra")],
                doc=("Fra innflytting (T0 = innflytting) til utflytting (T1 = utflytting): oppstart, kartlegging, "
                     "plan, samarbeidsmøter, statusrapport, boligmøte, søknader, bolig tilbudt, utflyttingsmøte, "
                     "utflyttingsplan og kriseplan. Fristene regnes fra sakens egne datoer med frist()."))
    I, B, U = "institusjon", "bydel", "beboer"
    # -- oppstart ---------------------------------------------------------------------------------
    d.add("innflyttet", "startEvent", "Beboer flytter inn (T0)", I, 0, 0,
          doc="T0 = innflytting (fra henvisningen). Alle frister under oppholdet regnes fra denne datoen.")
    d.add("oppstart", "parallelGateway", "Oppstart", I, 1, 0)
    d.add("samtykke", "userTask", "Gi samtykke til informasjonsdeling", U, 2, 0, props=form("samtykke"),
          doc=("«Samtykket må spesifikt angi hvilke opplysninger som kan deles, hvem de kan deles med og for hvor "
               "lenge samtykket gjelder, for å møte kravene til et informert samtykke.» (Oslostandard, tiltak 1) "
               "Beboer fyller ut selv, eller en saksbehandler registrerer på beboers vegne."))
    d.add("livskvalitet", "userTask", "Svar på spørsmål om livskvalitet", U, 3, 0, props=form("livskvalitet"),
          doc=("«Hvor fornøyd er du med livet ditt, samlet sett?» (MANSA, skala 1–7) «Målingen gjennomføres av "
               "bydelene hvert år i perioden januar – mai …» (Oslostandard, tiltak 9) Her: utgangspunkt ved innflytting."))
    d.add("bydelskontakter", "userTask", "Registrer bydelskontakter", B, 2, 0, props=form("bydelskontakter"),
          doc=("«Bydelen har ansvar for å holde beboer og institusjon oppdatert på hvem som til enhver tid er "
               "brukers bydelskontakter.» (FK 2)"))
    d.add("innflytting_registrert", "userTask", "Registrer innflytting og primærkontakter", I, 2, 0,
          props=form("innflytting"),
          doc=("«Ved innflytting i institusjon tildeles bruker primærkontakter, og de skal så langt som mulig følge "
               "bruker frem til innflytting i egen bolig.» «Institusjonen skal i samarbeid med beboer og bydel sørge "
               "for at pårørende blir involvert dersom det er aktuelt.» (FK 2)"))
    d.add("kartlegging", "userTask", "Kartlegg beboers situasjon", I, 2, 1, props=form("kartlegging"),
          doc=("«Institusjonen skal før første samarbeidsmøte, og i samarbeid med beboer og bydel, kartlegge "
               "følgende forhold knyttet til bolig …» «Hvis beboer ikke har IP, skal det gis tilbud om å utarbeide "
               "slik plan i samarbeid med bydel.» (FK 2.2) Levekårsområdene følger BrukerPlan (Oslostandarden)."))
    d.add("plan_for_oppholdet", "userTask", "Start plan for oppholdet", I, 2, 2, props=form("plan-for-oppholdet"),
          doc=("«Det er institusjonen som har ansvar for at slik plan blir utarbeidet, og arbeidet med planen skal "
               "starte innen 14 dager etter innflytting.» (FK 2.2) Frist: T0 + 14 dager."))
    d.add("forste_samarbeidsmote", "userTask", "Hold første samarbeidsmøte", I, 2, 4,
          props=form("forste-samarbeidsmote"), post="siste_samarbeidsmote = motedato",
          doc=("«Det første samarbeidsmøtet skal finne sted senest innen fire uker etter innflytting, og bolig skal "
               "være tema på møtet. Institusjonen innkaller beboer og bydel til møtet, og bydelen plikter å delta.» "
               "«Til møtet skal institusjonens kartlegging av beboers situasjon være ferdigstilt … og det skal "
               "foreligge utkast til plan for oppholdet.» (FK 2.1) Frist: T0 + 4 uker."))
    deadline(d, "plan_for_oppholdet", "plan_for_oppholdet", 'frist(innflytting, "P14D")', "plan for oppholdet",
             I, "Arbeidet med planen skal starte innen 14 dager etter innflytting (FK 2.2).")
    deadline(d, "forste_samarbeidsmote", "forste_samarbeidsmote", 'frist(innflytting, "P4W")',
             "første samarbeidsmøte", I, "Første samarbeidsmøte skal holdes senest fire uker etter innflytting (FK 2.1).")
    d.add("oppstart_ferdig", "parallelGateway", "Oppstart ferdig", I, 4, 0)
    d.add("videre_arbeid", "parallelGateway", "Videre arbeid", I, 5, 0)
    for i, t in enumerate(["samtykke", "bydelskontakter", "innflytting_registrert", "kartlegging",
                           "plan_for_oppholdet", "forste_samarbeidsmote"]):
        d.flow(f"op_s{i}", "oppstart", t)
    d.flow("op_start", "innflyttet", "oppstart")
    d.flow("op_b1", "samtykke", "livskvalitet")
    for i, t in enumerate(["livskvalitet", "bydelskontakter", "innflytting_registrert", "kartlegging",
                           "plan_for_oppholdet", "forste_samarbeidsmote"]):
        d.flow(f"op_j{i}", t, "oppstart_ferdig")
    d.flow("op_v", "oppstart_ferdig", "videre_arbeid")

    # -- faste samarbeidsmøter (kallaktivitet) -----------------------------------------------------
    d.add("moteansvar_institusjon", "scriptTask", "Institusjonen kaller inn til møtene", I, 6, 2,
          script="bolig_tilbudt = False",
          doc="«Institusjonen er ansvarlig for å kalle inn til møter så lenge beboer bor på institusjonen.» (FK 2)")
    d.add("start_moterekke", "exclusiveGateway", "Start møterekken", I, 7, 2)
    d.add("faste_samarbeidsmoter", "callActivity", "Faste samarbeidsmøter ca. hver 2. måned", I, 8, 2,
          called="samarbeidsmoter",
          doc=("«… det anbefales som et minimum en møtefrekvens på ca. hver annen måned. Bolig skal være fast tema "
               "på alle samarbeidsmøter.» (FK 2) Se prosessen «Samarbeidsmøter ca. hver annen måned»."))
    d.add("moteansvaret_flyttes", "boundaryEvent", "Møteansvaret går til bydelen", I, 8, 2,
          attached="faste_samarbeidsmoter", at=0.5, event=("signal", "signal_moteansvar_til_bydel"),
          doc=("Avbryter møterekken når bolig er tilbudt; et møte institusjonen ennå ikke har holdt, overtas av "
               "bydelen (utflyttingsmøtet holdes straks)."))
    d.add("moteansvar_bydel", "scriptTask", "Bydelen kaller inn til møtene", I, 8, 3,
          script="bolig_tilbudt = True\nsiste_samarbeidsmote = moteansvar_fra",
          doc=("«Fra det tidspunkt bruker får tildelt eller tilbud om bolig, overføres ansvaret for å gjennomføre "
               "møter til bydel …» (FK 2) Neste faste møte regnes fra datoen bolig ble tilbudt."))
    d.add("moterekke_slutt", "endEvent", "Faste møter avsluttet", I, 9, 2)
    d.flow("op_m0", "videre_arbeid", "moteansvar_institusjon")
    d.flow("op_m1", "moteansvar_institusjon", "start_moterekke")
    d.flow("op_m2", "start_moterekke", "faste_samarbeidsmoter")
    d.flow("op_m3", "faste_samarbeidsmoter", "moterekke_slutt")
    d.flow("op_m4", "moteansvaret_flyttes", "moteansvar_bydel")

    # -- statusrapport, boligmøte, søknader --------------------------------------------------------
    d.add("statusrapport", "userTask", "Skriv statusrapport med anbefaling", I, 6, 0, props=form("statusrapport"),
          doc=("«Senest 4 måneder etter innflytting, og i god tid før samarbeidsmøtet som har status som boligmøte, "
               "skal institusjonen i samarbeid med beboer ha utarbeidet en anbefaling (statusrapport) … Det skal gå "
               "klart frem hva som er beboers egne ønsker, samtidig som institusjonens faglige vurderinger skal være "
               "tydelige.» (FK 2.2) Frist: T0 + 4 måneder."))
    deadline(d, "statusrapport", "statusrapport", 'frist(innflytting, "P4M")', "statusrapport", I,
             "Statusrapporten skal foreligge senest fire måneder etter innflytting (FK 2.2).")
    d.add("vurder_statusrapport", "userTask", "Vurder statusrapporten", B, 7, 0, props=form("vurder-statusrapport"),
          doc=("«Dersom bydelen ser at rapporten ikke gir tilstrekkelig informasjon for å avgjøre boform og "
               "oppfølgingsbehov, må institusjon og bydel i samarbeid med beboer snarest kartlegge årsakene til "
               "dette.» (FK 2.2)"))
    d.add("nok_grunnlag", "exclusiveGateway", "Nok grunnlag for boform og oppfølging?", B, 8, 0)
    d.add("felles_kartlegging", "userTask", "Kartlegg årsakene sammen", B, 9, 1, props=form("felles-kartlegging"),
          doc=("«… må institusjon og bydel i samarbeid med beboer snarest kartlegge årsakene til dette.» (FK 2.2) "
               "Bydelen tar initiativet; institusjonen og beboer deltar."))
    d.add("klar_for_boligmote", "exclusiveGateway", "Klar for boligmøte", B, 10, 0)
    d.add("boligmote", "userTask", "Hold boligmøte", I, 11, 0, props=form("boligmote"),
          doc=("«Innen 5 måneder etter innflytting skal det avholdes et samarbeidsmøte som har status som boligmøte. "
               "… I møtet skal det defineres hva slags bistand brukeren trenger for å kunne få egnet botilbud, og det "
               "skal avtales hvem som skal gi denne bistanden.» (FK 2.1) Institusjonen kaller inn. "
               "Frist: T0 + 5 måneder."))
    deadline(d, "boligmote", "boligmote", 'frist(innflytting, "P5M")', "boligmøte", I,
             "Boligmøtet skal holdes innen fem måneder etter innflytting (FK 2.1).")
    d.add("soknader", "userTask", "Send søknader og henvisninger", B, 12, 0, props=form("soknader"),
          doc=("«Nødvendige søknader og/eller henvisninger knyttet til botilbud etter endt institusjonsopphold skal "
               "utarbeides etter senest 6 måneder … Ansvar for at søknader blir utarbeidet og sendt avtales i "
               "boligmøtet. Institusjonen skal bidra …» (FK 2.2) Frist: T0 + 6 måneder."))
    deadline(d, "soknader", "soknader", 'frist(innflytting, "P6M")', "søknader", B,
             "Søknader og henvisninger skal være utarbeidet senest seks måneder etter innflytting (FK 2.2).")
    d.flow("op_r0", "videre_arbeid", "statusrapport")
    d.flow("op_r1", "statusrapport", "vurder_statusrapport")
    d.flow("op_r2", "vurder_statusrapport", "nok_grunnlag")
    d.flow("op_r3", "nok_grunnlag", "felles_kartlegging", name="Nei", cond="statusrapport_tilstrekkelig == False")
    d.flow("op_r4", "nok_grunnlag", "klar_for_boligmote", name="Ja", default=True)
    d.flow("op_r5", "felles_kartlegging", "klar_for_boligmote")
    d.flow("op_r6", "klar_for_boligmote", "boligmote", exit="right")
    d.flow("op_r7", "boligmote", "soknader")

    # -- bolig tilbudt → utflytting ------------------------------------------------------------------
    d.add("bolig_tilbudt", "intermediateCatchEvent", "Bolig tilbudt eller funnet", B, 13, 0,
          event=("message", "melding_bolig_tilbudt", "bolig_tilbud"),
          doc=("Meldingen bolig_tilbudt med {\"dato\": \"ÅÅÅÅ-MM-DD\", …} kommer utenfra (f.eks. boligkontoret) "
               "når beboer har fått tilbud om eller har funnet konkret bolig (FK 3.1)."))
    d.add("registrer_boligtilbud", "scriptTask", "Registrer boligtilbudet", B, 14, 0,
          script='bolig_tilbudt = True\nbolig_tilbudt_dato = bolig_tilbud["dato"]',
          doc="Ankerdatoen for utflyttingsmøtet: bolig_tilbudt_dato.")
    d.add("moteansvar_til_bydel", "intermediateThrowEvent", "Møteansvaret går til bydelen", B, 15, 0,
          event=("signal", "signal_moteansvar_til_bydel"),
          doc=("«Fra det tidspunkt bruker får tildelt eller tilbud om bolig, overføres ansvaret for å gjennomføre "
               "møter til bydel …» (FK 2)"))
    d.add("utflyttingsmote", "userTask", "Hold utflyttingsmøte", B, 16, 0, props=form("utflyttingsmote"),
          doc=("«Dette møtet skal senest avholdes umiddelbart etter at beboer har fått tilbud om eller har funnet "
               "konkret bolig. Det er bydelen som kaller inn bruker og institusjonen til dette møtet, og institusjonen "
               "plikter å delta.» (FK 3.1) «Straks» er her fem dager, rullet til neste virkedag."))
    deadline(d, "utflyttingsmote", "utflyttingsmote", 'frist(bolig_tilbudt_dato, "P5D", virkedag=True)',
             "utflyttingsmøte", B, "Utflyttingsmøtet skal holdes umiddelbart etter at bolig er tilbudt (FK 3.1).")
    d.add("forbered_utflytting", "parallelGateway", "Forbered utflytting", B, 17, 0)
    d.add("utflyttingsplan", "userTask", "Lag utflyttingsplan", B, 18, 0, props=form("utflyttingsplan"),
          doc=("«I utflyttingsmøtet utarbeides det en utflyttingsplan / sjekkliste hvor nødvendige oppgaver "
               "gjennomgås og ansvar fordeles.» (FK 3.2) Minimumsinnholdet følger FK 3.2 og den tidligere rutinen 2.5."))
    d.add("kriseplan", "userTask", "Lag kriseplan", U, 18, 0, props=form("kriseplan"),
          doc=("«Før utflytting bør det også vurderes å lage en plan for hva beboer, bydel og samarbeidspartnere kan "
               "foreta seg dersom de planlagte tiltakene ikke er tilstrekkelige …» (FK 3.2) Oppbygging: varselsignal, "
               "tiltak, tiltak ved rusepisode, kontaktpersoner (M100)."))
    d.add("klar_for_utflytting", "parallelGateway", "Klar for utflytting", B, 19, 0)
    d.add("utflytting", "userTask", "Registrer utflytting (T1)", I, 20, 0, props=form("utflytting"),
          doc=("«Det er bydelen som har det primære oppfølgingsansvaret for bruker etter utskriving fra institusjon. "
               "Institusjonen skal likevel være tilgjengelig for bruker i en overgangsperiode på fire uker etter "
               "utskrivingstidspunktet.» (FK 3) T1 = utflytting."))
    d.add("flyttet_ut", "endEvent", "Beboer har flyttet ut", I, 21, 0, event=("terminate",),
          doc="Avslutter oppholdet; faste samarbeidsmøter som fortsatt venter, stoppes.")
    d.flow("op_u0", "soknader", "bolig_tilbudt")
    d.flow("op_u1", "bolig_tilbudt", "registrer_boligtilbud")
    d.flow("op_u2", "registrer_boligtilbud", "moteansvar_til_bydel")
    d.flow("op_u3", "moteansvar_til_bydel", "utflyttingsmote")
    d.flow("op_u4", "utflyttingsmote", "forbered_utflytting")
    d.flow("op_u5", "forbered_utflytting", "utflyttingsplan")
    d.flow("op_u6", "forbered_utflytting", "kriseplan")
    d.flow("op_u7", "utflyttingsplan", "klar_for_utflytting")
    d.flow("op_u8", "kriseplan", "klar_for_utflytting")
    d.flow("op_u9", "klar_for_utflytting", "utflytting")
    d.flow("op_u10", "utflytting", "flyttet_ut")
    d.layout()
    s, m = d.nodes["moteansvar_bydel"], d.nodes["start_moterekke"]
    d.flow("op_m5", "moteansvar_bydel", "start_moterekke",
           via=[(s.x, s.cy), (m.cx, s.cy), (m.cx, m.y + m.h)])
    return d


# =====================================================================================================
# institusjon_til_bolig (main)
# =====================================================================================================
def hoved() -> Diagram:
    d = Diagram(process_id="institusjon_til_bolig", process_name="Fra institusjon til bolig",
                collaboration_id="samarbeid_institusjon_til_bolig", participant_id="sak_institusjon_til_bolig",
                participant_name="Fra institusjon til bolig – beboer, bydel og institusjon",
                lane_rows={"beboer": 0.5, "bydel": 2, "institusjon": 4}, prefix="hv",
                messages=[("melding_opphold_avsluttet", "opphold_avsluttet")],
                doc=("Oslo kommunes rutine «Fra institusjon til bolig» (Fellesskriv 3/2021): én sak per beboers opphold "
                     "og overgang, knyttet til én bydel og én institusjon."))
    I, B = "institusjon", "bydel"
    d.add("henvisning_mottatt", "startEvent", "Henvisning mottatt", B, 0, 0, props={FORM: "henvisning.schema.json",
          UI: "henvisning.uischema.json"},
          doc=("«Det er bydelen som henviser til opphold i Velferdsetatens institusjoner … Ved henvisning "
               "(elektronisk skjema) bes bydelene synliggjøre hvilke vurderinger som er gjort og hvilke eventuelle "
               "planer som foreligger når det gjelder egnet bolig etter endt institusjonsopphold.» (FK 2) "
               "Henvisningen fylles ut før saken starter; innflytting (T0) kommer herfra."))
    d.add("oppholdet", "callActivity", "Oppholdet på institusjonen (T0–T1)", I, 1, 0, called="opphold_pa_institusjon",
          doc=("Oppholdet fra innflytting til utflytting, se prosessen «Oppholdet på institusjonen». "
               "«Fellesskrivets formål er å gi personer med rusproblemer … tilstrekkelig oppfølging under "
               "institusjonsoppholdet og i overgangen fra institusjon til bolig …» (FK 1)"))
    d.add("opphold_avsluttet", "boundaryEvent", "Opphold avsluttet uten bolig", I, 1, 0, attached="oppholdet",
          at=0.5, event=("message", "melding_opphold_avsluttet", "avslutning"),
          doc=("Meldingen opphold_avsluttet med {\"arsak\": \"avbrutt\" | \"tsb\" | \"annen_institusjon\" | \"dod\", "
               "\"dato\": \"ÅÅÅÅ-MM-DD\"}: beboer avbryter, går over til behandling (TSB) eller annen institusjon, "
               "eller dør. Avbryter oppholdet når som helst etter innflytting."))
    d.add("registrer_avslutning", "scriptTask", "Registrer avslutningen", I, 2, 2,
          script='utflytting = avslutning["dato"]\navslutningsarsak = avslutning["arsak"]',
          doc="T1 = datoen oppholdet ble avsluttet; sluttrapportfristen regnes fra den.")
    d.add("sluttrapport_uten_bolig", "userTask", "Skriv sluttrapport", I, 3, 2, props=form("sluttrapport"),
          doc=("«Institusjonen skal oversende sluttrapport for oppholdet til bydelen tre uker etter endt opphold.» "
               "(FK 3.3) Gjelder også når oppholdet ender uten bolig. Frist: T1 + 3 uker."))
    deadline(d, "sluttrapport_uten_bolig", "sluttrapport", 'frist(utflytting, "P3W")', "sluttrapport", I,
             "Sluttrapporten skal sendes bydelen tre uker etter endt opphold (FK 3.3).")
    d.add("saken_avsluttet_uten_bolig", "endEvent", "Saken avsluttet uten bolig", I, 4, 2, event=("terminate",),
          doc="Saken avsluttes; åpne lederoppgaver lukkes med saken.")
    d.add("etter_utflytting", "parallelGateway", "Etter utflytting", I, 2, 0)
    d.add("sluttrapport", "userTask", "Skriv sluttrapport", I, 3, 0, props=form("sluttrapport"),
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
    d.add("overgang_ferdig", "parallelGateway", "Overgangen ferdig", I, 4, 0)
    d.add("institusjonens_del_avsluttet", "endEvent", "Institusjonens del avsluttet; bydelen følger opp videre",
          I, 5, 0, event=("terminate",),
          doc=("«Dersom annet ikke er avtalt i utflyttingsplanen, avsluttes institusjonens deltakelse etter fire uker "
               "fra utflytting, og bydelen ivaretar den videre kontakten med og oppfølging av bruker.» (FK 3.3)"))
    d.flow("hv_f1", "henvisning_mottatt", "oppholdet")
    d.flow("hv_f2", "oppholdet", "etter_utflytting")
    d.flow("hv_f3", "etter_utflytting", "sluttrapport")
    d.flow("hv_f4", "etter_utflytting", "oppfolgingsmote")
    d.flow("hv_f5", "sluttrapport", "overgang_ferdig")
    d.flow("hv_f6", "oppfolgingsmote", "overgang_ferdig")
    d.flow("hv_f7", "overgang_ferdig", "institusjonens_del_avsluttet")
    d.flow("hv_a1", "opphold_avsluttet", "registrer_avslutning")
    d.flow("hv_a2", "registrer_avslutning", "sluttrapport_uten_bolig")
    d.flow("hv_a3", "sluttrapport_uten_bolig", "saken_avsluttet_uten_bolig")
    return d


FILES = {
    "institusjon-til-bolig.bpmn": hoved,
    "opphold-pa-institusjon.bpmn": opphold,
    "samarbeidsmoter.bpmn": samarbeidsmoter,
}


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, build in FILES.items():
        (OUT / name).write_text(build().to_xml(), encoding="utf-8")
        print("wrote", OUT / name)


if __name__ == "__main__":
    main()
