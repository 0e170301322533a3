"""A commit that PostgreSQL picks as a deadlock's victim is written again, not answered with 409 (#15).

Two steps of one organisation bump the same inbox-counter rows (triggers on ``open_tasks``),
perhaps in opposite orders; PostgreSQL then aborts one of them with ``40P01``.  Neither step is
stale, so the unit of work writes the loser again in a fresh transaction — once, with its
access-log row once — and only a deadlock on every attempt becomes a 409.  The deadlock is raised
by a change hook inside the step's transaction, where a real one would strike.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from engine import cases
from engine.access.rules import actor_for
from engine.cases import unit_of_work
from engine.errors import Conflict
from engine.extensions import db
from engine.store.conflicts import is_conflict, is_deadlock
from engine.store.models import AccessLog, AuditEvent, Case, OpenTask
from tests.spine.test_cases import _open, _task


class _Deadlock(Exception):
    sqlstate = "40P01"


def _deadlock() -> OperationalError:
    return OperationalError("UPDATE inbox_counters …", {}, _Deadlock("deadlock detected"))


@pytest.fixture()
def deadlocks(ctx):
    """``deadlocks(n)``: the next ``n`` step transactions die of a deadlock inside the step's writes."""
    left = [0]
    calls = [0]

    def hook(case_id, changes) -> None:
        calls[0] += 1
        # write something first, so the retry must not find it twice
        db.session.connection().execute(sa.text("SELECT 1"))
        if left[0] > 0:
            left[0] -= 1
            raise _deadlock()
    registry = unit_of_work.hooks(ctx)
    registry.on_changes.insert(0, hook)

    def arm(n: int) -> list[int]:
        left[0], calls[0] = n, 0
        return calls
    yield arm
    registry.on_changes.remove(hook)


def _rows(case_id: int, model, **where) -> int:
    db.session.rollback()
    q = sa.select(sa.func.count()).select_from(model).where(model.case_id == case_id)
    for k, v in where.items():
        q = q.where(getattr(model, k) == v)
    return db.session.scalar(q)


def _waiting_registration(api, clock_at, users):
    """A new case with its «registrer» task open: (case, task id, the bydel's caseworker, version)."""
    case = _open(api, clock_at)
    task_id = _task(case, "registrer")["id"]
    kari = actor_for(users["kari.gamleoslo"])     # before the session goes: it reads the user
    version = db.session.get(Case, case["id"]).version
    db.session.remove()
    return case, task_id, kari, version


def test_the_error_codes_are_told_apart():
    assert is_deadlock(_deadlock()) and is_conflict(_deadlock())
    assert not is_deadlock(ValueError("40P01"))


def test_a_deadlocked_completion_is_written_again_once(api, tre_baner, clock_at, users, deadlocks):
    case, task_id, kari, version = _waiting_registration(api, clock_at, users)
    calls = deadlocks(2)                                  # two deadlocks, the third attempt gets through
    cases.complete_task(kari, task_id, {})
    assert calls[0] == 3
    assert db.session.get(OpenTask, task_id) is None
    assert db.session.get(Case, case["id"]).version == version + 1
    assert _rows(case["id"], AuditEvent, type="task.completed", task_id=task_id) == 1
    assert _rows(case["id"], AccessLog, action="complete_task") == 1


def test_a_deadlock_on_every_attempt_is_a_409_and_changes_nothing(api, tre_baner, clock_at, users, deadlocks):
    case, task_id, kari, version = _waiting_registration(api, clock_at, users)
    calls = deadlocks(unit_of_work.DEADLOCK_ATTEMPTS)
    with pytest.raises(Conflict):
        cases.complete_task(kari, task_id, {})
    assert calls[0] == unit_of_work.DEADLOCK_ATTEMPTS
    assert db.session.get(OpenTask, task_id) is not None
    assert db.session.get(Case, case["id"]).version == version
    assert _rows(case["id"], AuditEvent, type="task.completed") == 0
    assert _rows(case["id"], AccessLog, action="complete_task") == 1       # the refusal is on the record once
    # and the task can still be completed
    cases.complete_task(kari, task_id, {})
    assert db.session.get(OpenTask, task_id) is None
