"""The batch claim: many cases per claim, still one commit per case — a failure stays with its case,
a case saved by someone else after the claim is claimed again, and the claimed rows are read once."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import event

from engine import cases
from engine.bpmn.runtime import StepFailed
from engine.extensions import db
from engine.store.models import Case, Timer
from engine.timers import claims
from engine.timers import worker as timer_worker
from tests.timers.helpers import case_at_plan, fired_events


def _due_cases(api, clock_at, n: int) -> list[int]:
    """``n`` cases whose plan deadlines fall due one day after another, all past due now (oldest first)."""
    clock_at(2026, 3, 1, 9)
    ids = [case_at_plan(api, f"2026-03-{day:02d}")["id"] for day in range(1, n + 1)]
    clock_at(2026, 4, 1)
    return ids


def test_a_failure_in_the_middle_of_a_batch_leaves_the_others_fired(api, tre_baner, clock_at, monkeypatch):
    first, bad, last = _due_cases(api, clock_at, 3)
    real_wake = cases.wake_case

    def wake(case_id, actor=None):
        if case_id != bad:
            return real_wake(case_id, actor)

        def boom(wf):
            raise StepFailed("boom", "plan_frist")
        return cases.step(db.session.get(Case, case_id), {"kind": "wake"}, None, boom)

    monkeypatch.setattr(cases, "wake_case", wake)
    result = timer_worker.drain()
    assert (result.cases_woken, result.timers_fired, result.failed) == (2, 2, [bad])
    assert [e.case_id for e in fired_events()] == [first, last]       # each in its own commit, oldest first
    db.session.rollback()
    failed = db.session.get(Case, bad)
    assert failed.status == cases.ERROR and failed.error_element == "plan_frist"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Timer).where(Timer.case_id == bad)) == 1
    monkeypatch.setattr(cases, "wake_case", real_wake)
    assert timer_worker.drain().cases_woken == 0       # marked as before: not retried in a loop


def test_a_case_saved_by_someone_else_after_the_claim_is_claimed_again(api, tre_baner, clock_at, monkeypatch):
    raced, other = _due_cases(api, clock_at, 2)
    real_wake = cases.wake_case
    saves = []

    def wake(case_id, actor=None):
        if case_id == raced and not saves:      # another process saves the case between claim and wake
            with db.engine.begin() as conn:
                conn.execute(sa.update(Case).where(Case.id == raced).values(version=Case.version + 1))
            saves.append(case_id)
        return real_wake(case_id, actor)

    monkeypatch.setattr(cases, "wake_case", wake)
    result = timer_worker.drain()
    assert saves == [raced]
    assert (result.timers_fired, result.failed) == (2, [])
    assert sorted(e.case_id for e in fired_events()) == sorted([raced, other])   # once each
    assert timer_worker.drain().timers_fired == 0


def test_a_batch_is_one_claim_and_one_read_of_its_cases(api, tre_baner, clock_at, monkeypatch):
    ids = _due_cases(api, clock_at, 4)
    db.session.rollback()
    claimed = []
    real_claim = claims.Claimer.claim

    def spy(self, now, skip=(), at_most=None):
        batch = real_claim(self, now, skip, at_most)
        claimed.append([c.case_id for c in batch])
        return batch

    monkeypatch.setattr(claims.Claimer, "claim", spy)
    row_reads = []

    def count(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "cases.state" in statement:
            row_reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        result = timer_worker.drain()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert result.timers_fired == 4
    assert claimed == [ids, []]              # one claim for the four, one that finds nothing left
    assert len(row_reads) == 1               # the claimed case rows (with their state) are read once


def test_small_batches_fire_everything_oldest_first(api, tre_baner, clock_at):
    ids = _due_cases(api, clock_at, 5)
    result = timer_worker.drain(batch=2)
    assert (result.cases_woken, result.timers_fired, result.failed) == (5, 5, [])
    assert [e.case_id for e in fired_events()] == ids


def test_a_drain_limit_counts_cases(api, tre_baner, clock_at):
    ids = _due_cases(api, clock_at, 3)
    assert timer_worker.drain(limit=2).cases_woken == 2
    assert [e.case_id for e in fired_events()] == ids[:2]
    assert timer_worker.drain().cases_woken == 1
