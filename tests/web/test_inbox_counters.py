"""The inbox's numbers kept as counters (#15 item 3): after any mix of steps, claims, suspensions,
terminations, direct row writes and a clock crossing due dates, the counters give exactly what the
old grouped aggregate counted — for every kind of actor — and a rebuild writes the rows the
triggers kept."""
from __future__ import annotations

import random
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import current_app

from engine import clock
from engine.access.rules import actor_for
from engine.cases import commands, inbox_counters, worklist
from engine.errors import Conflict, Forbidden, NotFound
from engine.extensions import db
from engine.ops import lifecycle
from engine.store.models import InboxCounter, OpenTask, User
from engine.timers import worker as timer_worker
from tests.conftest import fixture_files
from tests.web.conftest import open_case

#: Every kind of actor: bydel caseworkers (one holds the declared party «saksbehandler»), an
#: institution caseworker holding the declared party «fagleder», leaders of both, the resident.
PLAIN = fixture_files("camunda_plain.bpmn")["camunda_plain.bpmn"].decode()
ACTORS = ("kari.gamleoslo", "ola.grunerlokka", "ingrid.bygdoy", "leder.gamleoslo", "leder.bygdoy", "beboer.test")


def _actor(username: str):
    return actor_for(db.session.scalar(sa.select(User).where(User.username == username)))


def _assert_counters_right() -> None:
    for username in ACTORS:
        actor = _actor(username)
        counted, oracle = inbox_counters.verify(actor)
        assert counted == oracle, username
    assert inbox_counters.stored_rows() == inbox_counters.expected_rows()   # maintained == rebuilt
    db.session.rollback()


@pytest.fixture()
def two_processes(tre_baner, users, api):
    r = api("prosesseier").post("/api/v1/deployments", json={"files": {"stottekontakt.bpmn": PLAIN}})
    assert r.status_code == 201, r.json
    ingrid = db.session.get(User, users["ingrid.bygdoy"].id)
    ingrid.roles = "saksbehandler,fagleder"
    db.session.commit()


def _open(rnd: random.Random) -> None:
    start = clock.now().date() + timedelta(days=rnd.randint(-20, 5))
    if rnd.random() < 0.3:
        open_case("stottekontakt", username=rnd.choice(["kari.gamleoslo", "ola.grunerlokka"]))
    else:
        open_case("tre_baner", username=rnd.choice(["kari.gamleoslo", "ola.grunerlokka"]),
                  data={"innflytting": start.isoformat(), "deler": "4"})


def _tasks() -> list[OpenTask]:
    return list(db.session.scalars(sa.select(OpenTask).order_by(OpenTask.id)))


def _complete(rnd: random.Random) -> None:
    tasks = _tasks()
    if not tasks:
        return
    task = rnd.choice(tasks)
    for username in ("kari.gamleoslo", "ola.grunerlokka", "ingrid.bygdoy", "leder.gamleoslo", "leder.bygdoy",
                     "beboer.test"):
        try:
            commands.complete_task(_actor(username), task.id, {"kommentar": "ok"})
            return
        except (Forbidden, NotFound, Conflict):
            db.session.rollback()


def _claim(rnd: random.Random) -> None:
    tasks = _tasks()
    if not tasks:
        return
    task, username = rnd.choice(tasks), rnd.choice(ACTORS[:5])
    try:
        if rnd.random() < 0.3:
            worklist.assign(_actor(username), task.id, db.session.scalar(
                sa.select(User.id).where(User.username == rnd.choice(ACTORS[:5]))))
        else:
            worklist.claim(_actor(username), task.id, rnd.random() < 0.7)
    except (Forbidden, NotFound, Conflict, Exception) as exc:   # noqa: B014 — BadRequest too: not allowed is fine
        db.session.rollback()
        assert not isinstance(exc, AssertionError)


def _lifecycle(rnd: random.Random) -> None:
    case_id = db.session.scalar(sa.select(OpenTask.case_id).order_by(sa.func.random()).limit(1))
    if case_id is None:
        return
    admin = _actor("admin")
    action = rnd.choice([lifecycle.suspend, lifecycle.resume, lifecycle.terminate, lifecycle.suspend])
    try:
        action(admin, case_id, "test")
    except (Conflict, Forbidden, NotFound):
        db.session.rollback()


