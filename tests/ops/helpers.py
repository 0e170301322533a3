"""Shared steps for the operations-console tests: open a case on the fixture and walk it."""
from __future__ import annotations

START = {"process_key": "tre_baner", "bydel": "gamle-oslo", "institution": "bygdoy",
         "resident": {"name": "Tore Testbeboer", "username": "beboer.test"},
         "data": {"innflytting": "2026-03-01", "deler": "4"}}


def open_case(api, **data) -> dict:
    body = {**START, "data": {**START["data"], **data}}
    body["data"] = {k: v for k, v in body["data"].items() if v is not None}
    r = api("kari.gamleoslo").post("/api/v1/cases", json=body)
    assert r.status_code == 201, r.json
    return r.json


def task(case_json: dict, element_id: str) -> dict:
    return next(t for t in case_json["tasks"] if t["element_id"] == element_id)


def complete(api, user: str, case_json: dict, element_id: str, data=None, status=200) -> dict:
    r = api(user).post(f"/api/v1/tasks/{task(case_json, element_id)['id']}/complete", json={"data": data or {}})
    assert r.status_code == status, r.json
    return r.json


def to_plan(api, **data) -> dict:
    """Open a case and complete registrer + samtykke; returns the case (at «plan», or errored)."""
    case = open_case(api, **data)
    case = complete(api, "kari.gamleoslo", case, "registrer")
    r = api("kari.gamleoslo").post(f"/api/v1/tasks/{task(case, 'samtykke')['id']}/complete", json={"data": {}})
    return api("admin").get(f"/api/v1/cases/{case['id']}").json if r.status_code != 200 else r.json


def errored(api) -> dict:
    """A case whose script «beregn» divided by zero after samtykke (status error)."""
    case = to_plan(api, deler="0")
    assert case["status"] == "error", case
    return case


def stuck(api, **params) -> list[dict]:
    r = api("admin").get("/api/v1/admin/stuck", query_string=params)
    assert r.status_code == 200, r.json
    return r.json


def reasons(rows: list[dict], case_id: int) -> set[str]:
    return {r["kind"] for row in rows if row["case_id"] == case_id for r in row["reasons"]}
