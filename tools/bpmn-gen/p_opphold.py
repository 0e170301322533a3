"""``opphold_pa_institusjon``: the stay, from registration through innflytting (T0) to utflytting (T1).

At registration the deadline watch («Fristvakt fra innflytting») starts; at T0 (at once if it is
past) the start phase opens and the offer («bolig_tilbudt») is waited for from then on.  The
innflytting task records the actual T0 and, if it differs, tells the watch (signal ``t0_endret``).
After the start phase: the meeting loop, the housing work («Boligavklaring») and, from the plan's
start, the evaluation every three months run in parallel until T1.
"""
from __future__ import annotations

from bpmnlayout import Diagram
from common import MOTE_SIGNAL, MOTEANSVAR_SIGNAL, T0_SIGNAL, deadline, form

I, B, U = "institusjon", "bydel", "beboer"


def opphold() -> Diagram:
    d = Diagram(process_id="opphold_pa_institusjon", process_name="Oppholdet på institusjonen (T0–T1)",
                collaboration_id="samarbeid_opphold", participant_id="sak_opphold",
                participant_name="Oppholdet på institusjonen – beboer, bydel og institusjon",
                lane_rows={U: 1, B: 3, I: 5}, prefix="op",
                messages=[("melding_bolig_tilbudt", "bolig_tilbudt")],
                signals=[MOTEANSVAR_SIGNAL, T0_SIGNAL, MOTE_SIGNAL],
                doc=("Fra saken registreres, gjennom innflytting (T0 = innflytting) til utflytting (T1 = utflytting): "
                     "fristvakt, oppstart, samarbeidsmøter, boligavklaring, evaluering, bolig tilbudt, utflyttingsmøte, "
                     "utflyttingsplan og kriseplan."))
    _start_phase(d)
    _after_start(d)
    _offer(d)
    d.layout()
    s, m = d.nodes["moteansvar_bydel"], d.nodes["start_moterekke"]
    d.flow("op_m5", "moteansvar_bydel", "start_moterekke", via=[(s.x, s.cy), (m.cx, s.cy), (m.cx, m.y + m.h)])
    return d