def _write_rows(rnd: random.Random) -> None:
    """What a migration or a repair might do to the rows directly: move a due date, drop a row."""
    tasks = _tasks()
    if not tasks:
        return
    task = rnd.choice(tasks)
    if rnd.random() < 0.5:    # due within minutes: this hour's tasks, overdue or not yet
        task.due_at = clock.now() + timedelta(minutes=rnd.randint(-20, 20))
    elif rnd.random() < 0.6:
        task.due_at = clock.now() + timedelta(hours=rnd.randint(-72, 72), minutes=rnd.randint(0, 59))
    else:
        db.session.delete(task)
    db.session.commit()


def _tick(rnd: random.Random, traveller) -> None:
    traveller.shift(timedelta(minutes=rnd.choice([10, 25, 60, 5 * 60, 11 * 60, 23 * 60, 30 * 60, 7 * 24 * 60])))
    timer_worker.drain()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counters_equal_the_aggregate_after_a_random_mix(two_processes, clock_at, seed):
    traveller = clock_at(2026, 3, 1, 9, 37)    # not on the hour: this hour has a past and a future
    rnd = random.Random(seed)
    for _ in range(6):
        _open(rnd)
    _assert_counters_right()
    moves = [_open, _complete, _complete, _complete, _claim, _claim, _lifecycle, _write_rows, _write_rows]
    for _ in range(60):
        move = rnd.choice(moves + ["tick"])
        if move == "tick":
            _tick(rnd, traveller)
        else:
            move(rnd)
        _assert_counters_right()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InboxCounter)) > 0


def test_overdue_moves_with_the_clock_within_the_hour_a_task_is_due(tre_baner, clock_at):
    """A task due at 15:30 is not overdue at 15:10 and is at 15:31 — the same counter row, read twice."""
    traveller = clock_at(2026, 3, 1, 9)
    case = open_case("tre_baner", data={"innflytting": "2026-03-01", "deler": "4"})
    task = db.session.scalar(sa.select(OpenTask).where(OpenTask.case_id == case.id))
    task.due_at = clock.now().replace(hour=15, minute=30)
    db.session.commit()
    kari = _actor("kari.gamleoslo")
    traveller.shift(timedelta(hours=5, minutes=59))
    assert worklist.counts(kari)["overdue"] == 0 == inbox_counters.aggregate(kari).counts["overdue"]
    traveller.shift(timedelta(minutes=11))       # 15:10: within the task's hour, not yet due
    assert worklist.counts(kari)["overdue"] == 0 == inbox_counters.aggregate(kari).counts["overdue"]
    traveller.shift(timedelta(minutes=21))
    assert worklist.counts(kari)["overdue"] == 1 == inbox_counters.aggregate(kari).counts["overdue"]
    traveller.shift(timedelta(days=2))       # a day gone by: counted from the day's row alone
    assert worklist.counts(kari) == inbox_counters.aggregate(kari).counts
    assert worklist.counts(kari)["overdue"] == 1


def test_rebuild_equals_maintained_and_repairs_a_lost_count(two_processes, clock_at):
    clock_at(2026, 3, 1, 9)
    rnd = random.Random(7)
    for _ in range(5):
        _open(rnd)
    maintained = inbox_counters.stored_rows()
    assert maintained
    db.session.execute(sa.update(InboxCounter).values(n=InboxCounter.n + 3))   # as if a write had escaped
    db.session.commit()
    kari = _actor("kari.gamleoslo")
    assert inbox_counters.summary(kari) != inbox_counters.aggregate(kari)
    runner = current_app.test_cli_runner()
    result = runner.invoke(args=["inbox", "rebuild-counts"])
    assert result.exit_code == 0, result.output
    db.session.rollback()
    assert inbox_counters.stored_rows() == maintained
    assert inbox_counters.summary(kari) == inbox_counters.aggregate(kari)
    result = runner.invoke(args=["inbox", "verify-counts"])
    assert result.exit_code == 0 and "stemmer" in result.output, result.output


def test_the_migration_counts_the_open_tasks_that_were_there(two_processes, clock_at):
    """Upgrading a database that has open tasks (0013 → 0015) fills the counters from them."""
    from flask_migrate import downgrade, upgrade
    clock_at(2026, 3, 1, 9)
    rnd = random.Random(11)
    for _ in range(4):
        _open(rnd)
    kari = _actor("kari.gamleoslo")
    maintained, before = inbox_counters.stored_rows(), inbox_counters.aggregate(kari)
    db.session.remove()
    downgrade(revision="0013_meetings")
    upgrade()
    assert inbox_counters.stored_rows() == maintained != []
    assert inbox_counters.summary(kari) == before
