"""One whole case on time: registration → T0 → … → T1 → transition → end, with no escalation (issues 4, 12)."""
from __future__ import annotations

from tests.process import case as walk
from tests.process.case import utc

T0_DEADLINES = {
    "innflytting_registrert": utc("2026-01-05T23:00:00+00:00"),   # T0 itself
    "samtykke": utc("2026-01-12T23:00:00+00:00"),                 # T0 + 7 days
    "bydelskontakter": utc("2026-01-12T23:00:00+00:00"),
    "plan_for_oppholdet": utc("2026-01-19T23:00:00+00:00"),       # T0 + 14 days
    "kartlegging": utc("2026-02-02T23:00:00+00:00"),              # before the first meeting: T0 + 4 weeks
    "forste_samarbeidsmote": utc("2026-02-02T23:00:00+00:00"),
    "statusrapport": utc("2026-05-05T22:00:00+00:00"),            # T0 + 4 months (CEST)
    "boligmote": utc("2026-06-05T22:00:00+00:00"),                # T0 + 5 months
    "soknader": utc("2026-07-05T22:00:00+00:00"),                 # T0 + 6 months
}


def test_whole_case_on_time(case):
    c = case
    # given a case registered on T0: the start phase is open, every T0 deadline is armed, the offer is awaited
    assert c.open() == {
        "samtykke": "beboer", "bydelskontakter": "bydel", "innflytting_registrert": "institusjon",
        "kartlegging": "institusjon", "plan_for_oppholdet": "institusjon", "forste_samarbeidsmote": "institusjon"}
    assert c.deadlines() == T0_DEADLINES
    assert c.eng.waiting_messages(c.wf) == ["bolig_tilbudt", "opphold_avsluttet"]
    assert c.timers()["venter_botid"].due == utc("2027-01-05T23:00:00+00:00")       # botid: T0 + 12 months

    # when the start phase is done on time: a done step's deadline is no deadline any more
    walk.oppstart(c)
    assert c.open() == {"statusrapport": "institusjon"}
    assert c.deadlines() == {k: T0_DEADLINES[k] for k in ("statusrapport", "boligmote", "soknader")}
    assert c.timers()["venter_pa_mote"].due == utc("2026-03-29T22:00:00+00:00")      # first meeting + 2 months
    assert c.timers()["snart_evaluering"].due == utc("2026-03-29T22:00:00+00:00")    # plan + 2 months 2 weeks
    assert not c.leaders()

    walk.samarbeidsmote_mars(c)
    assert c.open() == {"statusrapport": "institusjon", "evaluer_plan": "institusjon"}
    assert c.deadlines()["evaluer_plan"] == utc("2026-04-15T22:00:00+00:00")         # plan + 3 months
    walk.evaluering_april(c)
    assert c.timers()["snart_evaluering"].due == utc("2026-06-15T22:00:00+00:00")    # from the evaluation

    walk.statusrapport(c)
    assert c.open() == {"boligmote": "institusjon"}
    walk.boligmote(c)                           # a samarbeidsmøte: the next regular one counts from it
    assert c.open() == {"soknader": "bydel"}
    assert c.timers()["venter_pa_mote"].due == utc("2026-07-20T22:00:00+00:00")
    walk.soknader(c)
    assert c.open() == {} and c.deadlines() == {}

    walk.bolig_tilbudt(c)                       # Thursday 28 May
    assert c.open() == {"utflyttingsmote": "bydel"}
    assert c.deadlines() == {"utflyttingsmote": utc("2026-06-02T22:00:00+00:00")}  # five days, a working day
    walk.utflyttingsmote(c)                     # 1 June, planned T1 15 June
    assert c.open() == {"utflyttingsplan": "bydel", "kriseplan": "beboer"}
    assert c.deadlines() == {"utflyttingsplan": utc("2026-06-15T22:00:00+00:00"),   # before T1
                             "kriseplan": utc("2026-06-15T22:00:00+00:00")}
    assert c.timers()["venter_pa_mote"].due == utc("2026-08-01T22:00:00+00:00")     # from the utflyttingsmøte

    walk.forbered_utflytting(c)
    assert c.open() == {"utflytting": "institusjon"}
    walk.utflytting(c)
    assert c.open() == {"sluttrapport": "institusjon", "oppfolgingsmote": "bydel"}
    assert c.deadlines() == {"sluttrapport": utc("2026-07-06T22:00:00+00:00"),     # T1 + 3 weeks
                             "oppfolgingsmote": utc("2026-07-13T22:00:00+00:00")}  # T1 + 4 weeks
    assert c.timers()["overgang_over"].due == utc("2026-07-13T22:00:00+00:00")      # the institution's part
    assert set(c.timers()) == {"frist_sluttrapport", "frist_oppfolgingsmote", "overgang_over"}
    assert c.eng.waiting_messages(c.wf) == []

    c.goto("2026-07-01")
    c.complete("sluttrapport")
    c.goto("2026-07-10")
    c.complete("oppfolgingsmote")
    assert c.open() == {} and not c.done()      # the institution is still a party until T1 + 4 weeks
    c.goto("2026-07-14", 0, 1)
    assert c.timers() == {} and c.done()
    assert not c.leaders()


def test_insufficient_statusrapport_leads_to_joint_assessment(case):
    c = case
    walk.run_until(c, walk.evaluering_april)
    c.goto("2026-04-20")
    c.complete("statusrapport")
    c.complete("vurder_statusrapport", statusrapport_tilstrekkelig=False, statusrapport_mangler="Mangler økonomi")
    assert c.open() == {"felles_kartlegging": "bydel"}
    c.complete("felles_kartlegging")
    assert c.open() == {"boligmote": "institusjon"}
    assert not c.leaders()
