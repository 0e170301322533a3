"""Each deadline passes: the leader of the responsible organisation gets one follow-up task and the
step stays open (issues 4, 12). Deadlines from T0 are watches armed at registration; the others are
timers on the task, armed when the anchor (offer, planned T1, T1, last evaluation) is known."""
from __future__ import annotations

import pytest
import time_machine

from engine.bpmn.timers import parse_due
from tests.process import case as walk
from tests.process.case import Case, oslo, utc
from tests.process.examples import henvisning

# (host element id, deadline key, leader task, stage that opens the host, due, lane of the leader's task)
DEADLINES = [
    ("innflytting_registrert", "innflytting", "leder_innflytting", None, "2026-01-05T23:00:00+00:00", "institusjon"),
    ("samtykke", "samtykke", "leder_samtykke", None, "2026-01-12T23:00:00+00:00", "bydel"),
    ("bydelskontakter", "bydelskontakter", "leder_bydelskontakter", None, "2026-01-12T23:00:00+00:00", "bydel"),
    ("plan_for_oppholdet", "plan_for_oppholdet", "leder_plan_for_oppholdet", None, "2026-01-19T23:00:00+00:00",
     "institusjon"),
    ("kartlegging", "kartlegging", "leder_kartlegging", None, "2026-02-02T23:00:00+00:00", "institusjon"),
    ("forste_samarbeidsmote", "forste_samarbeidsmote", "leder_forste_samarbeidsmote", None,
     "2026-02-02T23:00:00+00:00", "institusjon"),
    ("evaluer_plan", "evaluering", "leder_evaluer_plan", walk.samarbeidsmote_mars, "2026-04-15T22:00:00+00:00",
     "institusjon"),                                                                        # plan start + 3 months
    ("statusrapport", "statusrapport", "leder_statusrapport", walk.evaluering_april, "2026-05-05T22:00:00+00:00",
     "institusjon"),
    ("boligmote", "boligmote", "leder_boligmote", walk.statusrapport, "2026-06-05T22:00:00+00:00", "institusjon"),
    ("soknader", "soknader", "leder_soknader", walk.boligmote, "2026-07-05T22:00:00+00:00", "bydel"),
    ("utflyttingsmote", "utflyttingsmote", "leder_utflyttingsmote", walk.bolig_tilbudt, "2026-06-02T22:00:00+00:00",
     "bydel"),                                                                              # straks
    ("utflyttingsplan", "utflyttingsplan", "leder_utflyttingsplan", walk.utflyttingsmote, "2026-06-15T22:00:00+00:00",
     "bydel"),                                                                              # before planned T1
    ("kriseplan", "kriseplan", "leder_kriseplan", walk.utflyttingsmote, "2026-06-15T22:00:00+00:00", "bydel"),
    ("sluttrapport", "sluttrapport", "leder_sluttrapport", walk.utflytting, "2026-07-06T22:00:00+00:00",
     "institusjon"),                                                                        # T1 + 3 weeks
    ("oppfolgingsmote", "oppfolgingsmote", "leder_oppfolgingsmote", walk.utflytting, "2026-07-13T22:00:00+00:00",
     "bydel"),                                                                              # T1 + 4 weeks
]


def _armed_due(c: Case, element_id: str):
    """The due time a timer was armed with, even after it fell due (read like engine/bpmn/timers.py does)."""
    task = c.wf.get_tasks(spec_name=element_id)[-1]
    return parse_due(task.task_spec.event_definition.event_definitions[0]
                     if hasattr(task.task_spec.event_definition, "event_definitions")
                     else task.task_spec.event_definition, task.internal_data["event_value"])


def _deadline_timer(c: Case, host: str):
    found = [t for t in c.eng.waiting_timers(c.wf) if t.host_element_id == host and t.kind == "deadline"]
    return found[0] if found else None


