"""Cases: start, complete, finish on a three-lane fixture; who may act; conflicts; engine errors."""
from __future__ import annotations

import threading

import sqlalchemy as sa

from engine import cases
from engine.extensions import db
from engine.store.models import AccessLog, AuditEvent, Case, OpenTask

START = {"process_key": "tre_baner", "bydel": "gamle-oslo", "institution": "bygdoy",
         "resident": {"name": "Tore Testbeboer", "username": "beboer.test"},
         "data": {"innflytting": "2026-03-01", "deler": "4"}}


def _open(api, clock_at, **changes):
    clock_at(2026, 3, 1, 9)
    body = {**START, **changes}
    r = api("kari.gamleoslo").post("/api/v1/cases", json=body)
    assert r.status_code == 201, r.json
    return r.json


def _task(case_json, element_id):
    return next(t for t in case_json["tasks"] if t["element_id"] == element_id)


def test_case_runs_through_three_lanes_to_the_end(api, tre_baner, clock_at):
    case = _open(api, clock_at)
    assert case["status"] == "running" and case["version"] == 1
    assert [(t["element_id"], t["lane"]) for t in case["tasks"]] == [("registrer", "bydel")]

    r = api("kari.gamleoslo").post(f"/api/v1/tasks/{_task(case, 'registrer')['id']}/complete", json={"data": {"kommentar": "ok"}})
    assert r.status_code == 200, r.json
    assert [(t["element_id"], t["lane"]) for t in r.json["tasks"]] == [("samtykke", "beboer")]

    r = api("beboer.test").post(f"/api/v1/tasks/{_task(r.json, 'samtykke')['id']}/complete", json={"data": {}})
    assert r.status_code == 200, r.json
    plan = _task(r.json, "plan")
    assert plan["lane"] == "institusjon" and plan["due_at"] == "2026-03-15T23:00:00+00:00"
    assert [t["deadline"] for t in r.json["timers"]] == ["plan"]

    r = api("ingrid.bygdoy").post(f"/api/v1/tasks/{plan['id']}/complete", json={"data": {"antall": 2}})
    assert r.status_code == 200, r.json
    assert r.json["status"] == "completed" and r.json["tasks"] == [] and r.json["timers"] == []
    types = [e["type"] for e in api("kari.gamleoslo").get(f"/api/v1/cases/{case['id']}/events").json]
    assert types[0] == "case.opened" and types.count("task.completed") == 3 and types[-1] == "case.completed"


def test_lane_rules_allow_403_and_404(api, tre_baner, clock_at):
    case = _open(api, clock_at)
    task_id = _task(case, "registrer")["id"]
    # Institution caseworker belongs to the case but not to the bydel lane: 403.
    assert api("ingrid.bygdoy").post(f"/api/v1/tasks/{task_id}/complete", json={"data": {}}).status_code == 403
    # Another bydel does not see the case at all: 404, for the task and the case.
    assert api("ola.grunerlokka").post(f"/api/v1/tasks/{task_id}/complete", json={"data": {}}).status_code == 404
    assert api("ola.grunerlokka").get(f"/api/v1/cases/{case['id']}").status_code == 404
    assert api("ola.grunerlokka").get("/api/v1/cases").json == []
    # No token: 401.
    assert api(None).get(f"/api/v1/cases/{case['id']}").status_code == 401
    assert api("kari.gamleoslo").post(f"/api/v1/tasks/{task_id}/complete", json={"data": {}}).status_code == 200


def test_caseworker_acts_on_residents_behalf_and_it_is_recorded(api, tre_baner, clock_at, users):
    case = _open(api, clock_at)
    api("kari.gamleoslo").post(f"/api/v1/tasks/{_task(case, 'registrer')['id']}/complete", json={"data": {}})
    samtykke = api("kari.gamleoslo").get("/api/v1/tasks").json[0]
    assert samtykke["element_id"] == "samtykke"
    r = api("ingrid.bygdoy").post(f"/api/v1/tasks/{samtykke['id']}/complete", json={"data": {}})
    assert r.status_code == 200
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.type == "task.completed",
                                                          AuditEvent.element_id == "samtykke"))
    assert event.actor_id == users["ingrid.bygdoy"].id and event.on_behalf_of_id == users["beboer.test"].id
    assert event.data["on_behalf_of_resident"] is True


