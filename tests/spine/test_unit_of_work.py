"""The unit of work: every change of a case runs the same hooks, commits once, and tells a lost race by code."""
from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError

from engine import cases
from engine.cases import case_update, unit_of_work
from engine.errors import Conflict
from engine.extensions import db
from engine.store.conflicts import is_conflict
from engine.store.models import AuditEvent, Case
from tests.ops.helpers import complete, errored, open_case, task

REPAIR = {"reason": "Avtalt med bydelen"}


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


def _sqlite_error(code: int) -> sqlite3.OperationalError:
    exc = sqlite3.OperationalError("whatever the text says")
    exc.sqlite_errorcode = code
    return exc


@pytest.mark.parametrize(("exc", "conflict"), [
    (OperationalError("UPDATE", {}, _PgError("40001")), True),       # serialization_failure
    (OperationalError("UPDATE", {}, _PgError("40P01")), True),       # deadlock_detected
    (OperationalError("UPDATE", {}, _PgError("55P03")), True),       # lock_not_available
    (OperationalError("UPDATE", {}, _PgError("53300")), False),      # too_many_connections: not a race
    (OperationalError("UPDATE", {}, _sqlite_error(sqlite3.SQLITE_BUSY)), True),
    (OperationalError("UPDATE", {}, _sqlite_error(sqlite3.SQLITE_BUSY | (1 << 8))), True),   # extended code
    (OperationalError("UPDATE", {}, _sqlite_error(sqlite3.SQLITE_IOERR)), False),
    (OperationalError("UPDATE", {}, Exception("database is locked")), False),   # text alone proves nothing
    (IntegrityError("INSERT", {}, Exception("duplicate")), True),
])
def test_a_conflict_is_told_by_its_code_not_its_text(exc, conflict):
    assert is_conflict(exc) is conflict


@pytest.fixture()
def seen(app, monkeypatch):
    """Record every after-commit hook call (the inbox's held-event delivery stays registered)."""
    calls: list[int] = []
    registry = unit_of_work.hooks(app)
    monkeypatch.setattr(registry, "after_commit", [*registry.after_commit, calls.append])
    return calls


def test_every_kind_of_change_runs_the_after_commit_hooks(api, tre_baner, clock_at, seen):
    """Given one case, when it is opened, completed, repaired, suspended and resumed,
    then each change ran the after-commit hooks once (repairs too — they used to skip the inbox)."""
    clock_at(2026, 3, 1, 9)
    case = open_case(api)
    assert seen == [case["id"]]
    case = complete(api, "kari.gamleoslo", case, "registrer")
    assert seen == [case["id"]] * 2
    for action in ("suspend", "resume"):
        r = api("admin").post(f"/api/v1/admin/cases/{case['id']}/{action}", json=REPAIR)
        assert r.status_code == 200, r.json
    assert seen == [case["id"]] * 4


def test_a_repair_delivers_held_events_at_once(api, tre_baner, clock_at, app, monkeypatch):
    """Given a case in error, when an administrator retries it with fixed data,
    then the inbox is asked for held events right after the repair's commit, not a tick later."""
    clock_at(2026, 3, 1, 9)
    case = errored(api)
    asked: list[int] = []
    from engine.events import inbox
    real = inbox.deliver_held
    registry = unit_of_work.hooks(app)
    hooks = [h if h is not real else (lambda case_id: (asked.append(case_id), real(case_id))) for h in registry.after_commit]
    monkeypatch.setattr(registry, "after_commit", hooks)
    r = api("admin").post(f"/api/v1/admin/cases/{case['id']}/retry", json={**REPAIR, "data": {"deler": "2"}})
    assert r.status_code == 200, r.json
    assert asked == [case["id"]]


def test_a_failing_after_commit_hook_does_not_undo_the_change(api, tre_baner, clock_at, app, monkeypatch):
    clock_at(2026, 3, 1, 9)
    case = open_case(api)

    def broken(case_id: int) -> None:
        raise RuntimeError("the inbox is down")
    registry = unit_of_work.hooks(app)
    monkeypatch.setattr(registry, "after_commit", [broken])
    r = api("kari.gamleoslo").post(f"/api/v1/tasks/{task(case, 'registrer')['id']}/complete", json={"data": {}})
    assert r.status_code == 200 and r.json["version"] == case["version"] + 1


def test_a_stale_unit_of_work_changes_nothing(api, tre_baner, clock_at):
    """Given two writers who read version 1, when the second commits after the first,
    then it gets Conflict and neither its state, its audit rows nor its hooks' rows are written."""
    clock_at(2026, 3, 1, 9)
    case = open_case(api)
    row = db.session.get(Case, case["id"])
    late = cases.CaseUnitOfWork(row)
    complete(api, "kari.gamleoslo", case, "registrer")          # the first writer
    db.session.expire_all()
    events_before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    with pytest.raises(Conflict), late:
        late.record(cases.Change("case.woken"))
        late.use_workflow(cases.load_workflow(db.session.get(Case, case["id"])))
        late.commit()
    assert db.session.get(Case, case["id"]).version == case["version"] + 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == events_before


def test_the_probes_in_the_case_update_see_the_updated_cases_own_rows(api, tre_baner, clock_at, app):
    """Given two cases, one with a timer row and one without, when each case's UPDATE runs with the
    probes in its RETURNING, then each probe answers for that case's rows — not for any row (SQLite
    renders RETURNING columns unqualified, which once made ``case_id = id`` compare a table with itself)."""
    from engine.cases import projections
    from engine.store.models import Timer

    clock_at(2026, 3, 1, 9)
    with_timer, without = open_case(api), open_case(api)
    db.session.execute(sa.delete(Timer).where(Timer.case_id == without["id"]))
    db.session.execute(sa.insert(Timer).values(case_id=with_timer["id"], task_id="probe-test", element_id="x",
                                               kind="other"))
    guarded, _names, probes = case_update.probes(unit_of_work.hooks(app))
    answers = {}
    for case_id in (with_timer["id"], without["id"]):
        answers[case_id] = db.session.execute(sa.update(Case).where(Case.id == case_id).values(version=Case.version)
                                              .returning(*probes)).one()
    db.session.rollback()
    assert answers[with_timer["id"]][1] and not answers[without["id"]][1]
    open_ids = answers[without["id"]][2]             # the ids of that case's own task rows, no other case's
    assert open_ids and set(open_ids.split()) == {t["id"] for t in without["tasks"]}
    # no watch fired early, no timers, no subscription, nothing held, no pending deadline record
    assert not any(a for i, a in enumerate(answers[without["id"]]) if i != 2)
