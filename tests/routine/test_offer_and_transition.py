"""The offer at any time after T0, and the transition phase after T1 (issue 12, items 4 and 5), through
the service on the session's database."""
from __future__ import annotations

from datetime import date

import pytest

from engine import clock as engine_clock
from engine.bpmn.deadlines import end_of_day_utc
from engine.web import casepage
from tests.routine.helpers import start_phase_on_time, to_boligmote, to_moving_out


def test_an_offer_a_month_after_t0_opens_the_utflyttingsmote_at_once_with_the_bydel_convening(routine, clock):
    # given a case at T0 + 1 month, start phase still running
    clock.at("2026-01-05", 9)
    case_id = routine.open("2026-01-05")
    routine.complete(case_id, "innflytting_registrert")
    clock.at("2026-02-05", 9)
    routine.run_timers()
    # when a dwelling is offered
    routine.offer(case_id, "2026-02-05")
    # then the utflyttingsmøte is open at once, the bydel's task, with its deadline (five days, a working day)
    meeting = routine.task(case_id, "utflyttingsmote")
    case = routine.case(case_id)
    assert (meeting.lane, meeting.organisation_id) == ("bydel", case.bydel_id)
    assert engine_clock.as_utc(meeting.due_at) == end_of_day_utc(date(2026, 2, 10))
    assert routine.deadlines(case_id)["utflyttingsmote"] == end_of_day_utc(date(2026, 2, 10))
    # and the regular meetings are the bydel's once the start phase is done; no housing work is started
    for element in ("samtykke", "livskvalitet", "bydelskontakter", "kartlegging", "plan_for_oppholdet"):
        routine.complete(case_id, element, **({"plan_startet": "2026-02-05"} if element == "plan_for_oppholdet" else {}))
    routine.complete(case_id, "forste_samarbeidsmote", motedato="2026-02-05")
    routine.complete(case_id, "utflyttingsmote", utflyttingsmote_dato="2026-02-06", planlagt_utflytting="2026-05-01")
    clock.at("2026-04-07", 9)                                 # two months after the utflyttingsmøte
    routine.run_timers()
    open_now = routine.tasks(case_id)
    assert open_now["samarbeidsmote_bydel"].organisation_id == case.bydel_id
    assert "samarbeidsmote_institusjon" not in open_now and "statusrapport" not in open_now


def test_an_open_soknader_task_is_closed_as_no_longer_needed_and_audited(routine, clock):
    clock.at("2026-01-05", 9)
    case_id = routine.open("2026-01-05")
    to_boligmote(routine, clock, case_id)
    assert "soknader" in routine.tasks(case_id)
    # when the offer comes while the søknader are still open
    clock.at("2026-05-22", 10)
    routine.offer(case_id, "2026-05-22")
    # then the søknader task is closed, the log says it was no longer needed, and it is no deadline any more
    assert "soknader" not in routine.tasks(case_id)
    assert "soknader" in [e.element_id for e in routine.events(case_id, "task.cancelled")]
    page = casepage.view(routine.case(case_id), routine.actors[("institusjon", None)])
    assert any("Send søknader og henvisninger» ble lukket uten å bli gjort" in text for _, text in page["timeline"])
    assert "soknader" not in routine.deadlines(case_id)
    clock.at("2026-07-06", 10)                                # T0 + 6 months passes: no follow-up
    routine.run_timers()
    assert routine.escalations(case_id)["leder_soknader"] == 0


@pytest.mark.parametrize("avtale,last_day", [
    (None, date(2026, 7, 13)),                                                      # T1 15 June + 4 weeks
    ({"behov": True, "omfang": "Kan ringe og komme innom.", "varighet_uker": 8}, date(2026, 8, 10)),  # + 8 weeks
], ids=["fire-uker", "overgangsavtale-8-uker"])
def test_the_institutions_part_ends_four_weeks_after_t1_or_after_the_agreed_period(routine, clock, avtale, last_day):
    # given a case moved out on T1 = 15 June, sluttrapport and oppfølgingsmøte done on time
    clock.at("2026-01-05", 9)
    case_id = routine.open("2026-01-05")
    start_phase_on_time(routine, clock, case_id)
    to_moving_out(routine, clock, case_id, avtale or {"behov": False})
    clock.at("2026-07-01", 10)
    routine.complete(case_id, "sluttrapport")
    clock.at("2026-07-10", 10)
    routine.complete(case_id, "oppfolgingsmote")
    # when the last day of the transition has not passed yet, the institution is still a party
    clock.at(last_day.isoformat(), 23, 59)
    routine.run_timers()
    assert routine.case(case_id).status == "running"
    assert not routine.events(case_id, "milestone.reached")[-1].element_id == "institusjonens_del_avsluttet"
    # then from the midnight after it, its part has ended: on the case and in its timeline
    clock.at((last_day.replace(day=last_day.day + 1)).isoformat(), 0, 1)
    routine.run_timers()
    case = routine.case(case_id)
    assert case.status == "completed"
    (ended,) = [e for e in routine.events(case_id, "milestone.reached") if e.element_id == "institusjonens_del_avsluttet"]
    assert engine_clock.as_utc(ended.at) > end_of_day_utc(last_day)
    page = casepage.view(case, routine.actors[("institusjon", None)])
    assert "Institusjonens del er avsluttet" in [m.title for m in page["milestones"]]
    assert any(text == "Institusjonens del er avsluttet." for _, text in page["timeline"])
    assert not routine.escalations(case_id)
