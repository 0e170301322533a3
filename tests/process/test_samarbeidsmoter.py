"""The recurring samarbeidsmøte (issues 4, 12): about every two months from the previous meeting — a
boligmøte or utflyttingsmøte counts as one; the institution convenes until a dwelling is offered, the
bydel from then on; it stops at utflytting."""
from __future__ import annotations

from tests.process import case as walk
from tests.process.case import utc


def test_institution_convenes_before_bolig_tilbudt_and_bydel_after(case):
    c = case
    walk.oppstart(c)                                           # first meeting 29 January
    c.goto("2026-03-29", 23, 59)
    assert "samarbeidsmote_institusjon" not in c.open()
    c.goto("2026-03-30", 0, 1)                                 # two calendar months later, from midnight
    assert c.open()["samarbeidsmote_institusjon"] == "institusjon"
    c.complete("samarbeidsmote_institusjon", motedato="2026-03-30")
    assert c.timers()["venter_pa_mote"].due == utc("2026-05-30T22:00:00+00:00")

    walk.evaluering_april(c)
    walk.statusrapport(c)
    walk.boligmote(c)                                          # 20 May: the boligmøte is a samarbeidsmøte
    assert c.timers()["venter_pa_mote"].due == utc("2026-07-20T22:00:00+00:00")
    walk.soknader(c)
    walk.bolig_tilbudt(c, dato="2026-05-28")
    # from the offer, the bydel convenes; the next regular meeting counts from the offer …
    assert c.open() == {"utflyttingsmote": "bydel"}
    assert c.timers()["venter_pa_mote"].due == utc("2026-07-28T22:00:00+00:00")
    walk.utflyttingsmote(c)                                    # … and then from the utflyttingsmøte (1 June)
    assert c.timers()["venter_pa_mote"].due == utc("2026-08-01T22:00:00+00:00")
    c.goto("2026-08-02")                                       # still living at the institution
    assert c.open()["samarbeidsmote_bydel"] == "bydel"
    assert "samarbeidsmote_institusjon" not in c.open()


def test_pending_institution_meeting_passes_to_the_bydel_when_a_dwelling_is_offered(case):
    c = case
    walk.run_until(c, walk.evaluering_april)
    c.goto("2026-05-31")                                       # regular meeting due (30 May) and not yet held
    assert c.open()["samarbeidsmote_institusjon"] == "institusjon"
    walk.bolig_tilbudt(c, dato="2026-06-01")
    assert "samarbeidsmote_institusjon" not in c.open()
    assert c.open()["utflyttingsmote"] == "bydel"              # the bydel convenes the utflyttingsmøte at once


def test_meetings_stop_at_utflytting_and_when_agreed(case):
    c = case
    walk.oppstart(c)
    c.goto("2026-03-30")
    c.complete("samarbeidsmote_institusjon", motedato="2026-03-30", faste_moter_avsluttes=True)
    assert "venter_pa_mote" not in c.timers()
    c.goto("2026-06-30")
    assert "samarbeidsmote_institusjon" not in c.open()
