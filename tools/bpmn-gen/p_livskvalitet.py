"""``livskvalitet_aar``: the yearly livskvalitet (MANSA) survey of one bydel (issue 16, Oslostandard tiltak 9).

One instance per bydel per year, started on 1 January by the service (``engine.survey``) with the
residents in scope as ``beboere``: a parallel multi-instance user task gives the bydel one
registration per resident, open January–May with a deadline on 31 May (a missed deadline gives the
bydel's leader a follow-up; the registrations stay open).  On 1 June the leader's report to
Velferdsetaten opens, due 30 June; sending it ends the year's survey (terminate end: a registration
still open is closed, and the count is final).  The report's figures are computed by the service
from the registrations, anonymised, never typed in.
"""
from __future__ import annotations

from bpmnlayout import Diagram
from common import deadline, form

B = "bydel"

TILTAK_9 = ("«Målingen gjennomføres av bydelene hvert år i perioden januar – mai …» (Oslostandard for "
            "rusarbeid, tiltak 9)")
RAPPORT = ("«Bydelene rapporterer inn resultatet av tellingen i anonymisert form til Velferdsetaten innen "
           "30. juni hvert år.» (Oslostandard for rusarbeid, tiltak 9)")


def livskvalitet_aar() -> Diagram:
    d = Diagram(process_id="livskvalitet_aar", process_name="Livskvalitet hvert år (MANSA)",
                collaboration_id="samarbeid_livskvalitet", participant_id="sak_livskvalitet",
                participant_name="Livskvalitetsmåling – bydelen", lane_rows={B: 4}, prefix="lk", lanes=(B,),
                data=[("beboere", "beboere")],
                doc=("Den årlige livskvalitetsmålingen i én bydel: én registrering per beboer som er på institusjon "
                     "eller i oppfølging etter utflytting 1. januar, åpen januar–mai med frist 31. mai, og bydelens "
                     "anonymiserte rapport til Velferdsetaten innen 30. juni. " + TILTAK_9))
    d.add("maling_start", "startEvent", "Målingen starter (1. januar)", B, 0, 1.5,
          doc="Tjenesten starter målingen 1. januar med beboerne som er i målgruppen den dagen (beboere).")
    d.add("maling_og_rapport", "parallelGateway", "Måling og rapport", B, 1, 1.5)
    d.flow("lk_start", "maling_start", "maling_og_rapport")
    # the survey: one registration per resident
    d.add("registrer_livskvalitet", "userTask", "Registrer livskvalitet (MANSA)", B, 2, 0,
          multi=("beboere", "beboer"), props=form("livskvalitet-aarlig"),
          doc=("Inviter beboeren til en egnet samtale og registrer svaret på skalaen 1–7: «Hvor fornøyd er du med "
               "livet ditt, samlet sett?» — eller at målingen ikke ble gjort (beboeren ønsket ikke, eller kunne ikke "
               "nås), så tellingen blir ærlig. " + TILTAK_9))
    deadline(d, "registrer_livskvalitet", "livskvalitet", 'frist(maling_frist, "P0D")', "31. mai", B, TILTAK_9)
    d.add("alle_registrert", "endEvent", "Alle er registrert", B, 3.5, 0)
    d.flow("lk_registrert", "registrer_livskvalitet", "alle_registrert")
    # the report: opens when the period is over, due 30 June
    d.add("rapport_apner", "intermediateCatchEvent", "1. juni: rapporten åpner", B, 2, 2,
          event=("timer", "dagstart(rapport_fra)"),
          doc="Målingsperioden januar–mai er over; rapporten til Velferdsetaten kan sendes.")
    d.flow("lk_til_rapport", "maling_og_rapport", "rapport_apner")
    d.flow("lk_til_maling", "maling_og_rapport", "registrer_livskvalitet")
    d.add("rapporter_velferdsetaten", "userTask", "Send rapport til Velferdsetaten", B, 3, 2,
          props=form("livskvalitet-rapport", rolle="leder"),
          doc=("Lederoppgave: kontroller tallene tjenesten har talt opp (grupper under 5 er skjult) og send dem. "
               "Ingen navn eller andre opplysninger om enkeltpersoner forlater bydelen. " + RAPPORT))
    d.flow("lk_rapport", "rapport_apner", "rapporter_velferdsetaten")
    deadline(d, "rapporter_velferdsetaten", "livskvalitet_rapport", 'frist(rapport_frist, "P0D")', "30. juni", B,
             RAPPORT)
    d.add("rapport_sendt", "endEvent", "Rapporten er sendt", B, 4.3, 2, event=("terminate",),
          props={"milepael": "livskvalitet_rapportert"},
          doc="Årets måling er avsluttet: en registrering som fortsatt er åpen, lukkes, og tellingen står.")
    d.flow("lk_sendt", "rapporter_velferdsetaten", "rapport_sendt")
    d.annotate("regel_maling", "registrer_livskvalitet", TILTAK_9, B, 4.1, -0.1, width=280)
    d.annotate("regel_rapport", "rapporter_velferdsetaten", RAPPORT, B, 4.75, 1.9, width=300)
    return d
