"""Issue #13 item 5 on the JSON API: each request that used to answer 500 now gets a 4xx with a reason,
and the OpenAPI document is built from the very schemas the server validates with."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from engine.extensions import db
from engine.store.models import Case, OpenTask
from engine.web import schemas
from engine.web.openapi import OPENAPI, OPERATIONS

BIG = 2**63
START = {"process_key": "tre_baner", "bydel": "gamle-oslo", "institution": "bygdoy",
         "resident": {"name": "Tore Testbeboer", "username": "beboer.test"},
         "data": {"innflytting": "2026-03-01", "deler": "4"}}


@pytest.fixture()
def case(api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    r = api("kari.gamleoslo").post("/api/v1/cases", json=START)
    assert r.status_code == 201, r.json
    return r.json


def _raw(client, method: str, url: str, text: str):
    return getattr(client, method)(url, data=text, headers={"Content-Type": "application/json"})


def test_wrong_json_types_are_422_with_the_field(api, case):
    kari = api("kari.gamleoslo")
    task = case["tasks"][0]["id"]
    r = kari.post(f"/api/v1/tasks/{task}/complete", json={"data": "ikke et objekt"})
    assert r.status_code == 422 and r.json["details"] == {"data": ["Må være et objekt."]}
    r = kari.post(f"/api/v1/tasks/{task}/complete", json={"data": {}, "version": "1"})
    assert r.status_code == 422 and "version" in r.json["details"]
    r = kari.post("/api/v1/cases", json={**START, "process_key": 5, "resident": []})
    assert r.status_code == 422 and set(r.json["details"]) == {"process_key", "resident"}
    r = kari.post("/api/v1/cases", json={**START, "ukjent": 1})          # a typo is not silently ignored
    assert r.status_code == 422
    assert kari.post("/api/v1/cases", json=[START]).status_code == 400
    assert kari.post(f"/api/v1/cases/{case['id']}/messages", json={"name": None}).status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 1


def test_deep_nesting_nan_and_broken_json_are_refused(api, case):
    kari = api("kari.gamleoslo")
    task = case["tasks"][0]["id"]
    url = f"/api/v1/tasks/{task}/draft"
    assert _raw(kari, "put", url, '{"data": ' + "[" * 100_000 + "]" * 100_000 + "}").status_code == 400
    deep = '{"data": {"a": ' + '{"a": ' * 40 + "1" + "}" * 40 + "}}"
    r = _raw(kari, "put", url, deep)
    assert r.status_code == 422 and "nøstet for dypt" in r.json["message"]
    for constant in ("NaN", "Infinity", "-Infinity", "1e999"):
        assert _raw(kari, "put", url, '{"data": {"x": %s}}' % constant).status_code == 400, constant
    assert _raw(kari, "put", url, '{"data": {"x": "a\\u0000b"}}').status_code == 422
    r = kari.put(url, data=b'{"data": {"x": "\xff"}}', headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert kari.put(url, data="data=1", headers={"Content-Type": "text/plain"}).status_code == 400


def test_ids_past_bigint_are_404_or_refused_never_500(api, case):
    kari = api("kari.gamleoslo")
    for path in (f"/api/v1/cases/{BIG}", f"/api/v1/cases/{BIG * 10}/events", f"/api/v1/cases/{'9' * 5000}",
                 f"/api/v1/cases/{2**63 - 1}", f"/api/v1/cases/{2**31}/deadlines", f"/api/v1/cases/{2**31 - 1}",
                 "/api/v1/cases/0", "/api/v1/cases/-1", "/api/v1/cases/٣"):
        assert kari.get(path).status_code == 404, path
    assert api("admin").delete(f"/api/v1/webhooks/subscriptions/{BIG}").status_code == 404
    assert api("admin").post(f"/api/v1/webhooks/deliveries/{2**40}/redeliver").status_code == 404
    r = kari.get(f"/api/v1/tasks?case_id={BIG}")
    assert r.status_code == 400 and "case_id" in r.json["message"]
    r = kari.post("/api/v1/cases", json={**START, "bydel": BIG})
    assert r.status_code == 422 and "bydel" in r.json["details"]
    r = api("admin").post("/api/v1/admin/migrations", json={"from_version_id": BIG, "to_version_id": 1})
    assert r.status_code == 422 and "from_version_id" in r.json["details"]


@pytest.mark.parametrize("query", ["limit=abc", "limit=-1", "limit=0", "limit=501", "limit=1.5", "limit=%201",
                                   "offset=-1", "offset=x", "status=ukjent"])
def test_limit_and_offset_are_parsed_strictly(api, case, query):
    r = api("kari.gamleoslo").get(f"/api/v1/cases?{query}")
    assert r.status_code == 400 and r.json["code"] == "bad_request", r.json


def test_limit_is_a_real_cap(api, case):
    kari = api("kari.gamleoslo")
    assert len(kari.get("/api/v1/cases?limit=500").json) == 1
    assert kari.get("/api/v1/cases?limit=1&offset=1").json == []
    assert api("admin").get("/api/v1/webhooks/deliveries?limit=-1").status_code == 400


def test_dates_are_bounded_no_year_9999(api, case, tre_baner):
    kari = api("kari.gamleoslo")
    r = kari.post("/api/v1/cases", json={**START, "data": {"innflytting": "9999-12-31", "deler": "4"}})
    assert r.status_code == 422 and r.json["code"] == "form_invalid" and "innflytting" in r.json["details"]
    assert "2100" in r.json["details"]["innflytting"][0]
    r = kari.post(f"/api/v1/cases/{case['id']}/deadlines/plan", json={"due_date": "9999-12-31", "reason": "x"})
    assert r.status_code == 422 and "due_date" in r.json["details"]
    r = api("admin").post(f"/api/v1/admin/cases/{case['id']}/reschedule_timer",
                          json={"reason": "x", "timer": "plan", "due_at": "9999-01-01T00:00:00+00:00"})
    assert r.status_code == 422 and "due_at" in r.json["details"]


def test_lengths_are_bounded_by_the_column(api, case):
    r = api("kari.gamleoslo").post("/api/v1/cases", json={**START, "resident": {"name": "x" * 201}})
    assert r.status_code == 422 and r.json["details"] == {"resident/name": ["Kan ha høyst 200 tegn."]}
    r = api("kari.gamleoslo").get("/api/v1/tasks/" + "a" * 37)
    assert r.status_code == 404


def test_the_openapi_document_has_every_path_parameter_and_request_schema(api):
    served = api(None).get("/api/v1/openapi.json").json
    assert served == OPENAPI
    missing = []
    for path, ops in served["paths"].items():
        names = set(re.findall(r"{([a-z_]+)}", path))
        for method, op in ops.items():
            documented = {p["name"] for p in op.get("parameters", []) if p["in"] == "path" and p["required"]}
            missing += [(method, path, n) for n in names - documented]
            if method in ("post", "put", "patch") and "requestBody" in op:
                ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                assert ref.rsplit("/", 1)[1] in served["components"]["schemas"]
    assert missing == []
    bodies = [op for op in OPERATIONS if op.body]
    assert len(bodies) >= 12 and all(OPENAPI["components"]["schemas"][op.body] is schemas.BODIES[op.body]
                                     for op in bodies)


def test_the_validator_uses_the_published_schema(api, case, monkeypatch):
    """One source: tightening the schema the document shows tightens what the server accepts."""
    kari = api("kari.gamleoslo")
    message = {"name": "bolig_tilbudt", "data": {}}
    r = kari.post(f"/api/v1/cases/{case['id']}/messages", json=message)   # passes the schema, not the process
    assert r.status_code == 422 and r.json["details"] != {"name": ["Kan ha høyst 3 tegn."]}
    monkeypatch.setitem(schemas.BODIES["Message"]["properties"]["name"], "maxLength", 3)
    r = kari.post(f"/api/v1/cases/{case['id']}/messages", json=message)
    assert r.status_code == 422 and r.json["code"] == "message_invalid"
    assert r.json["details"] == {"name": ["Kan ha høyst 3 tegn."]}


def test_engine_text_never_reaches_the_open_task_answer(api, case):
    """A draft can be anything; the task's answer shows it as stored, and no 500 for odd (valid) text."""
    kari = api("kari.gamleoslo")
    task = case["tasks"][0]["id"]
    r = kari.put(f"/api/v1/tasks/{task}/draft", json={"data": {"kommentar": "æøå 😀 \u2028"}})
    assert r.status_code == 200 and r.json["has_draft"] is True
    db.session.expire_all()
    assert db.session.get(OpenTask, task).draft == {"kommentar": "æøå 😀 \u2028"}
