"""Moving a deadline by agreement: re-armed in the same transaction, history kept, bad moves refused."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from engine.timers import worker as timer_worker
from engine.extensions import db
from engine.store.models import AuditEvent, Case, Timer
from engine.store.timers import DeadlineChange
from tests.timers.helpers import case_at_plan, fired_events


def _move(api, user, case_id, key="plan", **body):
    return api(user).post(f"/api/v1/cases/{case_id}/deadlines/{key}", json=body)


def _snapshot(case_id):
    case = db.session.get(Case, case_id)
    db.session.refresh(case)
    due = db.session.scalar(sa.select(Timer.due_at).where(Timer.case_id == case_id))
    return case.version, case.state, due, db.session.scalar(sa.select(sa.func.count(DeadlineChange.id)))


def test_moving_a_deadline_rearms_the_timer_and_keeps_history(api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    case = case_at_plan(api)
    clock_at(2026, 3, 10, 9)
    r = _move(api, "ingrid.bygdoy", case["id"], due_date="2026-03-31", reason="Avtalt med bydelen: venter på lege")
    assert r.status_code == 200, r.json
    assert r.json["old_due_at"] == "2026-03-15T23:00:00+00:00"
    assert r.json["new_due_at"] == "2026-03-31T22:00:00+00:00"          # summer time by then
    assert r.json["by"] == "ingrid.bygdoy"
    r = _move(api, "leder.bygdoy", case["id"], due_date="2026-04-07", reason="Ny avtale")
    assert r.status_code == 200
    body = api("kari.gamleoslo").get(f"/api/v1/cases/{case['id']}/deadlines").json
    assert api("ola.grunerlokka").get(f"/api/v1/cases/{case['id']}/deadlines").status_code == 404
    [deadline] = body["deadlines"]
    assert deadline["due_date"] == "2026-04-07" and deadline["due_at"] == "2026-04-07T22:00:00+00:00"
    assert [(c["by"], c["new_date"], c["reason"]) for c in deadline["changes"]] == [
        ("ingrid.bygdoy", "2026-03-31", "Avtalt med bydelen: venter på lege"), ("leder.bygdoy", "2026-04-07", "Ny avtale")]
    task = next(t for t in api("kari.gamleoslo").get(f"/api/v1/cases/{case['id']}").json["tasks"])
    assert task["due_at"] == "2026-04-07T22:00:00+00:00"
    assert [e.data["new_date"] for e in db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.type == "deadline.changed").order_by(AuditEvent.id))] == [
        "2026-03-31", "2026-04-07"]
    # the old due time passes without firing; the new one fires once
    clock_at(2026, 3, 20)
    assert timer_worker.drain().timers_fired == 0
    clock_at(2026, 4, 7, 21, 59)
    assert timer_worker.drain().timers_fired == 0
    clock_at(2026, 4, 7, 22, 0, 1)
    assert timer_worker.drain().timers_fired == 1
    assert fired_events(case["id"])[0].data["due_at"] == "2026-04-07T22:00:00+00:00"
    # overdue never blocks the work: the institution still completes the plan
    plan = next(t for t in api("ingrid.bygdoy").get("/api/v1/tasks").json if t["element_id"] == "plan")
    assert plan["overdue"] is True
    assert api("ingrid.bygdoy").post(f"/api/v1/tasks/{plan['id']}/complete", json={"data": {}}).status_code == 200


@pytest.mark.parametrize("user, body, status", [
    ("ingrid.bygdoy", {"due_date": "2026-03-09", "reason": "for sent"}, 422),          # yesterday
    ("ingrid.bygdoy", {"due_date": "2026-02-30", "reason": "finnes ikke"}, 422),       # impossible date
    ("ingrid.bygdoy", {"due_date": "31.03.2026", "reason": "feil format"}, 422),
    ("ingrid.bygdoy", {"due_date": "2026-03-31"}, 422),                                # no reason
    ("ingrid.bygdoy", {"due_date": "2026-03-31", "reason": "   "}, 422),
    ("ingrid.bygdoy", {"due_date": "2026-03-15", "reason": "samme dag"}, 422),         # no change
    ("kari.gamleoslo", {"due_date": "2026-03-31", "reason": "ikke vår oppgave"}, 403), # bydel: not the plan's lane
    ("beboer.test", {"due_date": "2026-03-31", "reason": "beboer"}, 403),
    ("ola.grunerlokka", {"due_date": "2026-03-31", "reason": "annen bydel"}, 404),     # not their case
])
def test_bad_moves_are_refused_and_change_nothing(api, tre_baner, clock_at, user, body, status):
    clock_at(2026, 3, 1, 9)
    case = case_at_plan(api)
    clock_at(2026, 3, 10, 9)
    before = _snapshot(case["id"])
    r = _move(api, user, case["id"], **body)
    assert r.status_code == status, r.json
    assert r.json["message"]
    assert _snapshot(case["id"]) == before


def test_unknown_deadline_and_non_json_body(api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    case = case_at_plan(api)
    assert _move(api, "ingrid.bygdoy", case["id"], key="finnes_ikke", due_date="2026-03-31", reason="x").status_code == 404
    r = api("ingrid.bygdoy").post(f"/api/v1/cases/{case['id']}/deadlines/plan", data="tekst")
    assert r.status_code == 400
    assert _move(api, "ingrid.bygdoy", 999999, due_date="2026-03-31", reason="x").status_code == 404


def test_a_deadline_already_passed_cannot_be_moved(api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    case = case_at_plan(api)
    clock_at(2026, 3, 16)       # due, not yet fired by a worker
    assert _move(api, "ingrid.bygdoy", case["id"], due_date="2026-03-31", reason="for sent").status_code == 409
    timer_worker.drain()        # fired: the deadline is gone
    assert _move(api, "ingrid.bygdoy", case["id"], due_date="2026-03-31", reason="for sent").status_code == 404


def test_cli_moves_a_deadline_and_lists_history(api, tre_baner, clock_at, ctx):
    clock_at(2026, 3, 1, 9)
    case = case_at_plan(api)
    runner = ctx.test_cli_runner()
    out = runner.invoke(args=["deadlines", "move", str(case["id"]), "plan", "2026-03-20", "--reason",
                              "Avtalt i møte", "--user", "ingrid.bygdoy"])
    assert out.exit_code == 0, out.output
    assert "flyttet til 2026-03-20" in out.output
    out = runner.invoke(args=["deadlines", "list", str(case["id"]), "--user", "kari.gamleoslo"]).output
    assert "2026-03-20" in out and "Avtalt i møte" in out and "ingrid.bygdoy" in out
    bad = runner.invoke(args=["deadlines", "move", str(case["id"]), "plan", "2026-02-01", "--reason", "x",
                              "--user", "ingrid.bygdoy"])
    assert bad.exit_code == 1 and "422" in bad.output
    due = db.session.scalar(sa.select(Timer.due_at).where(Timer.case_id == case["id"]))
    assert due.replace(tzinfo=timezone.utc) == datetime(2026, 3, 20, 23, tzinfo=timezone.utc)
