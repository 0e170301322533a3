"""Repairs: each succeeds, is refused without a reason (422) or the right (403), and a failure changes nothing."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from engine.timers import worker as timer_worker
from engine import cases
from engine.extensions import db
from engine.store.models import AuditEvent, Case, OpenTask, Timer
from tests.ops.helpers import complete, errored, open_case, reasons, stuck, task, to_plan


def _repair(api, case_id, action, user="admin", **body):
    return api(user).post(f"/api/v1/admin/cases/{case_id}/{action}", json=body)


def _snapshot(case_id: int) -> tuple:
    db.session.expire_all()
    c = db.session.get(Case, case_id)
    tasks = sorted((t.id, t.element_id) for t in db.session.scalars(sa.select(OpenTask).where(OpenTask.case_id == case_id)))
    timers = sorted((t.task_id, str(t.due_at), t.broken_reason)
                    for t in db.session.scalars(sa.select(Timer).where(Timer.case_id == case_id)))
    events = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case_id))
    return c.status, c.version, c.state, c.error_element, tasks, timers, events


def _repaired(case_id: int) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.case_id == case_id,
                                                               AuditEvent.type == "case.repaired")
                                 .order_by(AuditEvent.id)))   # the clock is frozen: every row has the same time


@pytest.mark.parametrize("action,body", [
    ("retry", {"data": {"deler": "4"}}), ("edit_data", {"data": {"deler": "4"}}), ("suspend", {}),
    ("terminate", {}), ("move_token", {"element_id": "registrer"}), ("fire_timer", {"timer": "plan"}),
    ("reschedule_timer", {"timer": "plan", "due_at": "2026-04-01T00:00:00+00:00"}), ("resume", {})])
def test_every_repair_needs_a_reason_and_an_administrator(api, tre_baner, clock_at, action, body):
    clock_at(2026, 3, 1, 9)
    case = errored(api)
    before = _snapshot(case["id"])
    for reason in (None, "", "   "):
        r = _repair(api, case["id"], action, **body, **({"reason": reason} if reason is not None else {}))
        assert r.status_code == 422 and r.json["details"]["reason"], r.json
    for user in ("kari.gamleoslo", "prosesseier", "beboer.test"):
        assert _repair(api, case["id"], action, user=user, reason="fordi", **body).status_code == 403
    assert _snapshot(case["id"]) == before and _repaired(case["id"]) == []


def test_retry_after_data_fix_clears_the_error_and_leaves_the_list(api, tre_baner, clock_at, users):
    clock_at(2026, 3, 1, 9)
    case = errored(api)
    assert reasons(stuck(api), case["id"]) == {"error"}
    r = _repair(api, case["id"], "retry", reason="Feil antall deler registrert", data={"deler": "4"})
    assert r.status_code == 200, r.json
    assert r.json["status"] == "running" and "error" not in r.json
    assert [t["element_id"] for t in r.json["tasks"]] == ["plan"]
    assert stuck(api) == []
    [event] = _repaired(case["id"])
    assert event.actor_id == users["admin"].id
    assert event.data == {"action": "retry", "reason": "Feil antall deler registrert", "kind": "complete",
                          "fields": ["deler"]}
    assert event.element_id == "beregn"


def test_retry_that_fails_again_changes_nothing(api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    case = errored(api)
    before = _snapshot(case["id"])
    r = _repair(api, case["id"], "retry", reason="prøver igjen")
    assert r.status_code == 422 and r.json["code"] == "engine_error"
    assert _snapshot(case["id"]) == before
    # invalid data for the task's form: 422 with field errors, nothing changed
    r = _repair(api, case["id"], "retry", reason="prøver", data={"antall": "mange"})
    assert r.status_code == 422 and "antall" in r.json["details"]
    assert _snapshot(case["id"]) == before


def test_retry_refused_on_a_healthy_case(api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    case = open_case(api)
    before = _snapshot(case["id"])
    assert _repair(api, case["id"], "retry", reason="x").status_code == 409
    assert _snapshot(case["id"]) == before
    assert _repair(api, 999999, "retry", reason="x").status_code == 404
    assert _repair(api, case["id"], "fly", reason="x").status_code == 404


def test_edit_data_then_retry(api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    case = errored(api)
    r = _repair(api, case["id"], "edit_data", reason="retter deler", data={"deler": "5"})
    assert r.status_code == 200 and r.json["status"] == "error"
    r = _repair(api, case["id"], "retry", reason="nå skal det gå")
    assert r.status_code == 200 and r.json["status"] == "running", r.json
    data = api("admin").get(f"/api/v1/cases/{case['id']}?data=1").json["data"]
    assert data["andel"] == 20
    assert [e.data["action"] for e in _repaired(case["id"])] == ["edit_data", "retry"]


def test_edit_data_invalid_for_the_form_is_refused(api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    case = open_case(api)
    before = _snapshot(case["id"])
    r = _repair(api, case["id"], "edit_data", reason="retting", data={"antall": -1})
    assert r.status_code == 422 and "antall" in r.json["details"]
    assert _repair(api, case["id"], "edit_data", reason="retting", data={}).status_code == 422
    assert _snapshot(case["id"]) == before


def test_fire_timer_now_makes_the_deadline_overdue(api, tre_baner, clock_at):
    clock_at(2026, 3, 2, 9)
    case = to_plan(api)
    r = _repair(api, case["id"], "fire_timer", reason="test av eskalering", timer="plan")
    assert r.status_code == 200, r.json
    assert {t["element_id"] for t in r.json["tasks"]} == {"plan", "folg_opp"}
    assert task(r.json, "plan")["overdue"] is True
    assert _repair(api, case["id"], "fire_timer", reason="x", timer="plan").status_code == 404


def test_reschedule_a_broken_timer(api, tre_baner, clock_at):
    clock_at(2026, 3, 2, 9)
    case = to_plan(api, innflytting=None)
    assert reasons(stuck(api), case["id"]) == {"broken_timer"}
    before = _snapshot(case["id"])
    r = _repair(api, case["id"], "reschedule_timer", reason="dato avtalt", timer="plan", due_at="1. april")
    assert r.status_code == 422 and _snapshot(case["id"]) == before
    r = _repair(api, case["id"], "reschedule_timer", reason="dato avtalt", timer="plan",
                due_at="2026-04-01T00:00:00+02:00")
    assert r.status_code == 200, r.json
    assert r.json["timers"][0]["due_at"] == "2026-03-31T22:00:00+00:00"
    assert r.json["timers"][0]["broken_reason"] is None
    assert stuck(api) == []


def test_suspended_case_fires_no_timers_and_refuses_completion(api, tre_baner, clock_at):
    traveller = clock_at(2026, 3, 2, 9)
    case = to_plan(api)
    r = _repair(api, case["id"], "suspend", reason="beboer innlagt på sykehus")
    assert r.status_code == 200 and r.json["status"] == "suspended"
    traveller.move_to(datetime(2026, 3, 20, tzinfo=timezone.utc))
    assert timer_worker.drain().cases_woken == 0
    complete(api, "ingrid.bygdoy", case, "plan", status=409)
    assert _repair(api, case["id"], "suspend", reason="igjen").status_code == 409
    r = _repair(api, case["id"], "resume", reason="utskrevet")
    assert r.status_code == 200 and r.json["status"] == "running"
    assert timer_worker.drain().cases_woken == 1
    assert [e.data["action"] for e in _repaired(case["id"])] == ["suspend", "resume"]
    assert _repair(api, case["id"], "resume", reason="igjen").status_code == 409


def test_resume_an_errored_case_keeps_the_error(api, tre_baner, clock_at):
    clock_at(2026, 3, 2, 9)
    case = errored(api)
    assert _repair(api, case["id"], "suspend", reason="venter").json["status"] == "suspended"
    assert _repair(api, case["id"], "retry", reason="x", data={"deler": "2"}).status_code == 409
    assert _repair(api, case["id"], "resume", reason="videre").json["status"] == "error"


def test_terminate_cancels_and_clears_projections(api, tre_baner, clock_at):
    clock_at(2026, 3, 2, 9)
    case = to_plan(api)
    r = _repair(api, case["id"], "terminate", reason="saken er trukket")
    assert r.status_code == 200 and r.json["status"] == "terminated"
    assert r.json["tasks"] == [] and r.json["timers"] == []
    complete(api, "ingrid.bygdoy", case, "plan", status=409)   # the task existed and is closed: 409, not 404
    assert _repair(api, case["id"], "terminate", reason="igjen").status_code == 409
    assert _repair(api, case["id"], "resume", reason="angre").status_code == 409


def test_move_token_back_to_an_earlier_task(app, api, tre_baner, clock_at):
    clock_at(2026, 3, 2, 9)
    case = to_plan(api)
    before = _snapshot(case["id"])
    r = _repair(api, case["id"], "move_token", reason="ugyldig", element_id="finnes_ikke")
    assert r.status_code == 422 and _snapshot(case["id"]) == before
    r = _repair(api, case["id"], "move_token", reason="samtykke må gis på nytt", element_id="samtykke")
    assert r.status_code == 200, r.json
    assert [t["element_id"] for t in r.json["tasks"]] == ["samtykke"] and r.json["timers"] == []
    app.extensions["tilbolig"].workflows.clear()      # continue from the stored state, not the warm one
    r = complete(api, "beboer.test", r.json, "samtykke")
    assert [t["element_id"] for t in r["tasks"]] == ["plan"]


def test_cli_repair(app, api, tre_baner, clock_at):
    clock_at(2026, 3, 2, 9)
    case = errored(api)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["admin", "repair", str(case["id"]), "retry", "--reason", ""])
    assert result.exit_code == 1 and "Begrunnelse" in result.output
    result = runner.invoke(args=["admin", "repair", str(case["id"]), "retry", "--reason", "rettet",
                                 "--data", '{"deler": "4"}'])
    assert result.exit_code == 0, result.output
    assert "running" in result.output
    db.session.expire_all()
    assert db.session.get(Case, case["id"]).status == "running"
