"""``fristvakt_innflytting``: every deadline counted from T0, watched from registration.

Called from «Oppholdet på institusjonen» as soon as the case is registered, so each deadline is
armed from the planned T0 whatever state the earlier steps are in, and re-armed from the actual T0
when the innflytting is registered with another date (signal ``t0_endret``).  The last branch waits
for the end of the stay's length («botid») and lets the institution discharge the resident.
"""
from __future__ import annotations

from bpmnlayout import Diagram
from common import T0_SIGNAL, form, route_watch_loops, watch

I, B, U = "institusjon", "bydel", "beboer"

START = ["samtykke", "livskvalitet", "bydelskontakter", "kartlegging", "plan_for_oppholdet", "forste_samarbeidsmote"]
OFFERED = ["registrer_boligtilbud"]

#: Every T0 deadline of PROCESS.md (lane = whose leader follows up).  ``period`` is what a process
#: owner edits; ``blockers`` are the steps that must be done before the step can open.
WATCHES = [
    dict(key="innflytting", step="innflytting_registrert", label="innflytting registrert", lane=I, period="P0D",
         human="0 dager (innflyttingsdagen)", what="Registrer innflytting og primærkontakter",
         rule="«Ved innflytting i institusjon tildeles bruker primærkontakter …» (FK 2) Registreres på "
              "innflyttingsdagen (T0)."),
    dict(key="samtykke", step="samtykke", label="samtykke", lane=B, period="P7D", human="7 dager",
         what="Gi samtykke til informasjonsdeling",
         rule="«Bydelen skal i det aktuelle fagsystemet dokumentere at brukerne har gitt samtykke til samarbeid og "
              "utveksling av informasjon …» (Oslostandard, tiltak 1) Ved oppstart: her innen en uke."),
    dict(key="bydelskontakter", step="bydelskontakter", label="bydelskontakter", lane=B, period="P7D",
         human="7 dager", what="Registrer bydelskontakter",
         rule="«Bydelen har ansvar for å holde beboer og institusjon oppdatert på hvem som til enhver tid er brukers "
              "bydelskontakter.» (FK 2) Ved oppstart: her innen en uke."),
    dict(key="plan_for_oppholdet", step="plan_for_oppholdet", label="plan for oppholdet", lane=I, period="P14D",
         human="14 dager", what="Start plan for oppholdet",
         rule="«… arbeidet med planen skal starte innen 14 dager etter innflytting.» (FK 2.2)"),
    dict(key="kartlegging", step="kartlegging", label="kartlegging", lane=I, period="P4W", human="4 uker",
         what="Kartlegg beboers situasjon",
         rule="«Institusjonen skal før første samarbeidsmøte … kartlegge følgende forhold knyttet til bolig …» "
              "(FK 2.2) Første samarbeidsmøte er senest fire uker etter innflytting."),
    dict(key="forste_samarbeidsmote", step="forste_samarbeidsmote", label="første samarbeidsmøte", lane=I,
         period="P4W", human="4 uker", what="Hold første samarbeidsmøte",
         rule="«Det første samarbeidsmøtet skal finne sted senest innen fire uker etter innflytting …» (FK 2.1)"),
    dict(key="statusrapport", step="statusrapport", label="statusrapport", lane=I, period="P4M", human="4 måneder",
         what="Skriv statusrapport med anbefaling", blockers=START, settled_by=OFFERED,
         rule="«Senest 4 måneder etter innflytting … skal institusjonen i samarbeid med beboer ha utarbeidet en "
              "anbefaling (statusrapport) …» (FK 2.2)"),
    dict(key="boligmote", step="boligmote", label="boligmøte", lane=I, period="P5M", human="5 måneder",
         what="Hold boligmøte", settled_by=OFFERED,
         blockers=START + ["statusrapport", "vurder_statusrapport", "felles_kartlegging"],
         rule="«Innen 5 måneder etter innflytting skal det avholdes et samarbeidsmøte som har status som "
              "boligmøte.» (FK 2.1)"),
    dict(key="soknader", step="soknader", label="søknader", lane=B, period="P6M", human="6 måneder",
         what="Send søknader og henvisninger", settled_by=OFFERED,
         blockers=START + ["statusrapport", "vurder_statusrapport", "felles_kartlegging", "boligmote"],
         rule="«Nødvendige søknader og/eller henvisninger knyttet til botilbud etter endt institusjonsopphold skal "
              "utarbeides etter senest 6 måneder …» (FK 2.2)"),
]

PITCH = 1.45      # rows per watch (the new-T0 catch sits below the wait)


