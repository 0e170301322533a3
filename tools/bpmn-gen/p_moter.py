"""The loops of the stay: the housing work, the samarbeidsmøter and the evaluation every 3 months.

* ``boligavklaring``: statusrapport → bydelen vurderer → (felles kartlegging) → boligmøte → søknader.
  Its deadlines are watched by the Fristvakt (they count from T0 even before a step opens); the
  stay interrupts it when a dwelling is offered.
* ``samarbeidsmoter``: about every two months from the previous meeting; a boligmøte or an
  utflyttingsmøte held meanwhile counts as a meeting (signal ``samarbeidsmote_holdt``).
* ``evaluering``: the plan evaluated and revised at least every three months, each revision kept.
"""
from __future__ import annotations

from bpmnlayout import Diagram
from common import MOTE_SIGNAL, deadline, form

I, B, U = "institusjon", "bydel", "beboer"


def boligavklaring() -> Diagram:
    d = Diagram(process_id="boligavklaring", process_name="Boligavklaring: statusrapport, boligmøte og søknader",
                collaboration_id="samarbeid_boligavklaring", participant_id="sak_boligavklaring",
                participant_name="Boligavklaring – beboer, bydel og institusjon",
                lane_rows={U: 0.8, B: 2, I: 1}, prefix="ba", signals=[MOTE_SIGNAL],
                doc=("Arbeidet frem mot egen bolig under oppholdet (FK 2.1, 2.2). Fristene regnes fra T0 og følges av "
                     "«Fristvakt fra innflytting (T0)»; når bolig er tilbudt, avbrytes boligavklaringen."))
    d.add("boligavklaring_start", "startEvent", "Oppstarten er ferdig", I, 0, 0)
    d.add("statusrapport", "userTask", "Skriv statusrapport med anbefaling", I, 1, 0, props=form("statusrapport"),
          doc=("«Senest 4 måneder etter innflytting, og i god tid før samarbeidsmøtet som har status som boligmøte, "
               "skal institusjonen i samarbeid med beboer ha utarbeidet en anbefaling (statusrapport) … Det skal gå "
               "klart frem hva som er beboers egne ønsker, samtidig som institusjonens faglige vurderinger skal være "
               "tydelige.» (FK 2.2) Frist: T0 + 4 måneder."))
    d.add("vurder_statusrapport", "userTask", "Vurder statusrapporten", B, 2, 0, props=form("vurder-statusrapport"),
          doc=("«Dersom bydelen ser at rapporten ikke gir tilstrekkelig informasjon for å avgjøre boform og "
               "oppfølgingsbehov, må institusjon og bydel i samarbeid med beboer snarest kartlegge årsakene til "
               "dette.» (FK 2.2)"))
    d.add("nok_grunnlag", "exclusiveGateway", "Nok grunnlag for boform og oppfølging?", B, 3, 0)
    d.add("felles_kartlegging", "userTask", "Kartlegg årsakene sammen", B, 4, 1, props=form("felles-kartlegging"),
          doc=("«… må institusjon og bydel i samarbeid med beboer snarest kartlegge årsakene til dette.» (FK 2.2) "
               "Bydelen tar initiativet; institusjonen og beboer deltar."))
    d.add("klar_for_boligmote", "exclusiveGateway", "Klar for boligmøte", B, 5, 0)
    d.add("boligmote", "userTask", "Hold boligmøte", I, 6, 0, props=form("boligmote"),
          post="siste_mote_holdt = boligmote_dato",
          doc=("«Innen 5 måneder etter innflytting skal det avholdes et samarbeidsmøte som har status som boligmøte. "
               "… I møtet skal det defineres hva slags bistand brukeren trenger for å kunne få egnet botilbud, og det "
               "skal avtales hvem som skal gi denne bistanden.» (FK 2.1) Institusjonen kaller inn. "
               "Frist: T0 + 5 måneder."))
    d.add("boligmote_holdt", "intermediateThrowEvent", "Boligmøtet teller som samarbeidsmøte", I, 7, 0,
          event=("signal", MOTE_SIGNAL[0]),
          doc="Neste faste samarbeidsmøte regnes fra boligmøtet («et samarbeidsmøte som har status som boligmøte», FK 2.1).")
    d.add("soknader", "userTask", "Send søknader og henvisninger", B, 8, 0, props=form("soknader"),
          doc=("«Nødvendige søknader og/eller henvisninger knyttet til botilbud etter endt institusjonsopphold skal "
               "utarbeides etter senest 6 måneder … Ansvar for at søknader blir utarbeidet og sendt avtales i "
               "boligmøtet. Institusjonen skal bidra …» (FK 2.2) Frist: T0 + 6 måneder."))
    d.add("soknader_sendt", "endEvent", "Søknader og henvisninger er sendt", B, 9, 0)
    d.flow("ba_0", "boligavklaring_start", "statusrapport")
    d.flow("ba_1", "statusrapport", "vurder_statusrapport")
    d.flow("ba_2", "vurder_statusrapport", "nok_grunnlag")
    d.flow("ba_3", "nok_grunnlag", "felles_kartlegging", name="Nei", cond="statusrapport_tilstrekkelig == False")
    d.flow("ba_4", "nok_grunnlag", "klar_for_boligmote", name="Ja", default=True)
    d.flow("ba_5", "felles_kartlegging", "klar_for_boligmote")
    d.flow("ba_6", "klar_for_boligmote", "boligmote", exit="right")
    d.flow("ba_7", "boligmote", "boligmote_holdt")
    d.flow("ba_8", "boligmote_holdt", "soknader")
    d.flow("ba_9", "soknader", "soknader_sendt")
    d.annotate("beboer_statusrapport", "statusrapport", "Statusrapporten skrives sammen med beboeren: «Det skal "
               "gå klart frem hva som er beboers egne ønsker …» (FK 2.2)", U, 0.6, -0.1, width=420)
    d.annotate("regel_boligmote", "boligmote", "«Innen 5 måneder etter innflytting skal det avholdes et "
               "samarbeidsmøte som har status som boligmøte.» (FK 2.1)", B, 5.65, 1, width=270)
    d.annotate("regel_soknader", "soknader", "«Nødvendige søknader og/eller henvisninger … skal utarbeides etter "
               "senest 6 måneder …» (FK 2.2)", B, 7.75, 1, width=270)
    return d


