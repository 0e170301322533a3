"""Migration: dry run per case with reasons, run one transaction each, timeline event, continue on v2."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from engine.timers import worker as timer_worker
from engine.processes import deployments
from engine.extensions import db
from engine.store.models import AuditEvent, Case
from tests.conftest import fixture_files
from tests.ops.helpers import complete, open_case

V2 = Path(__file__).parent / "tre_baner_v2.bpmn"


def _deploy_v2():
    files = fixture_files("enkel.schema.json")
    files["tre_baner.bpmn"] = V2.read_bytes()   # same process id, one task renamed, «samtykke» removed
    result = deployments.deploy(files, None)
    assert result.created
    return result.versions[0]


def _state(case_id: int):
    db.session.expire_all()
    c = db.session.get(Case, case_id)
    return c.process_version_id, c.version, c.state, c.status


def test_dry_run_then_migrate_and_finish_on_v2(app, api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    movable = open_case(api)                                           # at «registrer» (exists in v2)
    stuck_on_removed = complete(api, "kari.gamleoslo", open_case(api), "registrer")   # at «samtykke»
    v2 = _deploy_v2()
    assert v2.version == 2
    body = {"from_version_id": tre_baner.id, "to_version_id": v2.id, "dry_run": True}

    before = {c: _state(c) for c in (movable["id"], stuck_on_removed["id"])}
    r = api("admin").post("/api/v1/admin/migrations", json=body)
    assert r.status_code == 200, r.json
    report = {c["case_id"]: c for c in r.json["cases"]}
    assert report[movable["id"]]["can_migrate"] is True and report[movable["id"]]["reasons"] == []
    assert report[stuck_on_removed["id"]]["can_migrate"] is False
    assert "«Gi samtykke» (samtykke)" in report[stuck_on_removed["id"]]["reasons"][0]   # named, id for the log
    assert {c: _state(c) for c in before} == before                    # a dry run changes nothing

    r = api("prosesseier").post("/api/v1/admin/migrations", json={**body, "dry_run": False, "reason": "ny versjon"})
    assert r.status_code == 200, r.json
    assert r.json["migrated"] == 1 and r.json["total"] == 2
    assert _state(stuck_on_removed["id"]) == before[stuck_on_removed["id"]]
    assert _state(movable["id"])[0] == v2.id

    [event] = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.case_id == movable["id"],
                                                             AuditEvent.type == "case.migrated"))
    assert event.data["from_version"] == 1 and event.data["to_version"] == 2 and event.data["reason"] == "ny versjon"

    app.extensions["tilbolig"].workflows.clear()          # continue from the stored state
    case = api("kari.gamleoslo").get(f"/api/v1/cases/{movable['id']}").json
    assert case["process_version"] == 2 and case["tasks"][0]["name"] == "Registrer innflytting (ny)"
    case = complete(api, "kari.gamleoslo", case, "registrer")          # v2: straight to beregn → plan
    assert [t["element_id"] for t in case["tasks"]] == ["plan"]
    case = complete(api, "ingrid.bygdoy", case, "plan", {"antall": 1})
    assert case["status"] == "completed"


def test_migration_refusals(api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    v2 = _deploy_v2()
    url = "/api/v1/admin/migrations"
    assert api("kari.gamleoslo").post(url, json={"from_version_id": tre_baner.id, "to_version_id": v2.id}).status_code == 403
    assert api("admin").post(url, json={"from_version_id": tre_baner.id, "to_version_id": tre_baner.id}).status_code == 422
    assert api("admin").post(url, json={"from_version_id": tre_baner.id, "to_version_id": 9999}).status_code == 404
    assert api("admin").post(url, json={"from_version_id": "x", "to_version_id": v2.id}).status_code == 422
    assert api("admin").post(url, json={"from_version_id": tre_baner.id, "to_version_id": v2.id,
                                        "dry_run": "nei"}).status_code == 422   # breaks the published schema


def test_cli_migrate_dry_run_and_run(app, api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    case = open_case(api)
    v2 = _deploy_v2()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["admin", "migrate", str(tre_baner.id), str(v2.id), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"{case['id']}\tkan flyttes" in result.output
    assert _state(case["id"])[0] == tre_baner.id
    result = runner.invoke(args=["admin", "migrate", str(tre_baner.id), str(v2.id)])
    assert result.exit_code == 0 and "1 flyttet" in result.output, result.output
    assert _state(case["id"])[0] == v2.id


def test_versions_list_and_exact_file_download(api, tre_baner, clock_at, users):
    clock_at(2026, 3, 1, 9)
    open_case(api)
    r = api("prosesseier").get("/api/v1/admin/versions")
    assert r.status_code == 200
    [v] = r.json
    assert v["id"] == tre_baner.id and v["running_cases"] == 1 and len(v["hash"]) == 64
    assert "tre_baner.bpmn" in v["files"] and v["deployed_at"]
    r = api("prosesseier").get(f"/api/v1/admin/versions/{tre_baner.id}/files/tre_baner.bpmn?download=1")
    assert r.status_code == 200 and r.data == fixture_files("tre_baner.bpmn")["tre_baner.bpmn"]
    assert "attachment" in r.headers["Content-Disposition"]
    assert api("prosesseier").get(f"/api/v1/admin/versions/{tre_baner.id}/files/nope.bpmn").status_code == 404
    assert api("kari.gamleoslo").get("/api/v1/admin/versions").status_code == 403


def test_case_waiting_on_a_deadline_migrates_and_its_timer_still_fires(app, api, tre_baner, clock_at):
    traveller = clock_at(2026, 3, 1, 9)
    v2 = _deploy_v2()
    case = complete(api, "kari.gamleoslo", open_case(api), "registrer")          # v2: at «plan» with its deadline
    assert case["process_version"] == 2 and [t["deadline"] for t in case["timers"]] == ["plan"]
    r = api("admin").post("/api/v1/admin/migrations", json={"from_version_id": v2.id, "to_version_id": tre_baner.id,
                                                            "dry_run": False})
    assert r.json["migrated"] == 1, r.json
    app.extensions["tilbolig"].workflows.clear()
    from datetime import datetime, timezone
    from engine import cases
    traveller.move_to(datetime(2026, 3, 20, tzinfo=timezone.utc))
    assert timer_worker.drain().cases_woken == 1
    case = api("admin").get(f"/api/v1/cases/{case['id']}").json
    assert case["process_version"] == 1 and {t["element_id"] for t in case["tasks"]} == {"plan", "folg_opp"}
    case = complete(api, "ingrid.bygdoy", case, "plan")
    case = complete(api, "leder.bygdoy", case, "folg_opp") if any(
        t["element_id"] == "folg_opp" for t in case["tasks"]) else case
    assert case["status"] == "completed", case