@pytest.mark.parametrize("host,key,leader_id,stage,due,lane", DEADLINES, ids=[d[0] for d in DEADLINES])
def test_missed_deadline_gives_the_leader_one_follow_up(case, host, key, leader_id, stage, due, lane):
    c = case
    if stage is not None:
        walk.run_until(c, stage)
    # given the step is open with its deadline, and the deadline's host is the step's open task
    timer = _deadline_timer(c, host)
    assert timer is not None and timer.deadline_key == key and timer.due == utc(due)
    assert timer.host_task_id == c.task(host).id
    assert not [t for t in c.leaders() if t.element_id == leader_id]

    # when the clock stands one minute before the deadline passes: nothing happens
    before = timer.due.astimezone(walk.OSLO)
    c.goto(before.date().isoformat(), before.hour, before.minute)
    c.tm.shift(-60)
    c.eng.wake(c.wf)
    assert not [t for t in c.leaders() if t.element_id == leader_id]

    # then one minute after: the leader's follow-up task appears once; the work itself is still open
    c.tm.shift(120)
    c.eng.wake(c.wf)
    leader = c.task(leader_id)
    assert (leader.lane, leader.role, leader.form) == (lane, "leder", "oppfolging-frist.schema.json")
    assert host in c.open(), "the original task must stay open"
    assert _deadline_timer(c, host) is None
    assert c.eng.task_data(c.wf, leader.id)["frist_gjelder"] == c.task(host).name
    c.tm.shift(24 * 3600)
    c.eng.wake(c.wf)
    assert [t.element_id for t in c.leaders()].count(leader_id) == 1

    # the leader follows up; the escalation branch ends on its own, the step is still there
    c.complete(leader_id)
    assert leader_id not in c.open() and host in c.open()


def test_utflyttingsmote_deadline_is_five_days_on_a_working_day(case):
    c = case
    walk.run_until(c, walk.soknader)
    walk.bolig_tilbudt(c, dato="2026-06-04")      # Thursday + 5 days = Tuesday 9 June, a working day
    assert c.deadlines()["utflyttingsmote"] == utc("2026-06-09T22:00:00+00:00")


def test_utflyttingsmote_deadline_rolls_over_a_weekend(case):
    c = case
    walk.run_until(c, walk.soknader)
    walk.bolig_tilbudt(c, dato="2026-06-01")      # Monday + 5 days = Saturday 6 June -> Monday 8 June
    assert c.deadlines()["utflyttingsmote"] == utc("2026-06-08T22:00:00+00:00")


def test_case_registered_three_months_after_innflytting():
    with time_machine.travel(oslo("2026-04-05"), tick=False) as tm:
        # given a case registered mid-stay: T0 lies three months back
        c = Case(tm, henvisning(innflytting="2026-01-05"))
        # then the start phase is open at once and its deadlines come from the case's own T0, already past
        assert _armed_due(c, "venter_plan_for_oppholdet") == utc("2026-01-19T23:00:00+00:00")
        assert _armed_due(c, "venter_forste_samarbeidsmote") == utc("2026-02-02T23:00:00+00:00")
        c.eng.wake(c.wf)
        leaders = {t.element_id: (t.lane, t.role) for t in c.leaders()}
        assert leaders == {"leder_innflytting": ("institusjon", "leder"), "leder_samtykke": ("bydel", "leder"),
                           "leder_bydelskontakter": ("bydel", "leder"),
                           "leder_plan_for_oppholdet": ("institusjon", "leder"),
                           "leder_kartlegging": ("institusjon", "leder"),
                           "leder_forste_samarbeidsmote": ("institusjon", "leder")}
        assert set(c.deadlines()) == {"statusrapport", "boligmote", "soknader"}   # still ahead, from T0

        # when the start phase is registered now, the later deadlines are still counted from T0
        for element in ("samtykke", "livskvalitet", "bydelskontakter", "kartlegging"):
            c.complete(element)
        c.complete("plan_for_oppholdet", plan_startet="2026-04-05")   # evaluated from its start
        c.complete("innflytting_registrert", innflytting="2026-01-05")
        c.complete("forste_samarbeidsmote", motedato="2026-04-05")
        assert c.deadlines() == {"statusrapport": utc("2026-05-05T22:00:00+00:00"),
                                 "boligmote": utc("2026-06-05T22:00:00+00:00"),
                                 "soknader": utc("2026-07-05T22:00:00+00:00")}
        assert c.timers()["venter_pa_mote"].due == utc("2026-06-05T22:00:00+00:00")
        assert c.timers()["snart_evaluering"].due == utc("2026-06-19T22:00:00+00:00")
