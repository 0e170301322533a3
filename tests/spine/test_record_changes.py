"""``record_case_changes``: audit rows and change hooks for a case change that is not a workflow step."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from engine.cases import unit_of_work
from engine.cases.changes import Change
from engine.errors import NotFound
from engine.extensions import db
from engine.store.models import AuditEvent, Case
from tests.ops.helpers import open_case


@pytest.fixture()
def hooked(app, monkeypatch):
    """Record every change-hook call."""
    calls: list[tuple[int, list[str]]] = []
    registry = unit_of_work.hooks(app)
    monkeypatch.setattr(registry, "on_changes",
                        [*registry.on_changes, lambda case_id, ch: calls.append((case_id, [c.type for c in ch]))])
    return calls


def _audit(case_id: int, type_: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.case_id == case_id,
                                                               AuditEvent.type == type_)))


def test_changes_are_audited_and_hooked_in_the_callers_transaction(api, tre_baner, clock_at, hooked):
    """Given a case, when a comment's mention is recorded and the caller commits,
    then the audit row is kept, the hooks saw it, and the case was not stepped (same version)."""
    clock_at(2026, 3, 1, 9)
    case = open_case(api)
    version = db.session.get(Case, case["id"]).version
    hooked.clear()
    unit_of_work.record_case_changes(case["id"], [Change("comment.mentioned", data={"user_ids": [3], "comment_id": 7})])
    db.session.commit()
    assert hooked == [(case["id"], ["comment.mentioned"])]
    rows = _audit(case["id"], "comment.mentioned")
    assert [r.data for r in rows] == [{"user_ids": [3], "comment_id": 7}]
    db.session.expire_all()
    assert db.session.get(Case, case["id"]).version == version


def test_a_rollback_keeps_nothing(api, tre_baner, clock_at, hooked):
    """Given recorded changes, when the caller rolls back, then no audit row is left."""
    clock_at(2026, 3, 1, 9)
    case = open_case(api)
    unit_of_work.record_case_changes(case["id"], [Change("comment.mentioned", data={"user_ids": [], "comment_id": 1})])
    db.session.rollback()
    assert _audit(case["id"], "comment.mentioned") == []


def test_an_unknown_case_is_not_found_and_nothing_empty_is_written(ctx, hooked):
    unit_of_work.record_case_changes(999, [])
    assert hooked == []
    with pytest.raises(NotFound):
        unit_of_work.record_case_changes(999, [Change("comment.mentioned")])
    assert hooked == []