def test_resident_sees_only_own_case(api, tre_baner, clock_at):
    own = _open(api, clock_at)
    other = _open(api, clock_at, resident={"name": "Annen Person"})
    assert api("beboer.test").get(f"/api/v1/cases/{own['id']}").status_code == 200
    assert api("beboer.test").get(f"/api/v1/cases/{other['id']}").status_code == 404
    assert [c["id"] for c in api("beboer.test").get("/api/v1/cases").json] == [own["id"]]


def test_only_the_bydel_opens_a_case_and_bad_input_is_clear(api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    assert api("ingrid.bygdoy").post("/api/v1/cases", json=START).status_code == 403
    r = api("kari.gamleoslo").post("/api/v1/cases", json={**START, "process_key": "finnes_ikke"})
    assert r.status_code == 404 and r.json["code"] == "not_found"
    r = api("kari.gamleoslo").post("/api/v1/cases", json={**START, "institution": "ukjent"})
    assert r.status_code == 422
    r = api("kari.gamleoslo").post("/api/v1/cases", data="ikke json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json["code"] == "bad_request"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_invalid_form_data_returns_every_error_and_keeps_draft(api, tre_baner, clock_at):
    case = _open(api, clock_at)
    task_id = _task(case, "registrer")["id"]
    bad = {"antall": "mange", "dato": "31.02.2026"}
    r = api("kari.gamleoslo").post(f"/api/v1/tasks/{task_id}/complete", json={"data": bad})
    assert r.status_code == 422 and r.json["code"] == "form_invalid"
    assert set(r.json["details"]) == {"antall", "dato"}
    row = db.session.get(OpenTask, task_id)
    db.session.refresh(row)
    assert row.draft == bad
    assert api("kari.gamleoslo").get(f"/api/v1/cases/{case['id']}").json["version"] == 1


def test_completing_a_finished_or_unknown_task(api, tre_baner, clock_at):
    case = _open(api, clock_at)
    task_id = _task(case, "registrer")["id"]
    assert api("kari.gamleoslo").post(f"/api/v1/tasks/{task_id}/complete", json={"data": {}}).status_code == 200
    # Completed already: the task existed (the audit trail knows it), so 409 — with a reason — not 404.
    again = api("kari.gamleoslo").post(f"/api/v1/tasks/{task_id}/complete", json={"data": {}})
    assert again.status_code == 409 and again.json["code"] == "conflict" and "allerede fullført" in again.json["message"]
    assert again.json["details"] == {"case_id": case["id"], "task_id": task_id}
    assert api("kari.gamleoslo").put(f"/api/v1/tasks/{task_id}/draft", json={"data": {}}).status_code == 409
    # Someone who cannot see the case learns nothing: 404, as for an id that never existed.
    assert api("ola.grunerlokka").post(f"/api/v1/tasks/{task_id}/complete", json={"data": {}}).status_code == 404
    assert api("kari.gamleoslo").post("/api/v1/tasks/ikke-en-id/complete", json={"data": {}}).status_code == 404


def test_stale_version_is_409_and_changes_nothing(api, tre_baner, clock_at):
    case = _open(api, clock_at)
    task_id = _task(case, "registrer")["id"]
    r = api("kari.gamleoslo").post(f"/api/v1/tasks/{task_id}/complete", json={"data": {}, "version": 0})
    assert r.status_code == 409 and r.json["code"] == "conflict"
    after = api("kari.gamleoslo").get(f"/api/v1/cases/{case['id']}").json
    assert after["version"] == 1 and [t["element_id"] for t in after["tasks"]] == ["registrer"]


def test_two_concurrent_completions_one_wins_one_gets_409(api, tre_baner, clock_at, ctx):
    case = _open(api, clock_at)
    task_id = _task(case, "registrer")["id"]
    client = api("kari.gamleoslo")
    barrier = threading.Barrier(2)
    results = []

    def complete():
        with ctx.app_context():
            barrier.wait()
            results.append(client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"kommentar": "x"}}).status_code)
            db.session.remove()

    threads = [threading.Thread(target=complete) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 409]
    db.session.expire_all()
    after = api("kari.gamleoslo").get(f"/api/v1/cases/{case['id']}").json
    assert after["version"] == 2
    assert [t["element_id"] for t in after["tasks"]] == ["samtykke"]
    completed = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                                  .where(AuditEvent.type == "task.completed"))
    assert completed == 1


