"""«Bolig tilbudt» at any time after T0 (FK 3.1, issue 12): the bydel convenes from then on, the
utflyttingsmøte opens at once with its deadline, and housing work still open is no longer needed."""
from __future__ import annotations

import time_machine

from tests.process import case as walk
from tests.process.case import Case, oslo, utc


def test_an_offer_one_month_after_t0_opens_the_utflyttingsmote_at_once_with_the_bydel_convening(case):
    c = case
    # given the start phase is still running a month after T0
    c.goto("2026-02-05")
    assert "bolig_tilbudt" in c.eng.waiting_messages(c.wf)
    # when a dwelling is offered
    assert c.deliver("bolig_tilbudt", {"dato": "2026-02-05", "bolig": "Kommunal leilighet"})
    # then the utflyttingsmøte is open at once in the bydel's lane, due five days later (a working day)
    meeting = c.task("utflyttingsmote")
    assert meeting.lane == "bydel"
    assert c.deadlines()["utflyttingsmote"] == utc("2026-02-10T23:00:00+00:00")
    # and once the start phase is done, the regular meetings are the bydel's, and no housing work starts
    for element in ("innflytting_registrert", "samtykke", "livskvalitet", "bydelskontakter", "kartlegging",
                    "plan_for_oppholdet"):
        c.complete(element)
    c.complete("forste_samarbeidsmote", motedato="2026-02-06")
    assert "statusrapport" not in c.open()
    c.complete("utflyttingsmote", utflyttingsmote_dato="2026-02-09", planlagt_utflytting="2026-04-15")
    c.goto("2026-04-10")                                    # two months after the utflyttingsmøte
    assert c.open().get("samarbeidsmote_bydel") == "bydel"
    assert "samarbeidsmote_institusjon" not in c.open()


def test_an_open_soknader_task_is_closed_as_no_longer_needed(case):
    c = case
    walk.run_until(c, walk.boligmote)
    assert c.open() == {"soknader": "bydel"}
    walk.bolig_tilbudt(c, dato="2026-05-22")
    assert c.open() == {"utflyttingsmote": "bydel"}
    assert "soknader" not in c.deadlines()


def test_an_offer_before_t0_is_not_waited_for():
    with time_machine.travel(oslo("2026-01-01"), tick=False) as tm:
        c = Case(tm)                                         # planned T0 is 5 January
        assert c.open() == {}
        assert not c.deliver("bolig_tilbudt", {"dato": "2026-01-02"})
        c.goto("2026-01-05", 0, 1)
        assert "bolig_tilbudt" in c.eng.waiting_messages(c.wf)
