"""The deadline watch from T0 («Fristvakt fra innflytting», issue 12): armed at registration whatever
the earlier steps do, re-armed by the actual T0, one follow-up per missed step that names what holds
the step up, and quiet for a step that is done or no longer needed."""
from __future__ import annotations

import time_machine

from tests.process import case as walk
from tests.process.case import Case, oslo, utc
from tests.process.examples import henvisning

T0_WATCHES = {"leder_innflytting", "leder_samtykke", "leder_bydelskontakter", "leder_plan_for_oppholdet",
              "leder_kartlegging", "leder_forste_samarbeidsmote", "leder_statusrapport", "leder_boligmote",
              "leder_soknader"}


def _leaders(c: Case) -> list[str]:
    return sorted(t.element_id for t in c.leaders())


def test_a_case_nobody_works_on_escalates_every_t0_deadline_exactly_once():
    # given a case registered today with T0 seven months back, and nobody completes anything
    with time_machine.travel(oslo("2026-08-05"), tick=False) as tm:
        c = Case(tm, henvisning(innflytting="2026-01-05"))
        # when the timers run
        c.eng.wake(c.wf)
        # then each missed step has one follow-up in the responsible organisation's leader lane
        assert _leaders(c) == sorted(T0_WATCHES)
        assert {t.element_id: t.lane for t in c.leaders()}["leder_soknader"] == "bydel"
        # and a step that has not opened names the earlier step that holds it up
        named = {t.element_id: c.eng.task_data(c.wf, t.id)["frist_holdes_opp_av"] for t in c.leaders()}
        assert named["leder_statusrapport"] == "Gi samtykke til informasjonsdeling"
        assert named["leder_soknader"] == "Gi samtykke til informasjonsdeling"
        assert named["leder_kartlegging"] == ""                 # open itself: nothing holds it up
        # and a second run, a day later, escalates nothing again
        c.goto("2026-08-06")
        assert _leaders(c) == sorted(T0_WATCHES)


def test_the_follow_up_names_the_step_that_is_open_before_it():
    with time_machine.travel(oslo("2026-01-05"), tick=False) as tm:
        c = Case(tm)
        walk.run_until(c, walk.evaluering_april)
        c.goto("2026-05-01")
        c.complete("statusrapport")
        # given the bydel has not assessed the statusrapport by T0 + 5 months
        c.goto("2026-06-06", 0, 1)
        (leader,) = [t for t in c.leaders() if t.element_id == "leder_boligmote"]
        assert c.eng.task_data(c.wf, leader.id)["frist_holdes_opp_av"] == "Vurder statusrapporten"
        assert "boligmote" not in c.open()


def test_actual_t0_moves_the_t0_deadlines_that_are_still_ahead():
    with time_machine.travel(oslo("2026-01-05"), tick=False) as tm:
        c = Case(tm)
        # when the institution registers that the resident moved in three days later than planned
        c.goto("2026-01-08", 10)
        c.complete("innflytting_registrert", innflytting="2026-01-08")
        # then the innflytting deadline (the planned T0) had passed and was followed up once, and stays so
        assert _leaders(c) == ["leder_innflytting"]
        # and every deadline still ahead counts from the actual T0
        assert c.deadlines() == {
            "samtykke": utc("2026-01-15T23:00:00+00:00"), "bydelskontakter": utc("2026-01-15T23:00:00+00:00"),
            "plan_for_oppholdet": utc("2026-01-22T23:00:00+00:00"), "kartlegging": utc("2026-02-05T23:00:00+00:00"),
            "forste_samarbeidsmote": utc("2026-02-05T23:00:00+00:00"), "statusrapport": utc("2026-05-08T22:00:00+00:00"),
            "boligmote": utc("2026-06-08T22:00:00+00:00"), "soknader": utc("2026-07-08T22:00:00+00:00")}
        assert c.timers()["venter_botid"].due == utc("2027-01-08T23:00:00+00:00")
        # the old date passes without a follow-up; the new one gives one
        c.goto("2026-01-13", 0, 1)
        assert _leaders(c) == ["leder_innflytting"]
        c.goto("2026-01-16", 0, 1)
        assert _leaders(c) == ["leder_bydelskontakter", "leder_innflytting", "leder_samtykke"]


def test_same_t0_as_planned_moves_nothing(case):
    c = case
    before = c.deadlines()
    c.complete("innflytting_registrert", innflytting="2026-01-05")
    assert c.deadlines() == {k: v for k, v in before.items() if k != "innflytting_registrert"}


def test_a_done_step_is_no_deadline_and_its_watch_stays_quiet(case):
    c = case
    walk.oppstart(c)
    assert "kartlegging" not in c.deadlines()
    c.goto("2026-02-03", 0, 1)                   # the watch fires, finds the step done, ends
    assert not c.leaders()


def test_an_offer_makes_the_housing_deadlines_unnecessary(case):
    c = case
    walk.oppstart(c)
    walk.bolig_tilbudt(c, dato="2026-02-10")
    assert set(c.deadlines()) == {"utflyttingsmote"}
    c.goto("2026-07-06", 0, 1)                    # T0 + 6 months: no follow-up for steps not needed
    assert not [t for t in c.leaders() if t.element_id in {"leder_statusrapport", "leder_boligmote",
                                                             "leder_soknader"}]