def _start_phase(d: Diagram) -> None:
    d.add("registrert", "startEvent", "Saken er registrert", I, 0, 0,
          doc="Planlagt T0 = innflytting fra henvisningen. Fristene fra T0 armeres nå.")
    d.add("registrert_split", "parallelGateway", "Frister og innflytting", I, 1, 0)
    d.add("fristvakt", "callActivity", "Fristvakt fra innflytting (T0)", I, 2, 4, called="fristvakt_innflytting",
          doc=("Alle frister regnet fra T0, armert fra registreringen uansett hvor langt sakens steg har kommet. "
               "Se prosessen «Fristvakt fra innflytting (T0)»."))
    d.add("fristvakt_ferdig", "endEvent", "Fristene fra T0 er avklart", I, 3, 4)
    d.add("innflyttingsdagen", "intermediateCatchEvent", "Innflyttingsdagen (T0)", I, 2, 0,
          event=("timer", "dagstart(innflytting)"),
          doc="Oppstartsoppgavene åpnes ved starten av innflyttingsdagen (straks, hvis den har passert).")
    d.add("oppstart", "parallelGateway", "Oppstart", I, 3, 0)
    d.add("samtykke", "userTask", "Gi samtykke til informasjonsdeling", U, 4, 0, props=form("samtykke"),
          doc=("«Samtykket må spesifikt angi hvilke opplysninger som kan deles, hvem de kan deles med og for hvor "
               "lenge samtykket gjelder, for å møte kravene til et informert samtykke.» (Oslostandard, tiltak 1) "
               "Beboer fyller ut selv, eller en saksbehandler registrerer på beboers vegne. Frist: T0 + 7 dager."))
    d.add("livskvalitet", "userTask", "Svar på spørsmål om livskvalitet", U, 5, 0, props=form("livskvalitet"),
          doc=("«Hvor fornøyd er du med livet ditt, samlet sett?» (MANSA, skala 1–7) «Målingen gjennomføres av "
               "bydelene hvert år i perioden januar – mai …» (Oslostandard, tiltak 9) Her: utgangspunkt ved innflytting."))
    d.add("bydelskontakter", "userTask", "Registrer bydelskontakter", B, 4, 0, props=form("bydelskontakter"),
          doc=("«Bydelen har ansvar for å holde beboer og institusjon oppdatert på hvem som til enhver tid er "
               "brukers bydelskontakter.» (FK 2) Frist: T0 + 7 dager."))
    d.add("innflytting_registrert", "userTask", "Registrer innflytting og primærkontakter", I, 4, 0,
          props=form("innflytting"), pre="planlagt_innflytting = innflytting",
          doc=("«Ved innflytting i institusjon tildeles bruker primærkontakter, og de skal så langt som mulig følge "
               "bruker frem til innflytting i egen bolig.» «Institusjonen skal i samarbeid med beboer og bydel sørge "
               "for at pårørende blir involvert dersom det er aktuelt.» (FK 2) Her registreres faktisk T0."))
    d.add("ny_t0", "exclusiveGateway", "Annen dato enn planlagt?", I, 5, 0)
    d.add("t0_endret", "intermediateThrowEvent", "Ny innflyttingsdato (T0)", I, 6, 0,
          event=("signal", T0_SIGNAL[0]), doc="Fristvakten regner fristene fra T0 på nytt (med hendelse i sakens logg).")
    d.add("t0_bekreftet", "endEvent", "T0 er bekreftet", I, 7, 0, props={"milepael": "t0_bekreftet"})
    d.add("t0_som_planlagt", "endEvent", "T0 som planlagt", I, 5, 0.62, props={"milepael": "t0_bekreftet"})
    d.add("kartlegging", "userTask", "Kartlegg beboers situasjon", I, 4, 1, props=form("kartlegging"),
          doc=("«Institusjonen skal før første samarbeidsmøte, og i samarbeid med beboer og bydel, kartlegge "
               "følgende forhold knyttet til bolig …» «Hvis beboer ikke har IP, skal det gis tilbud om å utarbeide "
               "slik plan i samarbeid med bydel.» (FK 2.2) Levekårsområdene følger BrukerPlan (Oslostandarden). "
               "Frist: T0 + 4 uker (før første samarbeidsmøte)."))
    d.add("forste_samarbeidsmote", "userTask", "Hold første samarbeidsmøte", I, 4, 2,
          props=form("forste-samarbeidsmote"), post="siste_samarbeidsmote = motedato",
          doc=("«Det første samarbeidsmøtet skal finne sted senest innen fire uker etter innflytting, og bolig skal "
               "være tema på møtet. Institusjonen innkaller beboer og bydel til møtet, og bydelen plikter å delta.» "
               "«Til møtet skal institusjonens kartlegging av beboers situasjon være ferdigstilt … og det skal "
               "foreligge utkast til plan for oppholdet.» (FK 2.1) Frist: T0 + 4 uker."))
    d.add("plan_for_oppholdet", "userTask", "Start plan for oppholdet", I, 4, 3, props=form("plan-for-oppholdet"),
          post="siste_evaluering = plan_startet",
          doc=("«Det er institusjonen som har ansvar for at slik plan blir utarbeidet, og arbeidet med planen skal "
               "starte innen 14 dager etter innflytting.» «Planen skal være et levende verktøy …» (FK 2.2) "
               "Frist: T0 + 14 dager. Planen revideres ved hver evaluering."))
    d.add("plan_startet", "parallelGateway", "Planen er startet", I, 5, 3)
    d.annotate("regel_samtykke", "samtykke", "«Samtykket må spesifikt angi hvilke opplysninger som kan deles, hvem de "
               "kan deles med og for hvor lenge samtykket gjelder …» (Oslostandard, tiltak 1)", U, 1.15, 0, width=280)
    d.annotate("regel_kartlegging", "kartlegging", "«Institusjonen skal før første samarbeidsmøte, og i samarbeid med "
               "beboer og bydel, kartlegge …» (FK 2.2)", I, 1.15, 1, width=270)
    d.annotate("regel_forste_samarbeidsmote", "forste_samarbeidsmote", "«Det første samarbeidsmøtet skal finne sted "
               "senest innen fire uker etter innflytting …» (FK 2.1)", I, 1.15, 2, width=270)
    d.annotate("regel_plan_for_oppholdet", "plan_for_oppholdet", "«… arbeidet med planen skal starte innen 14 dager "
               "etter innflytting.» (FK 2.2)", I, 1.15, 3, width=270)
    d.add("evaluering", "callActivity", "Evaluering og revidering av planen", I, 6, 3, called="evaluering",
          doc=("«Bydelene skal regelmessig evaluere tilbudet for å fange opp eventuelle endrede behov, minst hver 3. "
               "måned.» (Oslostandard, tiltak 7) «Planen skal være et levende verktøy …» (FK 2.2) Se prosessen "
               "«Evaluering og revidering av planen»."))
    d.add("evaluering_slutt", "endEvent", "Evalueringene avsluttet", I, 7, 3)
    d.add("oppstart_ferdig", "parallelGateway", "Oppstart ferdig", I, 6.5, 1)
    d.flow("op_start", "registrert", "registrert_split")
    d.flow("op_fv", "registrert_split", "fristvakt")
    d.flow("op_fv2", "fristvakt", "fristvakt_ferdig")
    d.flow("op_t0", "registrert_split", "innflyttingsdagen")
    d.flow("op_t1", "innflyttingsdagen", "oppstart")
    for i, t in enumerate(["samtykke", "bydelskontakter", "innflytting_registrert", "kartlegging",
                           "forste_samarbeidsmote", "plan_for_oppholdet"]):
        d.flow(f"op_s{i}", "oppstart", t)
    d.flow("op_b1", "samtykke", "livskvalitet")
    d.flow("op_i1", "innflytting_registrert", "ny_t0")
    d.flow("op_i2", "ny_t0", "t0_endret", name="Ja", cond="innflytting != planlagt_innflytting")
    d.flow("op_i3", "t0_endret", "t0_bekreftet")
    d.flow("op_i4", "ny_t0", "t0_som_planlagt", name="Nei", default=True)
    d.flow("op_p1", "plan_for_oppholdet", "plan_startet")
    d.flow("op_p2", "plan_startet", "evaluering")
    d.flow("op_p3", "evaluering", "evaluering_slutt")
    for i, t in enumerate(["livskvalitet", "bydelskontakter", "kartlegging", "forste_samarbeidsmote", "plan_startet"]):
        d.flow(f"op_j{i}", t, "oppstart_ferdig")


