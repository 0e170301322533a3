"""Evaluation every three months with a deadline, the plan kept per revision, and the actual T0
moving the T0 deadlines (issue 12, items 3 and 6), through the service on the session's database."""
from __future__ import annotations

from datetime import date

import pytest

from engine.bpmn.deadlines import end_of_day_utc
from engine.web import casepage
from tests.routine.helpers import start_phase_on_time


def test_evaluations_come_every_three_months_and_a_missed_one_escalates_once(routine, clock):
    # given the plan started on 15 January
    clock.at("2026-01-05", 9)
    case_id = routine.open("2026-01-05")
    start_phase_on_time(routine, clock, case_id)
    # when two weeks remain of three months, the evaluation opens, due 15 April
    clock.at("2026-03-30", 0, 1)
    routine.run_timers()
    assert routine.deadlines(case_id)["evaluer_plan"] == end_of_day_utc(date(2026, 4, 15))
    clock.at("2026-04-10", 10)
    routine.complete(case_id, "evaluer_plan", evaluering_dato="2026-04-10", plan_endringer="Nytt mål om økonomi.")
    # then the next one counts from this evaluation: open from 25 June, due 10 July
    clock.at("2026-06-25", 0, 1)
    routine.run_timers()
    assert routine.deadlines(case_id)["evaluer_plan"] == end_of_day_utc(date(2026, 7, 10))
    # when nobody evaluates, the institution's leader gets one follow-up; the evaluation stays open
    clock.at("2026-07-11", 0, 1)
    routine.run_timers()
    clock.at("2026-07-20", 9)
    routine.run_timers()
    assert routine.escalations(case_id)["leder_evaluer_plan"] == 1
    assert routine.task(case_id, "leder_evaluer_plan").lane == "institusjon"
    assert "evaluer_plan" in routine.tasks(case_id)
    # and each revision of the plan is kept and shown as it was answered
    routine.complete(case_id, "evaluer_plan", evaluering_dato="2026-07-20", plan_endringer="Mål om arbeid lagt til.")
    answers = [a for a in casepage.view(routine.case(case_id), routine.actors[("institusjon", None)])["answers"] if a.title == "Evaluer tiltakene og revider planen"]
    shown = [{f.name: f.value for f in a.fields}["plan_endringer"] for a in answers]
    assert shown == ["Nytt mål om økonomi.", "Mål om arbeid lagt til."]


def test_the_actual_t0_moves_the_t0_deadlines_still_ahead_with_an_audit_event(routine, clock):
    # given a case with planned T0 on 5 January
    clock.at("2026-01-02", 9)
    case_id = routine.open("2026-01-05")
    assert routine.deadlines(case_id)["plan_for_oppholdet"] == end_of_day_utc(date(2026, 1, 19))
    # when the institution registers on 7 January that the resident moved in that day
    clock.at("2026-01-07", 11)
    routine.run_timers()
    routine.complete(case_id, "innflytting_registrert", innflytting="2026-01-07")
    # then the deadlines still ahead count from the actual T0, each move in the log with old and new due
    after = routine.deadlines(case_id)
    assert after["plan_for_oppholdet"] == end_of_day_utc(date(2026, 1, 21))
    assert after["soknader"] == end_of_day_utc(date(2026, 7, 7))
    moved = {e.data["deadline"]: e.data for e in routine.events(case_id, "deadline.changed")}
    assert set(moved) == {"samtykke", "bydelskontakter", "plan_for_oppholdet", "kartlegging", "forste_samarbeidsmote",
                          "statusrapport", "boligmote", "soknader"}
    assert (moved["plan_for_oppholdet"]["old_due_at"], moved["plan_for_oppholdet"]["new_due_at"]) == (
        end_of_day_utc(date(2026, 1, 19)).isoformat(), end_of_day_utc(date(2026, 1, 21)).isoformat())
    page = casepage.view(routine.case(case_id), routine.actors[("institusjon", None)])
    assert any("fristen for «Start plan for oppholdet»" in text for _, text in page["timeline"])
    # and the case shows the actual T0, also after a task of another branch (which knew the planned one) is done
    routine.complete(case_id, "kartlegging")
    assert routine.case(case_id).anchors["innflytting"] == "2026-01-07"
    # and the innflytting deadline (the planned T0) had passed: followed up once, not moved
    assert routine.escalations(case_id)["leder_innflytting"] == 1
    assert "innflytting" not in moved


def test_a_watched_deadline_can_be_moved_by_its_own_organisation_before_the_step_opens(routine, clock):
    from engine.errors import Forbidden
    from engine.timers import deadline_changes
    # given the statusrapport deadline is watched from T0, the step not open yet
    clock.at("2026-01-05", 9)
    case_id = routine.open("2026-01-05")
    assert "statusrapport" not in routine.tasks(case_id)
    # when the bydel tries to move it, it is refused: the step is the institution's
    with pytest.raises(Forbidden):
        deadline_changes.move_deadline(routine.actors[("bydel", None)], case_id, "statusrapport", "2026-06-01", "Avtalt")
    # then the institution may, with a reason, and the watch fires at the new date
    deadline_changes.move_deadline(routine.actors[("institusjon", None)], case_id, "statusrapport", "2026-06-01",
                                   "Avtalt i første samarbeidsmøte.")
    assert routine.deadlines(case_id)["statusrapport"] == end_of_day_utc(date(2026, 6, 1))
    clock.at("2026-05-10", 9)
    routine.run_timers()
    assert routine.escalations(case_id)["leder_statusrapport"] == 0
    clock.at("2026-06-02", 0, 1)
    routine.run_timers()
    assert routine.escalations(case_id)["leder_statusrapport"] == 1