def test_two_sessions_racing_on_the_version_column(api, tre_baner, clock_at, ctx, users):
    """Two connections both load version 1; the second save must lose with 409, not overwrite."""
    from engine.access.rules import actor_for
    from engine.errors import Conflict
    case = _open(api, clock_at)
    task_id = _task(case, "registrer")["id"]
    actor = actor_for(users["kari.gamleoslo"])
    row = db.session.get(Case, case["id"])
    stale_version = row.version
    cases.complete_task(actor, task_id, {})
    db.session.execute(sa.update(Case).where(Case.id == row.id).values(version=stale_version))  # simulate stale
    db.session.rollback()
    fresh = db.session.get(Case, case["id"])
    assert fresh.version == 2
    try:
        with cases.CaseUnitOfWork(fresh) as uow:
            uow.workflow
            uow.version = stale_version          # as if this writer had read the case before the other one
            uow.commit()
        raise AssertionError("expected Conflict")
    except Conflict:
        pass
    assert db.session.get(Case, case["id"]).version == 2


def test_engine_error_rolls_back_marks_case_and_stays_loadable(api, tre_baner, clock_at, caplog):
    case = _open(api, clock_at, data={"innflytting": "2026-03-01", "deler": "0"})
    api("kari.gamleoslo").post(f"/api/v1/tasks/{_task(case, 'registrer')['id']}/complete", json={"data": {}})
    samtykke = api("beboer.test").get("/api/v1/tasks").json[0]
    with caplog.at_level("WARNING", logger="tilbolig.errors"):
        r = api("beboer.test").post(f"/api/v1/tasks/{samtykke['id']}/complete", json={"data": {}},
                                    headers={"X-Request-Id": "test-race-0001"})
    assert r.status_code == 422 and r.json["code"] == "engine_error"
    # The client gets the correlation id, not the engine's text (expression, variable names) nor the element.
    text = r.get_data(as_text=True)
    assert r.json["request_id"] == r.headers["X-Request-Id"] == "test-race-0001" and "test-race-0001" in r.json["message"]
    assert "details" not in r.json and "division" not in text and "deler" not in text and "Traceback" not in text
    # The server log has the whole story under that id.
    logged = [rec.getMessage() for rec in caplog.records if "test-race-0001" in rec.getMessage()]
    assert logged and "beregn" in logged[0] and "division" in logged[0]
    after = api("kari.gamleoslo").get(f"/api/v1/cases/{case['id']}").json
    assert after["status"] == "error"
    assert "element_id" not in after["error"] and "division" not in after["error"]["message"]
    assert api("admin").get(f"/api/v1/cases/{case['id']}").json["error"]["element_id"] == "beregn"
    # The step was rolled back: the resident's task is still open, the state loads.
    assert [t["element_id"] for t in after["tasks"]] == ["samtykke"]
    assert "deler" in api("kari.gamleoslo").get(f"/api/v1/cases/{case['id']}?data=1").json["data"]


def test_every_read_and_write_is_in_the_access_log(api, tre_baner, clock_at, users):
    case = _open(api, clock_at)
    api("kari.gamleoslo").get(f"/api/v1/cases/{case['id']}")
    api("ola.grunerlokka").get(f"/api/v1/cases/{case['id']}")
    rows = db.session.execute(sa.select(AccessLog.user_id, AccessLog.action, AccessLog.granted)
                              .where(AccessLog.case_id == case["id"])).all()
    assert (users["kari.gamleoslo"].id, "create", True) in rows
    assert (users["kari.gamleoslo"].id, "read", True) in rows
    assert (users["ola.grunerlokka"].id, "read", False) in rows


def test_due_timer_fires_from_cli_and_escalates_to_leader(api, tre_baner, clock_at, ctx):
    case = _open(api, clock_at)
    api("kari.gamleoslo").post(f"/api/v1/tasks/{_task(case, 'registrer')['id']}/complete", json={"data": {}})
    samtykke = api("beboer.test").get("/api/v1/tasks").json[0]
    api("beboer.test").post(f"/api/v1/tasks/{samtykke['id']}/complete", json={"data": {}})
    runner = ctx.test_cli_runner()
    clock_at(2026, 3, 15, 22, 59)      # 23:59 in Oslo on the due day: not yet
    assert "0 sak" in runner.invoke(args=["timers", "fire"]).output
    clock_at(2026, 3, 15, 23, 0, 1)    # just after midnight in Oslo
    assert "1 sak" in runner.invoke(args=["timers", "fire"]).output
    tasks = {t["element_id"]: t for t in api("kari.gamleoslo").get(f"/api/v1/cases/{case['id']}").json["tasks"]}
    assert tasks["plan"]["overdue"] is True                      # the work still continues
    assert tasks["folg_opp"]["role"] == "leder"
    assert [t["element_id"] for t in api("leder.bygdoy").get("/api/v1/tasks").json] == ["plan", "folg_opp"]
    assert "folg_opp" not in [t["element_id"] for t in api("ingrid.bygdoy").get("/api/v1/tasks").json]