def _after_start(d: Diagram) -> None:
    d.add("videre_arbeid", "parallelGateway", "Videre arbeid", I, 8, 1)
    d.add("allerede_tilbudt", "exclusiveGateway", "Bolig allerede tilbudt?", I, 9, 0)
    d.add("boligavklaring", "callActivity", "Boligavklaring: statusrapport, boligmøte og søknader", I, 10, 0,
          called="boligavklaring",
          doc=("Statusrapport (T0 + 4 måneder), boligmøte (T0 + 5 måneder) og søknader (T0 + 6 måneder), FK 2.1 og 2.2. "
               "Fristene følges av fristvakten. Se prosessen «Boligavklaring»."))
    d.add("bolig_tilbudt_underveis", "boundaryEvent", "Bolig tilbudt underveis", I, 10, 0, attached="boligavklaring",
          at=0.5, event=("signal", MOTEANSVAR_SIGNAL[0]),
          doc=("Når beboer har fått tilbud om eller har funnet konkret bolig, trengs ikke boligavklaringen lenger: "
               "åpne oppgaver (f.eks. søknader) lukkes, og det står i sakens logg."))
    d.add("boligavklaring_unodvendig", "endEvent", "Boligavklaringen trengs ikke lenger", I, 10.5, 0.8,
          props={"milepael": "boligavklaring_avsluttet"})
    d.add("boligavklaring_ferdig", "endEvent", "Søknadene er sendt", I, 11, 0)
    d.add("ingen_boligavklaring", "endEvent", "Bolig var allerede tilbudt", I, 9, 0.8)
    d.add("moteansvar_institusjon", "scriptTask", "Hvem kaller inn til møtene?", I, 9, 2,
          script='bolig_tilbudt = fullfort("registrer_boligtilbud")',
          doc=("«Institusjonen er ansvarlig for å kalle inn til møter så lenge beboer bor på institusjonen. Fra det "
               "tidspunkt bruker får tildelt eller tilbud om bolig, overføres ansvaret for å gjennomføre møter til "
               "bydel …» (FK 2)"))
    d.add("start_moterekke", "exclusiveGateway", "Start møterekken", I, 10, 2)
    d.add("faste_samarbeidsmoter", "callActivity", "Faste samarbeidsmøter ca. hver 2. måned", I, 11, 2,
          called="samarbeidsmoter",
          doc=("«… det anbefales som et minimum en møtefrekvens på ca. hver annen måned. Bolig skal være fast tema "
               "på alle samarbeidsmøter.» (FK 2) Se prosessen «Samarbeidsmøter ca. hver annen måned»."))
    d.add("moteansvaret_flyttes", "boundaryEvent", "Møteansvaret går til bydelen", I, 11, 2,
          attached="faste_samarbeidsmoter", at=0.5, event=("signal", MOTEANSVAR_SIGNAL[0]),
          doc=("Avbryter møterekken når bolig er tilbudt; et møte institusjonen ennå ikke har holdt, overtas av "
               "bydelen (utflyttingsmøtet holdes straks)."))
    d.add("moteansvar_bydel", "scriptTask", "Bydelen kaller inn til møtene", I, 11, 3,
          script="bolig_tilbudt = True\nsiste_samarbeidsmote = moteansvar_fra",
          doc=("«Fra det tidspunkt bruker får tildelt eller tilbud om bolig, overføres ansvaret for å gjennomføre "
               "møter til bydel …» (FK 2) Neste faste møte regnes fra datoen bolig ble tilbudt."))
    d.add("moterekke_slutt", "endEvent", "Faste møter avsluttet", I, 12, 2)
    d.flow("op_v", "oppstart_ferdig", "videre_arbeid")
    d.flow("op_r0", "videre_arbeid", "allerede_tilbudt")
    d.flow("op_r1", "allerede_tilbudt", "ingen_boligavklaring", name="Ja", cond='fullfort("registrer_boligtilbud")')
    d.flow("op_r2", "allerede_tilbudt", "boligavklaring", name="Nei", default=True)
    d.flow("op_r3", "boligavklaring", "boligavklaring_ferdig")
    d.flow("op_r4", "bolig_tilbudt_underveis", "boligavklaring_unodvendig")
    d.flow("op_m0", "videre_arbeid", "moteansvar_institusjon")
    d.flow("op_m1", "moteansvar_institusjon", "start_moterekke")
    d.flow("op_m2", "start_moterekke", "faste_samarbeidsmoter")
    d.flow("op_m3", "faste_samarbeidsmoter", "moterekke_slutt")
    d.flow("op_m4", "moteansvaret_flyttes", "moteansvar_bydel")


