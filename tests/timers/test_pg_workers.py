"""Several worker processes on one PostgreSQL: each timer fires exactly once, a batch claim never
hands one case to two workers, and a worker killed mid-batch leaves its claims to another worker,
which fires each of them once."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine

from engine import clock
from engine.extensions import db
from engine.store.models import Timer
from engine.timers import claims
from engine.timers import worker as timer_worker
from tests.timers.helpers import case_at_plan, clone_cases, fired_events

ROOT = Path(__file__).resolve().parents[2]
N_TIMERS = int(os.environ.get("TILBOLIG_PG_TIMERS", "1000"))


@pytest.fixture()
def pg(ctx):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("needs PostgreSQL (set TILBOLIG_TEST_DATABASE_URL): SKIP LOCKED and several processes")
    return db.engine.url.render_as_string(hide_password=False)


def _due_cases(api, n: int) -> list[int]:
    """``n`` cases whose deadline is long past in real time (created under a clock in March 2026)."""
    with time_machine.travel(datetime(2026, 3, 1, 9, tzinfo=timezone.utc), tick=False):
        template = case_at_plan(api)["id"]
    return [template] + (clone_cases(template, n - 1) if n > 1 else [])


def _spawn(url: str, mode: str, name: str, batch: int = 20) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.timers.worker_proc", url, mode, name, str(batch)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_worker_processes_fire_each_timer_exactly_once(api, tre_baner, pg):
    ids = _due_cases(api, N_TIMERS)
    started = time.monotonic()
    workers = [_spawn(pg, "drain", f"w{i}") for i in range(2)]
    outputs = [w.communicate(timeout=600) for w in workers]
    elapsed = time.monotonic() - started
    for w, (out, err) in zip(workers, outputs):
        assert w.returncode == 0, err[-3000:]
    counts = [int(out.strip().splitlines()[-1].split()[1]) for out, _ in outputs]
    failed = [int(out.strip().splitlines()[-1].split()[3]) for out, _ in outputs]
    db.session.rollback()
    fired = Counter((e.case_id, e.task_id) for e in fired_events())
    assert len(fired) == N_TIMERS and set(fired.values()) == {1}
    assert {case_id for case_id, _ in fired} == set(ids)
    assert sum(counts) == N_TIMERS and all(c > 0 for c in counts), counts    # both did real work
    assert failed == [0, 0]     # no case was handed to both (the loser would have met a version conflict)
    assert db.session.scalar(sa.select(sa.func.count(Timer.id))) == 0
    print(f"\n{N_TIMERS} timers, 2 workers: {elapsed:.1f} s, split {counts}")


def test_batch_claims_of_two_workers_are_disjoint_and_released(api, tre_baner, pg):
    ids = _due_cases(api, 5)
    db.session.rollback()
    now = clock.now()
    first, second = claims.Claimer(3), claims.Claimer(3)
    try:
        a = [c.case_id for c in first.claim(now)]
        b = [c.case_id for c in second.claim(now)]
        assert a == ids[:3] and b == ids[3:]            # oldest first; nothing handed out twice
        assert second.claim(now) == [] and claims.Claimer(3).claim(now) == []   # the rest is held
        first.release()
        assert [c.case_id for c in second.claim(now)] == ids[:3]   # released: another worker takes them
    finally:
        first.close()
        second.close()
    check = claims.Claimer(5)            # closing released every lock
    try:
        assert [c.case_id for c in check.claim(now)] == ids
    finally:
        check.close()


def _wait_for_release(case_ids: list[int]) -> None:
    """Block (bounded by lock_timeout) until PostgreSQL has dropped a killed worker's claims and row locks."""
    db.session.execute(sa.text("SET LOCAL lock_timeout = '30s'"))
    for case_id in case_ids:
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(claims.LOCK_CLASS, case_id)))
    db.session.execute(sa.select(Timer.id).where(Timer.case_id.in_(case_ids)).with_for_update()).all()
    db.session.rollback()


def test_worker_killed_mid_batch_leaves_its_claims_to_another(api, tre_baner, pg):
    held, claimed, free = _due_cases(api, 3)
    victim = _spawn(pg, "hang", "victim", batch=2)      # claims the two oldest, hangs in the first
    try:
        deadline = time.monotonic() + 60
        line = ""
        while not line.startswith("HOLDING") and time.monotonic() < deadline:
            line = victim.stdout.readline().strip()
            assert line or victim.poll() is None, victim.stderr.read()[-3000:]
        assert line == f"HOLDING {held}"          # oldest first; fired inside its open transaction
        # another worker does not wait for the claims: it skips the held batch and fires the third case
        started = time.monotonic()
        result = timer_worker.drain()
        assert (result.timers_fired, result.failed) == (1, [])
        assert time.monotonic() - started < 10
        assert [e.case_id for e in fired_events()] == [free]
    finally:
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=30)
    # the killed worker's transaction is rolled back and its claims dropped by PostgreSQL; both
    # timers are still due. Wait for that on the locks themselves, not a poll.
    _wait_for_release([held, claimed])
    assert timer_worker.drain().timers_fired == 2
    assert Counter(e.case_id for e in fired_events()) == {held: 1, claimed: 1, free: 1}
    assert timer_worker.drain().timers_fired == 0
