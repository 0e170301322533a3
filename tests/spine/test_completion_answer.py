"""An API completion's own statements: the bearer token and its user in one, the answer's names in one (#15)."""
from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy import event

from engine import clock
from engine.extensions import db
from engine.store.models import ApiToken, User
from tests.spine.test_cases import _open, _task


def _statements(fn):
    seen: list[str] = []

    def note(conn, cursor, statement, *args):
        seen.append(" ".join(statement.split()))
    event.listen(db.engine, "before_cursor_execute", note)
    try:
        result = fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return result, seen


def test_a_completion_looks_up_token_and_user_once_and_names_its_case_in_one_statement(api, tre_baner, clock_at):
    case = _open(api, clock_at)
    client = api("kari.gamleoslo")
    r, seen = _statements(lambda: client.post(f"/api/v1/tasks/{_task(case, 'registrer')['id']}/complete",
                                              json={"data": {}}))
    assert r.status_code == 200, r.json
    assert (r.json["process_key"], r.json["process_version"], r.json["bydel"], r.json["institution"]) == \
           ("tre_baner", tre_baner.version, "gamle-oslo", "bygdoy")
    assert len([s for s in seen if "FROM api_tokens" in s or "JOIN api_tokens" in s]) == 1
    # the user came with the token: no lazy load of the token's user by its key
    assert not [s for s in seen if "users.password_hash" in s and re.search(r"WHERE users\.id = \S+$", s)]
    assert not [s for s in seen if "spec_json" in s]          # the version's 0.25 MB spec is not read again
    assert len([s for s in seen if "FROM organisations" in s or "JOIN organisations" in s]) == 1


def test_a_revoked_token_or_an_inactive_user_is_still_refused(api, tre_baner, clock_at):
    case = _open(api, clock_at)
    client = api("kari.gamleoslo")
    task_id = _task(case, "registrer")["id"]
    user = db.session.scalar(sa.select(User).where(User.username == "kari.gamleoslo"))
    user.active = False
    db.session.commit()
    assert client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {}}).status_code == 401
    user.active = True
    db.session.execute(sa.update(ApiToken).where(ApiToken.user_id == user.id).values(revoked_at=clock.now()))
    db.session.commit()
    assert client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {}}).status_code == 401