def fristvakt() -> Diagram:
    by_lane = {B: [w for w in WATCHES if w["lane"] == B], I: [w for w in WATCHES if w["lane"] == I]}
    d = Diagram(process_id="fristvakt_innflytting", process_name="Fristvakt fra innflytting (T0)",
                collaboration_id="samarbeid_fristvakt", participant_id="sak_fristvakt",
                participant_name="Fristvakt fra innflytting – beboer, bydel og institusjon",
                lane_rows={U: 0.8, B: len(by_lane[B]) * PITCH, I: (len(by_lane[I]) + 1.1) * PITCH}, prefix="fv",
                signals=[T0_SIGNAL],
                errors=[("feil_botid_nadd", "Botiden er nådd", "botid_nadd", "avslutning", "avslutning")],
                doc=("Alle frister som regnes fra innflytting (T0), armert fra saken registreres med planlagt T0 og "
                     "regnet på nytt når faktisk T0 registreres. En frist som passeres gir lederen i den ansvarlige "
                     "enheten en oppfølgingsoppgave, også når steget ikke har startet ennå; da står det hvilket "
                     "tidligere steg som holder det opp. Endre periodene her."))
    d.add("vakt_start", "startEvent", "Saken er registrert", I, 0, 0,
          doc="Planlagt T0 = innflytting fra henvisningen; fristene armeres nå.")
    d.add("alle_frister", "parallelGateway", "Alle frister fra T0", I, 1, 0)
    d.flow("fv_start", "vakt_start", "alle_frister")
    for lane, watches in by_lane.items():
        for i, w in enumerate(watches):
            watch(d, w, lane, i * PITCH)
            d.flow(f"fv_{w['key']}", "alle_frister", f"vent_{w['key']}")
    _botid(d, len(by_lane[I]) * PITCH)
    d.layout()
    route_watch_loops(d, [w["key"] for w in WATCHES] + ["botid"])
    s, m = d.nodes["forlenget_botid_nadd"], d.nodes["avklar_botid_igjen"]
    d.flow("fv_b_igjen", s.id, m.id, via=[(s.x, s.cy), (m.cx, s.cy), (m.cx, m.y + m.h)])
    d.annotate("beboer_samtykke", "frist_samtykke", "Beboerens egen frist: samtykke til informasjonsdeling "
               "innen T0 + 7 dager. Bydelen følger den opp (Oslostandard, tiltak 1).", U, 2.3, -0.1, width=420)
    return d


def _botid(d: Diagram, row: float) -> None:
    """«Botid nådd»: at T0 + 12 months the institution decides: a longer stay, or discharge."""
    d.add("vent_botid", "exclusiveGateway", "Vent på botiden", I, 2, row)
    d.add("venter_botid", "eventBasedGateway", "Botid eller ny T0", I, 3, row)
    d.add("frist_botid", "intermediateCatchEvent", "Botiden er nådd (T0 + 12 måneder)", I, 4, row,
          event=("timer", 'frist(innflytting, "P12M")'),
          doc=("Botiden på institusjonen er inntil ett år («Fleksibel botid i inntil ett år», Bygdøy mestringsenhet). "
               "Endre perioden her hvis institusjonen har en annen botid."))
    d.add("ny_t0_botid", "intermediateCatchEvent", "Ny innflyttingsdato (T0)", I, 4, row + 0.6,
          event=("signal", T0_SIGNAL[0]), doc="Botiden regnes fra faktisk innflytting.")
    d.add("avklar_botid_igjen", "exclusiveGateway", "Avklar botiden", I, 5, row)
    d.add("avklar_botid", "userTask", "Avklar videre opphold: botiden er nådd", I, 6, row, props=form("botid"),
          doc=("«Fleksibel botid i inntil ett år» (Bygdøy mestringsenhet, 2023). Institusjonen avklarer med beboer og "
               "bydel om oppholdet forlenges til en avtalt dato (FK 1: «… kan det avtales andre tidsrammer»), eller om "
               "beboer skrives ut uten bolig eller til et midlertidig botilbud."))
    d.add("utskrives", "exclusiveGateway", "Skrives beboer ut?", I, 7, row)
    d.add("registrer_utskriving", "scriptTask", "Registrer utskrivingen", I, 8, row,
          script='avslutning = {"arsak": "botid_nadd", "dato": utskrives_dato, "videre": utskrives_til}',
          doc="T1 = utskrivingsdatoen; sluttrapporten regnes fra den.")
    d.add("utskrevet_botid", "endEvent", "Utskrevet: botiden er nådd", I, 9, row, event=("error", "feil_botid_nadd"),
          doc="Avslutter oppholdet (fanges i hovedprosessen) og fører til sluttrapport.")
    d.add("forlenget_botid_nadd", "intermediateCatchEvent", "Forlenget botid er nådd", I, 7, row + 0.6,
          event=("timer", 'frist(botid_forlenget_til, "P0D")'),
          doc="Oppholdet er forlenget til en avtalt dato; når den er passert, avklares det på nytt.")
    d.flow("fv_b0", "alle_frister", "vent_botid")
    d.flow("fv_b1", "vent_botid", "venter_botid")
    d.flow("fv_b2", "venter_botid", "frist_botid")
    d.flow("fv_b3", "venter_botid", "ny_t0_botid")
    d.flow("fv_b4", "frist_botid", "avklar_botid_igjen")
    d.flow("fv_b5", "avklar_botid_igjen", "avklar_botid")
    d.flow("fv_b6", "avklar_botid", "utskrives")
    d.flow("fv_b7", "utskrives", "registrer_utskriving", name="Ja, skrives ut", cond='botid_beslutning == "utskrives"')
    d.flow("fv_b8", "registrer_utskriving", "utskrevet_botid")
    d.flow("fv_b9", "utskrives", "forlenget_botid_nadd", name="Nei, forlenget", default=True)
    # the loop back from the new-T0 catch is drawn by route_watch_loops (ids follow the watch pattern)
