"""Evaluation at least every three months (Oslostandard tiltak 7) with the plan revised as a living
document (FK 2.2, issue 12): each opens two weeks before its deadline, counted from the previous one."""
from __future__ import annotations

from tests.process import case as walk
from tests.process.case import utc


def test_evaluations_come_every_three_months_from_the_previous_one(case):
    c = case
    walk.oppstart(c)                                             # plan started 15 January
    c.goto("2026-03-29", 23, 59)
    assert "evaluer_plan" not in c.open()
    c.goto("2026-03-30", 0, 1)
    assert c.open()["evaluer_plan"] == "institusjon"
    assert c.deadlines()["evaluer_plan"] == utc("2026-04-15T22:00:00+00:00")
    # the revision form starts from the plan as it stands
    data = c.eng.task_data(c.wf, c.task("evaluer_plan").id)
    assert data["plan_mal"][0]["mal"] == "Egen bolig"
    c.goto("2026-04-10")
    c.complete("evaluer_plan", evaluering_dato="2026-04-10")
    assert c.timers()["snart_evaluering"].due == utc("2026-06-24T22:00:00+00:00")   # 10 April + 2 m 2 w
    c.goto("2026-06-25", 0, 1)
    assert c.deadlines()["evaluer_plan"] == utc("2026-07-10T22:00:00+00:00")         # 10 April + 3 months
    revised = c.eng.task_data(c.wf, c.task("evaluer_plan").id)["plan_mal"]
    assert [m["mal"] for m in revised] == ["Egen bolig", "Nedbetalingsplan for gjeld"]


def test_a_missed_evaluation_escalates_once_and_the_next_counts_from_when_it_was_done(case):
    c = case
    walk.oppstart(c)
    c.goto("2026-04-16", 0, 1)
    assert [t.element_id for t in c.leaders()] == ["leder_evaluer_plan"]
    c.goto("2026-05-01")
    assert [t.element_id for t in c.leaders()] == ["leder_evaluer_plan"]
    c.complete("evaluer_plan", evaluering_dato="2026-05-01")
    assert c.timers()["snart_evaluering"].due == utc("2026-07-15T22:00:00+00:00")