def _offer(d: Diagram) -> None:
    d.add("bolig_tilbudt", "intermediateCatchEvent", "Bolig tilbudt eller funnet", B, 4, 1,
          event=("message", "melding_bolig_tilbudt", "bolig_tilbud"),
          doc=("Meldingen bolig_tilbudt med {\"dato\": \"ÅÅÅÅ-MM-DD\", …} kommer utenfra (f.eks. boligkontoret) "
               "når beboer har fått tilbud om eller har funnet konkret bolig (FK 3.1) — når som helst fra T0."))
    d.add("registrer_boligtilbud", "scriptTask", "Registrer boligtilbudet", B, 5, 1,
          script='bolig_tilbudt = True\nbolig_tilbudt_dato = bolig_tilbud["dato"]',
          doc="Ankerdatoen for utflyttingsmøtet: bolig_tilbudt_dato.")
    d.add("moteansvar_til_bydel", "intermediateThrowEvent", "Møteansvaret går til bydelen", B, 6, 1,
          event=("signal", MOTEANSVAR_SIGNAL[0]),
          doc=("«Fra det tidspunkt bruker får tildelt eller tilbud om bolig, overføres ansvaret for å gjennomføre "
               "møter til bydel, uavhengig av om bruker fortsatt disponerer institusjonsplassen.» (FK 2)"))
    d.add("utflyttingsmote", "userTask", "Hold utflyttingsmøte", B, 7, 1, props=form("utflyttingsmote"),
          post="siste_mote_holdt = utflyttingsmote_dato",
          doc=("«Ett av samarbeidsmøtene skal ha status som utflyttingsmøte. Dette møtet skal senest avholdes "
               "umiddelbart etter at beboer har fått tilbud om eller har funnet konkret bolig. Det er bydelen som kaller "
               "inn bruker og institusjonen til dette møtet, og institusjonen plikter å delta.» (FK 3.1) «Straks» er "
               "her fem dager, rullet til neste virkedag."))
    deadline(d, "utflyttingsmote", "utflyttingsmote", 'frist(bolig_tilbudt_dato, "P5D", virkedag=True)',
             "utflyttingsmøte", B, "Utflyttingsmøtet skal holdes umiddelbart etter at bolig er tilbudt (FK 3.1).")
    d.add("utflyttingsmote_holdt", "intermediateThrowEvent", "Utflyttingsmøtet teller som samarbeidsmøte", B, 8, 1,
          event=("signal", MOTE_SIGNAL[0]),
          doc="Neste faste samarbeidsmøte regnes fra utflyttingsmøtet (FK 3.1: «Ett av samarbeidsmøtene …»).")
    d.add("forbered_utflytting", "parallelGateway", "Forbered utflytting", B, 9, 1)
    d.add("utflyttingsplan", "userTask", "Lag utflyttingsplan", B, 10, 1, props=form("utflyttingsplan"),
          doc=("«I utflyttingsmøtet utarbeides det en utflyttingsplan / sjekkliste hvor nødvendige oppgaver "
               "gjennomgås og ansvar fordeles.» (FK 3.2) Minimumsinnholdet følger FK 3.2 og den tidligere rutinen 2.5, "
               "med overgangsavtalen med institusjonen. Frist: planlagt utflytting (T1)."))
    deadline(d, "utflyttingsplan", "utflyttingsplan", 'frist(planlagt_utflytting, "P0D")', "utflyttingsplan", B,
             "Utflyttingsplanen skal være laget før utflytting (FK 3.2).", place=(9.6, 2))
    d.add("kriseplan", "userTask", "Lag kriseplan", U, 11, 0, props=form("kriseplan"),
          doc=("«Før utflytting bør det også vurderes å lage en plan for hva beboer, bydel og samarbeidspartnere kan "
               "foreta seg dersom de planlagte tiltakene ikke er tilstrekkelige …» (FK 3.2) Oppbygging: varselsignal, "
               "tiltak, tiltak ved rusepisode, kontaktpersoner (M100). Frist: planlagt utflytting (T1)."))
    deadline(d, "kriseplan", "kriseplan", 'frist(planlagt_utflytting, "P0D")', "kriseplan", B,
             "Kriseplanen skal være laget før utflytting (FK 3.2, M100).", place=(11, 2))
    d.add("klar_for_utflytting", "parallelGateway", "Klar for utflytting", B, 12, 1)
    d.group_mechanics("motor_boligtilbud", ["registrer_boligtilbud", "moteansvar_til_bydel"])
    d.annotate("regel_utflyttingsmote", "utflyttingsmote", "«Dette møtet skal senest avholdes umiddelbart etter at "
               "beboer har fått tilbud om eller har funnet konkret bolig.» (FK 3.1)", B, 6.6, 0, width=260)
    d.annotate("regel_utflyttingsplan", "utflyttingsplan", "«I utflyttingsmøtet utarbeides det en utflyttingsplan / "
               "sjekkliste hvor … ansvar fordeles.» (FK 3.2)", B, 9.15, 0, width=250)
    d.annotate("regel_kriseplan", "kriseplan", "«Før utflytting bør det også vurderes å lage en plan for hva beboer, "
               "bydel og samarbeidspartnere kan foreta seg …» (FK 3.2)", U, 12.25, -0.05, width=270)
    d.annotate("regel_utflytting", "utflytting", "«Institusjonen skal likevel være tilgjengelig for bruker i en "
               "overgangsperiode på fire uker etter utskrivingstidspunktet.» (FK 3)", I, 12.6, 1, width=280)
    d.add("utflytting", "userTask", "Registrer utflytting (T1)", I, 13, 0, props=form("utflytting"),
          doc=("«Det er bydelen som har det primære oppfølgingsansvaret for bruker etter utskriving fra institusjon. "
               "Institusjonen skal likevel være tilgjengelig for bruker i en overgangsperiode på fire uker etter "
               "utskrivingstidspunktet.» (FK 3) T1 = utflytting."))
    d.add("flyttet_ut", "endEvent", "Beboer har flyttet ut", I, 14, 0, event=("terminate",),
          props={"milepael": "utflyttet"},
          doc="Avslutter oppholdet; fristvakt, møterekke og evaluering som fortsatt venter, stoppes.")
    d.flow("op_u0", "oppstart", "bolig_tilbudt")
    d.flow("op_u1", "bolig_tilbudt", "registrer_boligtilbud")
    d.flow("op_u2", "registrer_boligtilbud", "moteansvar_til_bydel")
    d.flow("op_u3", "moteansvar_til_bydel", "utflyttingsmote")
    d.flow("op_u4", "utflyttingsmote", "utflyttingsmote_holdt")
    d.flow("op_u4b", "utflyttingsmote_holdt", "forbered_utflytting")
    d.flow("op_u5", "forbered_utflytting", "utflyttingsplan")
    d.flow("op_u6", "forbered_utflytting", "kriseplan")
    d.flow("op_u7", "utflyttingsplan", "klar_for_utflytting")
    d.flow("op_u8", "kriseplan", "klar_for_utflytting")
    d.flow("op_u9", "klar_for_utflytting", "utflytting")
    d.flow("op_u10", "utflytting", "flyttet_ut")
