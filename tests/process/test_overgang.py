"""The transition phase (FK 3, 3.3, issue 12): after T1 the institution stays a party for four weeks,
or for the period of the overgangsavtale in the utflyttingsplan; sluttrapport and oppfølgingsmøte keep
their own deadlines."""
from __future__ import annotations

import pytest

from tests.process import case as walk
from tests.process.case import utc

AVTALE = {"behov": True, "omfang": "Kan ringe og komme innom.", "varighet_uker": 8}


@pytest.mark.parametrize("avtale,end", [
    ({"behov": False}, "2026-07-13T22:00:00+00:00"),             # T1 15 June + 4 weeks
    (AVTALE, "2026-08-10T22:00:00+00:00"),                        # T1 + 8 weeks
], ids=["fire-uker", "overgangsavtale-8-uker"])
def test_the_institutions_part_ends_after_four_weeks_or_the_agreed_period(case, avtale, end):
    c = case
    walk.run_until(c, walk.utflyttingsmote)
    c.goto("2026-06-05")
    c.complete("utflyttingsplan", overgangsavtale=avtale)
    c.complete("kriseplan")
    walk.utflytting(c)
    assert c.timers()["overgang_over"].due == utc(end)
    c.goto("2026-07-01")
    c.complete("sluttrapport")
    c.goto("2026-07-10")
    c.complete("oppfolgingsmote")
    assert not c.done()                                           # the institution is still a party
    due = utc(end).astimezone(walk.OSLO)
    c.goto(due.date().isoformat(), 0, 1)
    assert c.done()


def test_sluttrapport_and_oppfolgingsmote_keep_their_deadlines_in_a_long_transition(case):
    c = case
    walk.run_until(c, walk.utflyttingsmote)
    c.goto("2026-06-05")
    c.complete("utflyttingsplan", overgangsavtale=AVTALE)
    c.complete("kriseplan")
    walk.utflytting(c)
    c.goto("2026-07-14", 0, 1)                                     # both deadlines passed, nothing done
    assert {t.element_id for t in c.leaders()} == {"leder_sluttrapport", "leder_oppfolgingsmote"}
    assert "overgang_over" in c.timers()                            # the part has not ended yet