def test_message_the_process_never_catches_is_422_on_its_name(api, tre_baner, clock_at):
    """tre_baner catches no message: refused at the door (a case not *yet* waiting is 409: tests/webhooks/test_door.py)."""
    case = _open(api, clock_at)
    r = api("kari.gamleoslo").post(f"/api/v1/cases/{case['id']}/messages", json={"name": "bolig_tilbudt", "data": {}})
    assert r.status_code == 422 and r.json["code"] == "message_invalid"
    assert r.json["details"] == {"name": ["Prosessen tar ikke imot meldingen «bolig_tilbudt»."]}


def test_deadline_already_past_marks_the_task_overdue_at_once(api, tre_baner, clock_at):
    """A case registered mid-stay: the 14-day deadline passed before the plan task even opened."""
    case = _open(api, clock_at, data={"innflytting": "2026-01-05", "deler": "4"})
    api("kari.gamleoslo").post(f"/api/v1/tasks/{_task(case, 'registrer')['id']}/complete", json={"data": {}})
    samtykke = api("beboer.test").get("/api/v1/tasks").json[0]
    r = api("beboer.test").post(f"/api/v1/tasks/{samtykke['id']}/complete", json={"data": {}})
    tasks = {t["element_id"]: t for t in r.json["tasks"]}
    assert tasks["plan"]["overdue"] is True
    assert tasks["plan"]["due_at"] == "2026-01-19T23:00:00+00:00"
    assert "folg_opp" not in tasks      # a leader's follow-up is not the resident's business (#13)
    tasks = {t["element_id"]: t for t in api("kari.gamleoslo").get(f"/api/v1/cases/{case['id']}").json["tasks"]}
    assert tasks["folg_opp"]["role"] == "leder"
    types = [e["type"] for e in api("kari.gamleoslo").get(f"/api/v1/cases/{case['id']}/events").json]
    assert types.count("deadline.overdue") == 1


def test_a_task_the_service_opened_closes_when_the_case_completes(api, tre_baner, clock_at):
    """A consent renewal (a task the service opened, not the workflow) does not outlive its case: when
    the workflow ends the task is closed and the audit trail says so — before, it stayed in the inbox
    and completing it was refused with «Saken er avsluttet» (found by the simulated year of bench/storage)."""
    import sqlalchemy as sa

    from engine.cases.consent import RENEWAL_ELEMENT, RENEWAL_NAME, RENEWAL_ORIGIN
    from engine.extensions import db
    from engine.store.models import AuditEvent, Case, OpenTask

    case = _open(api, clock_at)
    db.session.add(OpenTask(id="renewal-of-a-test", case_id=case["id"], element_id=RENEWAL_ELEMENT, name=RENEWAL_NAME,
                            lane="bydel", organisation_id=db.session.get(Case, case["id"]).bydel_id,
                            origin=RENEWAL_ORIGIN))
    db.session.commit()
    r = api("kari.gamleoslo").post(f"/api/v1/tasks/{_task(case, 'registrer')['id']}/complete", json={"data": {}})
    r = api("beboer.test").post(f"/api/v1/tasks/{_task(r.json, 'samtykke')['id']}/complete", json={"data": {}})
    assert db.session.get(OpenTask, "renewal-of-a-test") is not None      # a step that does not end the case keeps it
    db.session.rollback()
    r = api("ingrid.bygdoy").post(f"/api/v1/tasks/{_task(r.json, 'plan')['id']}/complete", json={"data": {"antall": 2}})
    assert r.status_code == 200 and r.json["status"] == "completed", r.json
    db.session.rollback()
    assert db.session.get(OpenTask, "renewal-of-a-test") is None
    cancelled = db.session.scalars(sa.select(AuditEvent.element_id).where(
        AuditEvent.case_id == case["id"], AuditEvent.type == "task.cancelled", AuditEvent.task_id == "renewal-of-a-test"))
    assert list(cancelled) == [RENEWAL_ELEMENT]
