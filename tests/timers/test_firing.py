"""Firing: exactly at due time under a faked clock, catch-up oldest first, failures never block."""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa

from engine import cases
from engine.timers import scheduler
from engine.timers import worker as timer_worker
from engine.extensions import db
from engine.store.models import Case, Timer
from engine.store.timers import SchedulerHeartbeat
from tests.timers.helpers import case_at_plan, fired_events


def _due(case_id: int) -> datetime:
    return db.session.scalar(sa.select(Timer.due_at).where(Timer.case_id == case_id)).replace(tzinfo=timezone.utc)


def test_timer_fires_right_after_due_not_before(api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    case = case_at_plan(api)
    assert _due(case["id"]) == datetime(2026, 3, 15, 23, 0, tzinfo=timezone.utc)   # midnight after 15 March, Oslo
    clock_at(2026, 3, 15, 22, 59, 59)
    assert timer_worker.run("w", once=True) == 0
    clock_at(2026, 3, 15, 23, 0, 0)          # exactly at due: SpiffWorkflow compares strictly, so not yet
    assert timer_worker.run("w", once=True) == 0
    assert fired_events() == []
    clock_at(2026, 3, 15, 23, 0, 0, 500000)  # half a second later: one tick fires it
    assert timer_worker.run("w", once=True) == 1
    [event] = fired_events(case["id"])
    assert event.data["deadline"] == "plan"
    assert timer_worker.run("w", once=True) == 0                          # never again
    body = api("kari.gamleoslo").get(f"/api/v1/cases/{case['id']}").json
    tasks = {t["element_id"]: t for t in body["tasks"]}
    assert tasks["plan"]["overdue"] is True and tasks["folg_opp"]["role"] == "leder"
    assert body["timers"] == []


def test_worker_sleeps_only_until_the_next_due_time(api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    case_at_plan(api)
    clock_at(2026, 3, 15, 22, 59, 59, 600000)
    assert 0.3 < timer_worker.next_due_in(1.0) < 0.5      # wakes ~0.4 s later, not a full tick
    clock_at(2026, 3, 1, 9)
    assert timer_worker.next_due_in(1.0) == 1.0


def test_catch_up_after_24_hours_down_fires_oldest_first(api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    late = case_at_plan(api, "2026-03-05")
    early = case_at_plan(api, "2026-03-01")
    middle = case_at_plan(api, "2026-03-03")
    clock_at(2026, 3, 20, 0, 0)        # everything was down for a day after the last one fell due
    result = timer_worker.drain()
    assert result.timers_fired == 3 and result.failed == []
    assert [e.case_id for e in fired_events()] == [early["id"], middle["id"], late["id"]]
    assert timer_worker.drain().timers_fired == 0


def test_a_failing_wake_marks_the_case_and_does_not_block_others(api, tre_baner, clock_at, monkeypatch):
    clock_at(2026, 3, 1, 9)
    bad = case_at_plan(api, "2026-03-01")
    good = case_at_plan(api, "2026-03-02")
    clock_at(2026, 3, 20)
    real_wake = cases.wake_case

    def wake(case_id, actor=None):
        if case_id == bad["id"]:
            from engine.bpmn.runtime import StepFailed
            from engine.processes import runtime_state

            def boom(wf):
                raise StepFailed("boom", "plan_frist")
            case = db.session.get(Case, case_id)
            return cases.step(case, {"kind": "wake"}, None, boom)
        return real_wake(case_id, actor)

    monkeypatch.setattr(cases, "wake_case", wake)
    result = timer_worker.drain()
    assert result.failed == [bad["id"]] and result.timers_fired == 1
    assert db.session.get(Case, bad["id"]).status == cases.ERROR
    # the failed case is not retried in a loop: its error is newer than its due timer
    assert timer_worker.drain().cases_woken == 0
    monkeypatch.setattr(cases, "wake_case", real_wake)
    assert timer_worker.drain().cases_woken == 0


def test_a_timer_that_stays_due_after_wake_is_recorded_broken_not_looped(api, tre_baner, clock_at, monkeypatch):
    clock_at(2026, 3, 1, 9)
    case = case_at_plan(api)
    clock_at(2026, 3, 20)
    monkeypatch.setattr(cases, "wake_case", lambda case_id, actor=None: cases.step(
        db.session.get(Case, case_id), {"kind": "wake"}, None, lambda wf: None))
    result = timer_worker.drain()
    assert result.timers_fired == 0
    row = db.session.scalar(sa.select(Timer).where(Timer.case_id == case["id"]))
    assert row.broken_reason == timer_worker.STUCK_REASON
    assert timer_worker.drain().cases_woken == 0


def test_heartbeat_counts_ticks_and_fired_timers(api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    case_at_plan(api)
    timer_worker.run("arbeider-1", once=True)
    clock_at(2026, 3, 16)
    timer_worker.run("arbeider-1", once=True)
    beat = db.session.get(SchedulerHeartbeat, "arbeider-1")
    assert (beat.ticks, beat.timers_fired) == (2, 1)
    assert beat.last_tick_at.replace(tzinfo=timezone.utc) == datetime(2026, 3, 16, tzinfo=timezone.utc)
    clock_at(2026, 3, 16, 0, 1)
    body = api("admin").get("/api/v1/timers?state=due").json
    assert body["heartbeats"][0]["worker"] == "arbeider-1" and body["heartbeats"][0]["age_seconds"] == 60.0
    assert body["scheduler"] == {"newest_heartbeat_age_seconds": 60.0, "stalled": True, "stall_after_seconds": 30.0}
    clock_at(2026, 3, 16, 0, 0, 10)
    assert api("admin").get("/api/v1/timers").json["scheduler"]["stalled"] is False


def test_flask_worker_once_fires_due_timers(api, tre_baner, clock_at, ctx):
    clock_at(2026, 3, 1, 9)
    case = case_at_plan(api)
    clock_at(2026, 3, 16)
    out = ctx.test_cli_runner().invoke(args=["worker", "--once", "--name", "cli-test"]).output
    assert "1 tidtaker(e) utløst" in out
    assert len(fired_events(case["id"])) == 1


def test_scheduler_starts_once_per_process_and_not_in_reloader_watcher(app, monkeypatch):
    started = []

    class FakeScheduler:
        def __init__(self, **kw):
            started.append(self)

        def add_job(self, *a, **kw):
            self.job = kw

        def start(self):
            pass

        def shutdown(self, wait=False):
            pass

    import apscheduler.schedulers.background as bg
    monkeypatch.setattr(bg, "BackgroundScheduler", FakeScheduler)
    try:
        scheduler.start(app)
        scheduler.start(app)
        assert len(started) == 1 and started[0].job["max_instances"] == 1
        monkeypatch.setattr(app, "debug", True)
        monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
        assert scheduler._should_start(app) is False
        monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")
        assert scheduler._should_start(app) is True
    finally:
        scheduler.stop()
    assert not scheduler.running()