def samarbeidsmoter() -> Diagram:
    d = Diagram(process_id="samarbeidsmoter", process_name="Samarbeidsmøter ca. hver annen måned",
                collaboration_id="samarbeid_samarbeidsmoter", participant_id="sak_samarbeidsmoter",
                participant_name="Samarbeidsmøter – beboer, bydel og institusjon",
                lane_rows={U: 0.8, B: 1, I: 2}, prefix="sm", signals=[MOTE_SIGNAL],
                doc=("Faste samarbeidsmøter med bolig som fast tema, omtrent hver annen måned regnet fra forrige "
                     "møte; boligmøtet og utflyttingsmøtet teller som samarbeidsmøter. Institusjonen kaller inn så lenge "
                     "beboer bor der; fra bolig er tildelt eller tilbudt kaller bydelen inn (flagget bolig_tilbudt). "
                     "Kalles fra «Oppholdet på institusjonen» og avbrytes derfra når beboer flytter ut eller "
                     "møteansvaret går over til bydelen."))
    d.add("moterekke_start", "startEvent", "Faste møter starter", I, 0, 0,
          doc="Starter etter oppstartsfasen; forrige møte er det første samarbeidsmøtet (siste_samarbeidsmote).")
    d.add("neste_mote", "exclusiveGateway", "Neste møte", I, 1, 0)
    d.add("venter_pa_mote", "eventBasedGateway", "Møte om to måneder, eller et annet møte holdt", I, 2, 0)
    d.add("to_maneder_siden_mote", "intermediateCatchEvent", "Ca. to måneder siden forrige møte",
          I, 3, 0, event=("timer", 'frist(siste_samarbeidsmote, "P2M")'),
          doc=("«… det anbefales som et minimum en møtefrekvens på ca. hver annen måned. Bolig skal være fast "
               "tema på alle samarbeidsmøter.» (FK 2) Venter til to kalendermåneder etter datoen for forrige "
               "møte (siste_samarbeidsmote), ut dagen i Oslo."))
    d.add("annet_mote_holdt", "intermediateCatchEvent", "Boligmøte eller utflyttingsmøte holdt", I, 3, 0.62,
          event=("signal", MOTE_SIGNAL[0]),
          doc=("Boligmøtet og utflyttingsmøtet er samarbeidsmøter med egen status (FK 2.1, 3.1): neste faste møte "
               "regnes fra det."))
    d.add("hvem_kaller_inn", "exclusiveGateway", "Hvem kaller inn?", I, 4, 0,
          doc="Bydelen kaller inn når bolig er tildelt eller tilbudt (bolig_tilbudt), ellers institusjonen.")
    rule_inst = ("«Institusjonen er ansvarlig for å kalle inn til møter så lenge beboer bor på institusjonen.» (FK 2) "
                 "«Bolig skal være fast tema på alle samarbeidsmøter.» (FK 2)")
    rule_bydel = ("«Fra det tidspunkt bruker får tildelt eller tilbud om bolig, overføres ansvaret for å gjennomføre "
                  "møter til bydel, uavhengig av om bruker fortsatt disponerer institusjonsplassen.» (FK 2) "
                  "«Bolig skal være fast tema på alle samarbeidsmøter.» (FK 2)")
    d.add("samarbeidsmote_institusjon", "userTask", "Hold samarbeidsmøte (institusjonen kaller inn)",
          I, 5, 0, props=form("samarbeidsmote"), post="siste_samarbeidsmote = motedato", doc=rule_inst)
    d.add("samarbeidsmote_bydel", "userTask", "Hold samarbeidsmøte (bydelen kaller inn)",
          B, 5, 0, props=form("samarbeidsmote"), post="siste_samarbeidsmote = motedato", doc=rule_bydel)
    d.add("mote_holdt", "exclusiveGateway", "Møte holdt", I, 6, 0)
    d.add("flere_moter", "exclusiveGateway", "Fortsette med faste møter?", I, 7, 0,
          doc=("Partene kan avtale andre tidsrammer (FK 1): møterekken slutter bare når møtet har avtalt det "
               "(faste_moter_avsluttes). Ellers slutter den når oppholdet avsluttes."))
    d.add("faste_moter_avsluttet", "endEvent", "Faste møter avsluttet etter avtale", I, 8, 0)
    d.flow("sm_f1", "moterekke_start", "neste_mote")
    d.flow("sm_f2", "neste_mote", "venter_pa_mote")
    d.flow("sm_f2t", "venter_pa_mote", "to_maneder_siden_mote")
    d.flow("sm_f2s", "venter_pa_mote", "annet_mote_holdt")
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
    g, m, s = d.nodes["flere_moter"], d.nodes["neste_mote"], d.nodes["annet_mote_holdt"]
    low = d.row_cy(I, 1.3)
    d.flow("sm_igjen", "flere_moter", "neste_mote", name="Ja, neste møte", default=True,
           via=[(g.cx, g.y + g.h), (g.cx, low), (m.cx, low), (m.cx, m.y + m.h)])
    low2 = s.y + s.h + 12
    d.flow("sm_annet", s.id, m.id, via=[(s.cx, s.y + s.h), (s.cx, low2), (m.cx + 12, low2), (m.cx + 12, m.y + m.h - 12)])
    d.annotate("beboer_i_motene", "samarbeidsmote_institusjon", "Beboeren er med i samarbeidsmøtene; bolig er "
               "fast tema i hvert møte (FK 2).", U, 4.6, -0.1, width=360)
    d.annotate("regel_moteintervall", "to_maneder_siden_mote", "«… det anbefales som et minimum en møtefrekvens på "
               "ca. hver annen måned.» (FK 2)", B, 1.7, 0, width=300)
    return d


