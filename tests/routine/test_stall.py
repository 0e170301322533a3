"""A case can never stall unseen (issue 12): every deadline from T0 is watched from registration.

Through the service, on the session's database (SQLite or PostgreSQL), with the timer worker.
"""
from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta

from engine import cases, clock as engine_clock
from engine.bpmn.deadlines import end_of_day_utc

TODAY = date(2026, 8, 5)
T0 = TODAY - relativedelta(months=7)           # 5 January 2026
FOLLOWED_UP = {"leder_plan_for_oppholdet", "leder_forste_samarbeidsmote", "leder_kartlegging", "leder_statusrapport",
               "leder_boligmote", "leder_soknader"}


def test_a_case_nobody_works_on_gives_each_leader_one_follow_up_per_missed_step(routine, clock):
    # given a case registered today with T0 seven months ago, and nobody completes anything after registration
    clock.at(TODAY.isoformat(), 9)
    case_id = routine.open(T0.isoformat())

    # when the timer worker runs once
    routine.run_timers()

    # then the leaders have one follow-up for each missed step (at least these), in the responsible lane
    open_now = routine.tasks(case_id)
    leaders = {e: t for e, t in open_now.items() if t.role == "leder"}
    assert FOLLOWED_UP <= set(leaders)
    assert {e: leaders[e].lane for e in ("leder_soknader", "leder_statusrapport")} == {
        "leder_soknader": "bydel", "leder_statusrapport": "institusjon"}
    assert all(n == 1 for n in routine.escalations(case_id).values())
    assert leaders["leder_plan_for_oppholdet"].organisation_id == routine.case(case_id).institution_id
    # and the open steps are marked overdue with their own due dates; a step not yet open names what holds it up
    plan = open_now["plan_for_oppholdet"]
    assert plan.overdue_at is not None
    assert engine_clock.as_utc(plan.due_at) == end_of_day_utc(T0 + relativedelta(days=14))
    case = routine.case(case_id)
    assert cases.task_data(case, leaders["leder_boligmote"].id)["frist_holdes_opp_av"] == \
        "Gi samtykke til informasjonsdeling"
    missed = {e.element_id for e in routine.events(case_id, "deadline.overdue")}
    assert {"plan_for_oppholdet", "boligmote", "soknader"} <= missed

    # when the worker runs again, a day later
    before = routine.escalations(case_id)
    clock.at((TODAY + relativedelta(days=1)).isoformat(), 9)
    routine.run_timers()

    # then nothing is escalated again
    assert routine.escalations(case_id) == before
    assert sum(before.values()) == len(before)


def test_a_step_that_opens_after_its_deadline_passed_is_overdue_from_the_start(routine, clock):
    # given the start phase was done late and the statusrapport deadline (T0 + 4 months) has passed
    clock.at("2026-05-10", 9)
    case_id = routine.open("2026-01-05")
    routine.run_timers()
    assert "leder_statusrapport" in routine.tasks(case_id)
    # when the start phase is finally done, the statusrapport opens
    for element in ("innflytting_registrert", "samtykke", "livskvalitet", "bydelskontakter", "kartlegging",
                    "plan_for_oppholdet"):
        routine.complete(case_id, element)
    routine.complete(case_id, "forste_samarbeidsmote", motedato="2026-05-10")
    # then it is overdue from the moment it opens, with the deadline it missed, and not escalated twice
    statusrapport = routine.task(case_id, "statusrapport")
    assert statusrapport.overdue_at is not None
    assert engine_clock.as_utc(statusrapport.due_at) == end_of_day_utc(date(2026, 5, 5))
    assert routine.escalations(case_id)["leder_statusrapport"] == 1


def test_a_late_step_and_an_undated_step_opening_together_are_both_projected(routine, clock):
    # given a case registered months after T0 (found by the HTTP bench: one overdue step and one without
    # a deadline opening in the same completion gave the task projection two parameter shapes → 500)
    clock.at("2026-11-28", 9)
    case_id = routine.open("2026-01-05")
    routine.run_timers()
    for element in ("innflytting_registrert", "samtykke", "livskvalitet", "bydelskontakter", "kartlegging",
                    "plan_for_oppholdet"):
        routine.complete(case_id, element)
    # when the first meeting is recorded as held back in January, the statusrapport (deadline passed)
    # and the next samarbeidsmøte (two months after that meeting: due long ago, no deadline) open together
    routine.complete(case_id, "forste_samarbeidsmote", motedato="2026-01-29")
    # then both are open: the statusrapport overdue with the deadline it missed, the meeting without one
    open_now = routine.tasks(case_id)
    assert open_now["statusrapport"].overdue_at is not None
    assert engine_clock.as_utc(open_now["statusrapport"].due_at) == end_of_day_utc(date(2026, 5, 5))
    assert open_now["samarbeidsmote_institusjon"].overdue_at is None
