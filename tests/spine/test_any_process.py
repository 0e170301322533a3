"""Processes beyond the routine (#18): a plain Camunda Modeler diagram — lanes named after roles, an
abstract task, a manual task, no forms, no vendor extensions of ours — deploys and runs end to end."""
from __future__ import annotations

import sqlalchemy as sa

from engine.bpmn import lanes
from engine.extensions import db
from engine.store.models import AuditEvent, User
from tests.conftest import fixture_files

PLAIN = fixture_files("camunda_plain.bpmn")["camunda_plain.bpmn"].decode()
START = {"process_key": "stottekontakt", "bydel": "gamle-oslo", "institution": "bygdoy",
         "resident": {"name": "Tore Testbeboer", "username": "beboer.test"}, "data": {}}


def _only(case_json) -> dict:
    assert len(case_json["tasks"]) == 1, case_json["tasks"]
    return case_json["tasks"][0]


def _complete(api, username, task, data):
    return api(username).post(f"/api/v1/tasks/{task['id']}/complete", json={"data": data})


def test_plain_modeler_diagram_with_role_lanes_deploys_and_runs_end_to_end(api, users, clock_at):
    clock_at(2026, 3, 2, 9)
    # given a diagram saved by Camunda Modeler 5, deployed by the process owner (no scripts: no trust needed)
    r = api("prosesseier").post("/api/v1/deployments", json={"files": {"stottekontakt.bpmn": PLAIN}})
    assert r.status_code == 201, r.json
    # and an institution caseworker who holds the role the «Fagleder» lane is named after
    ingrid = db.session.get(User, users["ingrid.bygdoy"].id)
    ingrid.roles = "saksbehandler,fagleder"
    db.session.commit()

    r = api("kari.gamleoslo").post("/api/v1/cases", json=START)
    assert r.status_code == 201, r.json
    task = _only(r.json)
    # the lane «Saksbehandler» is a party of its own, worked in the bydel; a formless task asks for a comment
    assert (task["element_id"], task["lane"], task["form"]) == ("Activity_registrer", "saksbehandler", None)
    detail = api("kari.gamleoslo").get(f"/api/v1/tasks/{task['id']}").json
    assert list(detail["schema"]["properties"]) == ["kommentar"]
    # only the comment may be sent
    bad = _complete(api, "kari.gamleoslo", task, {"belop": 100})
    assert bad.status_code == 422, bad.json
    r = _complete(api, "kari.gamleoslo", task, {"kommentar": "Søknaden er registrert."})
    assert r.status_code == 200, r.json

    # «Beboer» is the resident's lane (case-insensitive): the resident completes it without a form
    task = _only(r.json)
    assert (task["element_id"], task["lane"]) == ("Activity_bekreft", "beboer")
    r = _complete(api, "beboer.test", task, {})
    assert r.status_code == 200, r.json

    # an abstract <bpmn:task> waits for a person, as in SpiffWorkflow
    task = _only(r.json)
    assert (task["element_id"], task["lane"]) == ("Activity_ring", "saksbehandler")
    r = _complete(api, "kari.gamleoslo", task, {"kommentar": "Ringte, hun ønsker støttekontakt."})
    assert r.status_code == 200, r.json

    # the manual task in «Fagleder»: not every caseworker, but a holder of the role «fagleder»
    task = _only(r.json)
    assert (task["element_id"], task["lane"]) == ("Activity_godkjenn", "fagleder")
    assert _complete(api, "kari.gamleoslo", task, {}).status_code == 403
    assert _complete(api, "leder.bygdoy", task, {}).status_code == 403
    listed = api("ingrid.bygdoy").get("/api/v1/tasks").json
    assert task["id"] in [t["id"] for t in (listed["items"] if isinstance(listed, dict) else listed)]
    r = _complete(api, "ingrid.bygdoy", task, {"kommentar": "Godkjent."})
    assert r.status_code == 200, r.json
    assert r.json["status"] == "completed" and r.json["tasks"] == []

    completed = list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.type == "task.completed")
                                        .order_by(AuditEvent.id)))
    assert [e.data["values"].get("kommentar") for e in completed] == [
        "Søknaden er registrert.", None, "Ringte, hun ønsker støttekontakt.", "Godkjent."]


def test_a_declared_party_is_acted_on_by_role_holders_else_the_bydel_leader():
    parties = lanes.Parties(bydel_id=1, institution_id=2, resident_user_id=9)
    holder = lanes.Actor(3, "a", 2, frozenset({"saksbehandler", "Fagleder"}))
    plain = lanes.Actor(4, "b", 1, frozenset({"saksbehandler"}))
    bydel_leader = lanes.Actor(5, "c", 1, frozenset({"saksbehandler", "leder"}))
    inst_leader = lanes.Actor(6, "d", 2, frozenset({"saksbehandler", "leder"}))
    stranger = lanes.Actor(7, "e", 8, frozenset({"saksbehandler", "fagleder"}))
    assert lanes.capacity(holder, parties, "fagleder") == lanes.Capacity.SELF
    assert lanes.capacity(plain, parties, "fagleder") is None
    assert lanes.capacity(bydel_leader, parties, "fagleder") == lanes.Capacity.SELF
    assert lanes.capacity(inst_leader, parties, "fagleder") is None
    assert lanes.capacity(stranger, parties, "fagleder") is None          # not the case's organisations
    assert lanes.capacity(plain, parties, "saksbehandler") == lanes.Capacity.SELF
    assert lanes.capacity(holder, parties, "fagleder", role="leder") is None
    assert lanes.lane_organisation("fagleder", parties) == 1
