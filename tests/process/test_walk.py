"""One whole case on time: referral → … → oppfølgingsmøte → end, with no escalation (issue 4)."""
from __future__ import annotations

from tests.process import case as walk
from tests.process.case import utc


def test_whole_case_on_time(case):
    c = case
    # T0: everything of the start phase is open at once, in its lane, with its deadlines armed
    assert c.open() == {
        "samtykke": "beboer", "bydelskontakter": "bydel", "innflytting_registrert": "institusjon",
        "kartlegging": "institusjon", "plan_for_oppholdet": "institusjon", "forste_samarbeidsmote": "institusjon"}
    assert c.deadlines() == {"plan_for_oppholdet": utc("2026-01-19T23:00:00+00:00"),
                             "forste_samarbeidsmote": utc("2026-02-02T23:00:00+00:00")}
    assert c.eng.waiting_messages(c.wf) == ["opphold_avsluttet"]

    walk.oppstart(c)
    assert c.open() == {"statusrapport": "institusjon"}
    assert c.deadlines() == {"statusrapport": utc("2026-05-05T22:00:00+00:00")}   # T0 + 4 months, CEST
    meeting = c.timers()["to_maneder_siden_mote"]
    assert meeting.due == utc("2026-03-29T22:00:00+00:00")                          # first meeting + 2 months
    assert not c.leaders()

    walk.samarbeidsmote_mars(c)
    assert c.open() == {"statusrapport": "institusjon"}
    assert c.timers()["to_maneder_siden_mote"].due == utc("2026-05-30T22:00:00+00:00")

    walk.statusrapport(c)
    assert c.open() == {"boligmote": "institusjon"}
    assert c.deadlines() == {"boligmote": utc("2026-06-05T22:00:00+00:00")}

    walk.boligmote(c)
    assert c.open() == {"soknader": "bydel"}
    assert c.deadlines() == {"soknader": utc("2026-07-05T22:00:00+00:00")}

    walk.soknader(c)
    assert c.open() == {}
    assert c.deadlines() == {}
    assert c.eng.waiting_messages(c.wf) == ["bolig_tilbudt", "opphold_avsluttet"]

    walk.bolig_tilbudt(c)                       # Thursday 28 May
    assert c.open() == {"utflyttingsmote": "bydel"}
    # «straks»: five days, rolled to a working day -> Tuesday 2 June
    assert c.deadlines() == {"utflyttingsmote": utc("2026-06-02T22:00:00+00:00")}
    assert c.timers()["to_maneder_siden_mote"].due == utc("2026-07-28T22:00:00+00:00")

    walk.utflyttingsmote(c)
    assert c.open() == {"utflyttingsplan": "bydel", "kriseplan": "beboer"}

    walk.forbered_utflytting(c)
    assert c.open() == {"utflytting": "institusjon"}

    walk.utflytting(c)
    assert c.open() == {"sluttrapport": "institusjon", "oppfolgingsmote": "bydel"}
    assert c.deadlines() == {"sluttrapport": utc("2026-07-06T22:00:00+00:00"),     # T1 + 3 weeks
                             "oppfolgingsmote": utc("2026-07-13T22:00:00+00:00")}  # T1 + 4 weeks
    assert "to_maneder_siden_mote" not in c.timers()                                # meetings stop at T1
    assert c.eng.waiting_messages(c.wf) == []

    c.goto("2026-07-01")
    c.complete("sluttrapport")
    assert c.open() == {"oppfolgingsmote": "bydel"}
    c.goto("2026-07-10")
    c.complete("oppfolgingsmote")
    assert c.open() == {}
    assert c.timers() == {}
    assert c.done()


def test_insufficient_statusrapport_leads_to_joint_assessment(case):
    c = case
    walk.oppstart(c)
    walk.samarbeidsmote_mars(c)
    c.goto("2026-04-20")
    c.complete("statusrapport")
    c.complete("vurder_statusrapport", statusrapport_tilstrekkelig=False, statusrapport_mangler="Mangler økonomi")
    assert c.open() == {"felles_kartlegging": "bydel"}
    c.complete("felles_kartlegging")
    assert c.open() == {"boligmote": "institusjon"}
    assert not c.leaders()
