"""Each deadline passes: the leader of the responsible organisation gets a follow-up task and the
original task stays open (issue 4). A case registered mid-stay gets its deadlines from its own T0."""
from __future__ import annotations

import pytest
import time_machine

from engine.bpmn.timers import parse_due

from tests.process import case as walk
from tests.process.case import Case, oslo, utc
from tests.process.examples import henvisning

# (host element id, deadline key, stage that opens the host, due, lane of the leader's task)
DEADLINES = [
    ("plan_for_oppholdet", "plan_for_oppholdet", None, "2026-01-19T23:00:00+00:00", "institusjon"),     # T0 + 14 d
    ("forste_samarbeidsmote", "forste_samarbeidsmote", None, "2026-02-02T23:00:00+00:00", "institusjon"),  # T0 + 4 w
    ("statusrapport", "statusrapport", walk.samarbeidsmote_mars, "2026-05-05T22:00:00+00:00", "institusjon"),  # T0 + 4 m
    ("boligmote", "boligmote", walk.statusrapport, "2026-06-05T22:00:00+00:00", "institusjon"),          # T0 + 5 m
    ("soknader", "soknader", walk.boligmote, "2026-07-05T22:00:00+00:00", "bydel"),                      # T0 + 6 m
    ("utflyttingsmote", "utflyttingsmote", walk.bolig_tilbudt, "2026-06-02T22:00:00+00:00", "bydel"),    # straks
    ("sluttrapport", "sluttrapport", walk.utflytting, "2026-07-06T22:00:00+00:00", "institusjon"),       # T1 + 3 w
    ("oppfolgingsmote", "oppfolgingsmote", walk.utflytting, "2026-07-13T22:00:00+00:00", "bydel"),      # T1 + 4 w
]


def _armed_due(c: Case, element_id: str):
    """The due time a timer was armed with, even after it fell due (read like engine/bpmn/timers.py does)."""
    (task,) = c.wf.get_tasks(spec_name=element_id)
    return parse_due(task.task_spec.event_definition, task.internal_data["event_value"])


def _deadline_timer(c: Case, host: str):
    found = [t for t in c.eng.waiting_timers(c.wf) if t.host_element_id == host and t.kind == "deadline"]
    return found[0] if found else None


@pytest.mark.parametrize("host,key,stage,due,lane", DEADLINES, ids=[d[0] for d in DEADLINES])
def test_missed_deadline_gives_the_leader_a_follow_up(case, host, key, stage, due, lane):
    c = case
    if stage is not None:
        walk.run_until(c, stage)
    timer = _deadline_timer(c, host)
    assert timer is not None and timer.deadline_key == key and timer.due == utc(due)
    assert not c.leaders()

    # one minute before the deadline passes: nothing happens
    before = timer.due.astimezone(walk.OSLO)
    c.goto(before.date().isoformat(), before.hour, before.minute)
    c.tm.shift(-60)
    c.eng.wake(c.wf)
    assert not [t for t in c.leaders() if t.element_id == f"leder_{host}"]

    # one minute after: the leader's follow-up task appears; the work itself is still open
    c.tm.shift(120)
    c.eng.wake(c.wf)
    leader = c.task(f"leder_{host}")
    assert (leader.lane, leader.role, leader.form) == (lane, "leder", "oppfolging-frist.schema.json")
    assert host in c.open(), "the original task must stay open"
    assert _deadline_timer(c, host) is None

    # the leader follows up; the escalation branch ends on its own, the task is still there
    c.complete(f"leder_{host}")
    assert f"leder_{host}" not in c.open() and host in c.open()


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
        c = Case(tm, henvisning(innflytting="2026-01-05"))
        # the deadlines come from the case's own T0; both are already past, so they are due, not waiting
        assert _armed_due(c, "frist_plan_for_oppholdet") == utc("2026-01-19T23:00:00+00:00")
        assert _armed_due(c, "frist_forste_samarbeidsmote") == utc("2026-02-02T23:00:00+00:00")
        assert c.deadlines() == {}
        c.eng.wake(c.wf)                          # by the first wake at the latest, both have fired
        leaders = {t.element_id: (t.lane, t.role) for t in c.leaders()}
        assert leaders == {"leder_plan_for_oppholdet": ("institusjon", "leder"),
                           "leder_forste_samarbeidsmote": ("institusjon", "leder")}
        assert {"plan_for_oppholdet", "forste_samarbeidsmote"} <= set(c.open())

        # the rest of the start phase is registered now; later deadlines are still ahead, from T0
        for element in ("samtykke", "innflytting_registrert", "livskvalitet", "bydelskontakter", "kartlegging",
                        "plan_for_oppholdet"):
            c.complete(element)
        c.complete("forste_samarbeidsmote", motedato="2026-04-05")
        assert c.deadlines() == {"statusrapport": utc("2026-05-05T22:00:00+00:00")}
        assert c.timers()["to_maneder_siden_mote"].due == utc("2026-06-05T22:00:00+00:00")


def test_case_registered_after_statusrapport_deadline_escalates_when_the_task_opens():
    with time_machine.travel(oslo("2026-06-01"), tick=False) as tm:
        c = Case(tm, henvisning(innflytting="2026-01-05"))
        for element in ("samtykke", "innflytting_registrert", "livskvalitet", "bydelskontakter", "kartlegging",
                        "plan_for_oppholdet"):
            c.complete(element)
        c.complete("forste_samarbeidsmote", motedato="2026-02-01")
        c.eng.wake(c.wf)
        assert "leder_statusrapport" in c.open()
        assert c.open()["samarbeidsmote_institusjon"] == "institusjon"   # a regular meeting is overdue too
