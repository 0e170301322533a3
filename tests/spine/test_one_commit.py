"""A completion costs one durable commit, and its access-log row still stands whatever the answer (#15).

Before, `_authorize_task` committed the access-log row on its own and the step committed again: two
fsyncs per completion. Now the row rides in the step's transaction, and on every refusal (stale
version, a closed case, an invalid form, an engine error) it is written once in a transaction of its own.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from engine import cases
from engine.access.rules import actor_for
from engine.errors import Conflict, FormInvalid
from engine.extensions import db
from engine.store.models import AccessLog, Case, OpenTask
from tests.spine.test_cases import _open, _task


@contextmanager
def _commits() -> Iterator[list[int]]:
    seen: list[int] = []

    def on_commit(conn) -> None:
        seen.append(1)
    sa.event.listen(db.engine, "commit", on_commit)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "commit", on_commit)


def _log(case_id: int, action: str) -> list[tuple[int, bool]]:
    db.session.rollback()
    return db.session.execute(sa.select(AccessLog.user_id, AccessLog.granted)
                              .where(AccessLog.case_id == case_id, AccessLog.action == action)).all()


def test_a_completion_is_one_commit_with_its_access_log_row(api, tre_baner, clock_at, users):
    case = _open(api, clock_at)
    task_id = _task(case, "registrer")["id"]
    kari = actor_for(users["kari.gamleoslo"])
    db.session.remove()
    with _commits() as commits:
        cases.complete_task(kari, task_id, {})
    assert len(commits) == 1
    assert _log(case["id"], "complete_task") == [(kari.user_id, True)]
    assert db.session.get(OpenTask, task_id) is None


def test_a_stale_version_is_refused_and_logged_once(api, tre_baner, clock_at, users):
    case = _open(api, clock_at)
    task_id = _task(case, "registrer")["id"]
    kari = actor_for(users["kari.gamleoslo"])
    with pytest.raises(Conflict):
        cases.complete_task(kari, task_id, {}, expected_version=0)
    assert _log(case["id"], "complete_task") == [(kari.user_id, True)]
    assert db.session.get(OpenTask, task_id) is not None


def test_an_invalid_form_keeps_the_draft_and_logs_once(api, tre_baner, clock_at, users):
    case = _open(api, clock_at)
    task_id = _task(case, "registrer")["id"]
    kari = actor_for(users["kari.gamleoslo"])
    with pytest.raises(FormInvalid):
        cases.complete_task(kari, task_id, {"antall": "mange"})
    assert _log(case["id"], "complete_task") == [(kari.user_id, True)]
    assert db.session.get(OpenTask, task_id).draft == {"antall": "mange"}


def test_a_completion_on_a_suspended_case_is_refused_and_logged_once(api, tre_baner, clock_at, users):
    case = _open(api, clock_at)
    task_id = _task(case, "registrer")["id"]
    db.session.execute(sa.update(Case).where(Case.id == case["id"]).values(status="suspended"))
    db.session.commit()
    kari = actor_for(users["kari.gamleoslo"])
    with pytest.raises(Conflict):
        cases.complete_task(kari, task_id, {})
    assert _log(case["id"], "complete_task") == [(kari.user_id, True)]