def evaluering() -> Diagram:
    d = Diagram(process_id="evaluering", process_name="Evaluering og revidering av planen",
                collaboration_id="samarbeid_evaluering", participant_id="sak_evaluering",
                participant_name="Evaluering av planen – beboer, bydel og institusjon",
                lane_rows={U: 0.5, B: 0.5, I: 2}, prefix="ev",
                doc=("Tiltakene evalueres og planen for oppholdet revideres minst hver tredje måned, regnet fra forrige "
                     "evaluering (først fra planen ble startet). Hver revisjon tas vare på og vises i saken."))
    d.add("evaluering_start", "startEvent", "Planen er startet", I, 0, 0,
          doc="Forrige evaluering = datoen planen ble startet (siste_evaluering).")
    d.add("neste_evaluering", "exclusiveGateway", "Neste evaluering", I, 1, 0)
    d.add("snart_evaluering", "intermediateCatchEvent", "To uker før tre måneder har gått", I, 2, 0,
          event=("timer", 'frist(siste_evaluering, "P2M2W")'),
          doc="Evalueringen åpnes to uker før fristen, så den kan legges til et samarbeidsmøte.")
    d.add("evaluer_plan", "userTask", "Evaluer tiltakene og revider planen", I, 3, 0, props=form("evaluering"),
          post="siste_evaluering = evaluering_dato",
          doc=("«Bydelene skal regelmessig evaluere tilbudet for å fange opp eventuelle endrede behov, minst hver 3. "
               "måned.» (Oslostandard, tiltak 7) «Planen skal være et levende verktøy og følge beboeren under hele "
               "oppholdet …» (FK 2.2) Institusjonen evaluerer med beboer og bydel. Frist: tre måneder etter forrige "
               "evaluering."))
    deadline(d, "evaluer_plan", "evaluering", 'frist(siste_evaluering, "P3M")', "evaluering", I,
             "Tiltakene skal evalueres minst hver tredje måned (Oslostandard, tiltak 7).")
    d.add("fortsatt_opphold", "exclusiveGateway", "Flyttet ut?", I, 4, 0)
    d.add("evalueringer_slutt", "endEvent", "Evalueringene avsluttet ved utflytting", I, 5, 0)
    d.flow("ev_0", "evaluering_start", "neste_evaluering")
    d.flow("ev_1", "neste_evaluering", "snart_evaluering")
    d.flow("ev_2", "snart_evaluering", "evaluer_plan")
    d.flow("ev_3", "evaluer_plan", "fortsatt_opphold")
    d.flow("ev_4", "fortsatt_opphold", "evalueringer_slutt", name="Ja", cond='fullfort("utflytting")')
    d.layout()
    g, m = d.nodes["fortsatt_opphold"], d.nodes["neste_evaluering"]
    low = d.row_cy(I, 1.42)
    d.flow("ev_igjen", "fortsatt_opphold", "neste_evaluering", name="Nei, neste evaluering", default=True,
           via=[(g.cx, g.y + g.h), (g.cx, low), (m.cx, low), (m.cx, m.y + m.h)])
    d.annotate("regel_evaluering", "evaluer_plan", "«Bydelene skal regelmessig evaluere tilbudet … minst hver 3. "
               "måned.» (Oslostandard, tiltak 7)", B, 2.6, -0.25, width=340)
    return d
