"""A step runs no statement that only reads back what it already knows (#15, «a lean step»).

The change hooks used to begin by reading the case row (report facts, notifications), the timer rows
the projection had just written (report facts) and each user's e-mail choice (notifications); the
step now hands them what it knows (``engine.cases.step_context``) and the access-log row is one Core
INSERT at commit.  The budget below is what a completion of the benchmark workload needs: the
task with its case (to decide access), the version-checked UPDATE (whose RETURNING also brings the
open-task diff's old side), the diff (delete, insert), the audit rows, the new task's lane users
with their e-mail choice, their notifications, the access-log row.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from bench.workload import FORM, bpmn
from engine import cases
from engine.access.rules import actor_for
from engine.extensions import db
from engine.store.models import AccessLog, AuditEvent, Case, OpenTask
from engine.store.notify import Notification
from engine.store.report_facts import CaseFact


@contextmanager
def _statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def before(conn, cursor, statement, *args) -> None:
        seen.append(" ".join(statement.split()))
    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)


def _bench_case(users):
    from engine.processes import deployments
    deployments.deploy({"bench.bpmn": bpmn(), "notat.schema.json": FORM}, None)
    kari = actor_for(users["kari.gamleoslo"])
    case = cases.open_case(kari, "bench14", "gamle-oslo", "bygdoy", {"name": "Lena Lean", "username": "beboer.test"}, {})
    return case.id, kari


def test_a_completion_reads_nothing_it_already_knows(ctx, users, clock_at):
    clock_at(2026, 3, 2, 9)
    case_id, kari = _bench_case(users)
    task = cases.case_tasks(db.session.get(Case, case_id))[0]
    db.session.remove()
    with _statements() as seen:
        cases.complete_task(kari, task.id, {"notat": "ok"})
    selects = [s for s in seen if s.startswith("SELECT")]

    def reads(table: str) -> int:
        return sum(1 for s in selects if f"FROM {table} " in s + " " or f"JOIN {table} " in s)
    assert reads("cases") == 1, selects      # read once with its task to decide access; never read back by a hook
    for table in ("timers", "deadline_records", "case_facts"):
        assert reads(table) == 0, (table, selects)
    assert len(selects) <= 2, selects        # the task with its case (access), the new task's lane users
    writes = [s for s in seen if not s.startswith("SELECT")]
    assert len(writes) <= 6, writes          # UPDATE cases, DELETE + INSERT open_tasks, audit, notifications, access log
    # … and what those statements were for is all there
    db.session.rollback()
    assert db.session.get(OpenTask, task.id) is None
    new_task = db.session.scalars(sa.select(OpenTask).where(OpenTask.case_id == case_id)).one()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                             .where(Notification.task_id == new_task.id)) >= 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccessLog)
                             .where(AccessLog.case_id == case_id, AccessLog.action == "complete_task")) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.case_id == case_id, AuditEvent.task_id == task.id,
                                    AuditEvent.type == "task.completed")) == 1


def test_facts_still_follow_a_step_that_changes_them(ctx, users, clock_at):
    """The facts hook skips its work only when the step cannot change the facts: the case's opening
    (a fact row with the resident link) and its completion still write them."""
    clock_at(2026, 3, 2, 9)
    case_id, kari = _bench_case(users)
    db.session.rollback()
    assert db.session.get(CaseFact, case_id) is not None
    lanes = {"bydel": kari, "institusjon": actor_for(users["ingrid.bygdoy"]),
             "beboer": actor_for(users["beboer.test"])}
    for _ in range(14):
        task = cases.case_tasks(db.session.get(Case, case_id))[0]
        cases.complete_task(lanes[task.lane], task.id, {"notat": "ok"})
    db.session.rollback()
    assert db.session.get(Case, case_id).status == "completed"
