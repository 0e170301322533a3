"""Events checked at the door (#12 item 8): the webhook and the API take one body, ``{"name", "data"}``,
and refuse a payload that fails its message's JSON Schema with 422 and field errors — storing
nothing and leaving the case exactly as it was. A good early event is held; a case an earlier bad
event broke is repaired by «Prøv igjen» with corrected data.

Each test reads given / when / then; the clock is frozen with time-machine (``clock_at``); the
database is SQLite or PostgreSQL (``TILBOLIG_TEST_DATABASE_URL``).
"""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from engine import cases
from engine.events import subscriptions
from engine.extensions import db
from engine.processes import runtime_state
from engine.store.models import AccessLog, AuditEvent, Case
from engine.store.webhooks import InboundEvent, OutboxEvent
from tests.webhooks.helpers import SECRET, complete, open_case, signed

NOW = datetime(2026, 3, 1, 9, tzinfo=timezone.utc)
BAD_DATES = {"norsk dato": {"dato": "27.11.2026"}, "tom": {}, "ikke tekst": {"dato": 20261127},
             "umulig dato": {"dato": "2026-02-30"}}


@pytest.fixture()
def boligkontor(wh):
    source, _ = subscriptions.add_source("boligkontoret", SECRET, ["bolig_tilbudt"])
    return source


def _webhook(ctx, body: dict, msg_id: str = "evt_1"):
    raw, headers = signed(body, msg_id, NOW)
    return ctx.test_client().post("/webhooks/inbound/boligkontoret", data=raw, headers=headers)


def _api(api, case_id: int, body: dict, user: str = "kari.gamleoslo"):
    return api(user).post(f"/api/v1/cases/{case_id}/messages", json=body)


def _count(model, **where) -> int:
    query = sa.select(sa.func.count()).select_from(model)
    for column, value in where.items():
        query = query.where(getattr(model, column) == value)
    return db.session.scalar(query) or 0


def snapshot(case_id: int) -> dict:
    """Everything a refused message must not change: the case row, its audit, inbox and outbox rows."""
    db.session.expire_all()
    case = db.session.get(Case, case_id)
    return {"version": case.version, "status": case.status, "state": case.state, "error": case.error_action,
            "audit": _count(AuditEvent, case_id=case_id), "inbound": _count(InboundEvent),
            "outbox": _count(OutboxEvent, case_id=case_id), "access": _count(AccessLog, case_id=case_id)}


# -- a bad payload is refused at both doors, and nothing changes -------------------------------------------

@pytest.mark.parametrize("data", BAD_DATES.values(), ids=BAD_DATES.keys())
def test_bad_offer_by_webhook_is_422_and_nothing_is_stored(ctx, api, venter, boligkontor, clock_at, data):
    # given a case waiting for «bolig_tilbudt»
    clock_at(2026, 3, 1, 9)
    case = complete(api, open_case(api, "BOLIG-1"), "soknad")
    before = snapshot(case["id"])
    # when the housing office sends a signed offer whose payload fails the schema
    r = _webhook(ctx, {"name": "bolig_tilbudt", "external_ref": "BOLIG-1", "data": data})
    # then 422 with the field errors, no inbound row, and the case is untouched
    assert r.status_code == 422 and r.json["code"] == "message_invalid"
    assert list(r.json["details"]) == ["data/dato"]
    assert snapshot(case["id"]) == before
    assert [t["element_id"] for t in api("kari.gamleoslo").get(f"/api/v1/cases/{case['id']}").json["tasks"]] == []


def test_the_issues_offer_gets_norwegian_field_errors(ctx, api, venter, boligkontor, clock_at):
    # given a waiting case; when the offer of the issue arrives (dato as «27.11.2026», by the Standard Webhooks `type`)
    clock_at(2026, 3, 1, 9)
    case = complete(api, open_case(api), "soknad")
    r = _webhook(ctx, {"type": "bolig_tilbudt", "case_id": case["id"], "data": {"dato": "27.11.2026"}})
    # then the answer says which field and why, in bokmål
    assert r.status_code == 422
    assert r.json["details"] == {"data/dato": ["Må være en dato (ÅÅÅÅ-MM-DD)."]}
    assert "bolig_tilbudt" in r.json["message"]
    # and the same event, corrected, is taken (nothing of the refusal was kept, not even its webhook-id)
    r = _webhook(ctx, {"type": "bolig_tilbudt", "case_id": case["id"], "data": {"dato": "2026-11-27"}})
    assert r.status_code == 202 and r.json["state"] == "delivered"


@pytest.mark.parametrize("data", BAD_DATES.values(), ids=BAD_DATES.keys())
def test_bad_offer_by_api_is_422_and_the_case_is_unchanged(ctx, api, venter, clock_at, data):
    # given a case waiting for «bolig_tilbudt»
    clock_at(2026, 3, 1, 9)
    case = complete(api, open_case(api), "soknad")
    before = snapshot(case["id"])
    # when a caseworker registers an offer whose payload fails the schema
    r = _api(api, case["id"], {"name": "bolig_tilbudt", "data": data})
    # then 422 with the field errors, and no version bump, audit, access-log or outbox row
    assert r.status_code == 422 and r.json["code"] == "message_invalid"
    assert list(r.json["details"]) == ["data/dato"]
    assert snapshot(case["id"]) == before


def test_api_without_data_is_the_empty_payload_and_refused(ctx, api, venter, clock_at):
    # given a waiting case; when the body names the message but sends no payload at all
    clock_at(2026, 3, 1, 9)
    case = complete(api, open_case(api), "soknad")
    before = snapshot(case["id"])
    r = _api(api, case["id"], {"name": "bolig_tilbudt"})
    # then the schema says what is missing
    assert r.status_code == 422 and r.json["details"] == {"data/dato": ["Feltet må fylles ut."]}
    assert snapshot(case["id"]) == before


@pytest.mark.parametrize(("body", "field"), [
    ({"data": {"dato": "2026-04-01"}}, "name"),
    ({"name": "Bolig tilbudt!", "data": {"dato": "2026-04-01"}}, "name"),
    ({"name": "bolig_tilbudt", "data": ["2026-04-01"]}, "data"),
    ({"name": "bolig_tilbudt", "data": {"dato": "2026-04-01"}, "payload": {"dato": "2026-04-02"}}, "payload"),
    ({"name": "opphold_avsluttet", "data": {"arsak": "tsb", "dato": "2026-04-01"}}, "name"),
])
def test_api_refuses_a_malformed_body_by_field(ctx, api, venter, clock_at, body, field):
    # given a waiting case; when the body itself is wrong (or names a message this process never catches)
    clock_at(2026, 3, 1, 9)
    case = complete(api, open_case(api), "soknad")
    before = snapshot(case["id"])
    r = _api(api, case["id"], body)
    # then 422 names the field, and nothing changed
    assert r.status_code == 422 and r.json["code"] == "message_invalid" and field in r.json["details"]
    assert snapshot(case["id"]) == before


def test_api_and_webhook_take_the_same_body(ctx, api, venter, boligkontor, clock_at):
    # given two waiting cases
    clock_at(2026, 3, 1, 9)
    by_api = complete(api, open_case(api), "soknad")
    by_hook = complete(api, open_case(api, "BOLIG-2"), "soknad")
    body = {"name": "bolig_tilbudt", "data": {"dato": "2026-04-01", "bolig": "Kommunal leilighet"}}
    # when the same body goes through both doors (the webhook adds which case it is for)
    r_api = _api(api, by_api["id"], body)
    r_hook = _webhook(ctx, {**body, "external_ref": "BOLIG-2"})
    # then both are delivered, and both cases hold the same payload
    assert r_api.status_code == 200 and "Deprecation" not in r_api.headers
    assert r_hook.status_code == 202 and r_hook.json["state"] == "delivered"
    for case in (by_api, by_hook):
        assert cases.case_data(db.session.get(Case, case["id"]))["bolig_tilbud"] == body["data"]


def test_api_still_reads_the_deprecated_payload_key_and_says_so(ctx, api, venter, clock_at):
    # given a waiting case; when a client still sends the old key
    clock_at(2026, 3, 1, 9)
    case = complete(api, open_case(api), "soknad")
    r = _api(api, case["id"], {"name": "bolig_tilbudt", "payload": {"dato": "2026-04-01"}})
    # then it is delivered, and the answer marks the key as deprecated
    assert r.status_code == 200 and [t["element_id"] for t in r.json["tasks"]] == ["flytt"]
    assert r.headers["Deprecation"] == "true" and "data" in r.headers["Warning"]
    # and a bad payload under the old key is refused like any other
    other = complete(api, open_case(api), "soknad")
    assert _api(api, other["id"], {"name": "bolig_tilbudt", "payload": {}}).status_code == 422


def test_unmatched_event_is_checked_against_the_processes_that_catch_it(ctx, api, venter, boligkontor, clock_at):
    # given no case with the reference yet; when a bad and then a good offer arrive for it
    clock_at(2026, 3, 1, 9)
    bad = _webhook(ctx, {"name": "bolig_tilbudt", "external_ref": "SENERE", "data": {"dato": "i morgen"}}, "evt_a")
    good = _webhook(ctx, {"name": "bolig_tilbudt", "external_ref": "SENERE", "data": {"dato": "2026-04-01"}}, "evt_b")
    # then the bad one is refused and only the good one is kept, unmatched
    assert bad.status_code == 422 and bad.json["details"] == {"data/dato": ["Må være en dato (ÅÅÅÅ-MM-DD)."]}
    assert good.status_code == 202 and good.json["state"] == "unmatched"
    assert _count(InboundEvent) == 1


# -- early, late and good events ---------------------------------------------------------------------------

def test_valid_early_offer_is_held_then_delivered(ctx, api, venter, boligkontor, clock_at):
    # given a case still at «Send boligsøknad» (not yet waiting for the offer)
    clock_at(2026, 3, 1, 9)
    case = open_case(api)
    # when a valid offer arrives by webhook
    r = _webhook(ctx, {"name": "bolig_tilbudt", "case_id": case["id"], "data": {"dato": "2026-04-01"}})
    # then it is held (it passed the schema), and the case has not moved
    assert r.status_code == 202 and r.json["state"] == "held"
    assert db.session.get(Case, case["id"]).version == case["version"]
    # when the case reaches the wait
    clock_at(2026, 3, 2, 9)
    after = complete(api, case, "soknad")
    # then the held offer is delivered in the same breath
    assert [t["element_id"] for t in after["tasks"]] == ["flytt"]
    assert db.session.scalar(sa.select(InboundEvent.state)) == "delivered"
    assert cases.case_data(db.session.get(Case, case["id"]))["bolig_tilbudt_dato"] == "2026-04-01"


def test_early_offer_by_api_is_409_after_the_schema(ctx, api, venter, clock_at):
    # given a case not yet waiting; when a bad and then a good offer come through the API
    clock_at(2026, 3, 1, 9)
    case = open_case(api)
    before = snapshot(case["id"])
    bad = _api(api, case["id"], {"name": "bolig_tilbudt", "data": {"dato": "snart"}})
    good = _api(api, case["id"], {"name": "bolig_tilbudt", "data": {"dato": "2026-04-01"}})
    # then the bad one is 422 (the schema comes first) and the good one 409 (not waiting yet); nothing changed
    assert bad.status_code == 422 and good.status_code == 409
    assert good.json["details"] == {"waiting_for": []}
    assert {k: v for k, v in snapshot(case["id"]).items() if k != "access"} == \
        {k: v for k, v in before.items() if k != "access"}


def test_a_held_event_that_fails_its_case_version_at_delivery_fails_visibly(ctx, api, venter, boligkontor, clock_at):
    # given an event stored before the door checked payloads (held, empty payload)
    clock_at(2026, 3, 1, 9)
    case = open_case(api)
    db.session.add(InboundEvent(source_id=boligkontor.id, webhook_id="evt_old", message_name="bolig_tilbudt",
                                case_id=case["id"], payload={}, state="held", attempts=0, received_at=NOW))
    db.session.commit()
    # when the case reaches the wait
    after = complete(api, case, "soknad")
    # then the event is failed with the schema's reason, and the case waits, unbroken
    event = db.session.scalar(sa.select(InboundEvent))
    assert event.state == "failed" and "data/dato" in event.last_error
    assert after["status"] == "running" and after["tasks"] == []


# -- a case an earlier bad event broke is repaired by retry with corrected data ------------------------------

def _broken_by_the_old_door(api, clock_at) -> dict:
    """A waiting case given an empty «bolig_tilbudt» the way the API took it before #12: straight to the engine.

    The script after the catch (``bolig_tilbud["dato"]``) fails, so the case is marked error with the
    failed message kept as its action to retry.
    """
    clock_at(2026, 3, 1, 9)
    case = complete(api, open_case(api), "soknad")
    row = db.session.get(Case, case["id"])
    engine = runtime_state.state().engine

    def run(wf) -> None:
        assert engine.deliver_message(wf, "bolig_tilbudt", {})

    with pytest.raises(Exception, match="Prosessen stoppet"):
        cases.step(row, {"kind": "message", "name": "bolig_tilbudt", "payload": {}},
                   cases.Change("message.received", None, data={"name": "bolig_tilbudt"}), run)
    broken = api("admin").get(f"/api/v1/cases/{case['id']}").json
    assert broken["status"] == "error" and broken["error"]["element_id"] == "registrer"
    return broken


def _retry(api, case_id: int, data=None):
    body = {"reason": "Boligkontoret sendte tilbudet uten dato", **({"data": data} if data is not None else {})}
    return api("admin").post(f"/api/v1/admin/cases/{case_id}/retry", json=body)


def test_retry_with_corrected_data_repairs_a_case_broken_by_a_bad_message(ctx, api, venter, clock_at):
    # given a case an empty offer broke before the door checked payloads
    case = _broken_by_the_old_door(api, clock_at)
    [listed] = [row for row in api("admin").get("/api/v1/admin/stuck").json if row["case_id"] == case["id"]]
    assert "«Prøv igjen» med data retter meldingens innhold" in listed["reasons"][0]["detail"]
    # when an administrator retries with the missing date
    r = _retry(api, case["id"], {"dato": "2026-04-01"})
    # then the corrected message is delivered: the error is gone and the case goes on
    assert r.status_code == 200, r.json
    assert r.json["status"] == "running" and [t["element_id"] for t in r.json["tasks"]] == ["flytt"]
    data = cases.case_data(db.session.get(Case, case["id"]))
    assert data["bolig_tilbud"] == {"dato": "2026-04-01"} and data["bolig_tilbudt_dato"] == "2026-04-01"
    repaired = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.case_id == case["id"],
                                                              AuditEvent.type == "case.repaired")).one()
    assert repaired.data["kind"] == "message" and repaired.data["fields"] == ["dato"]


@pytest.mark.parametrize(("data", "errors"), [
    (None, {"data/dato": ["Feltet må fylles ut."]}),                       # retried as it was
    ({"dato": "01.04.2026"}, {"data/dato": ["Må være en dato (ÅÅÅÅ-MM-DD)."]}),   # «corrected» wrongly
])
def test_retry_with_a_payload_that_still_fails_is_422_and_changes_nothing(ctx, api, venter, clock_at, data, errors):
    # given a broken case
    case = _broken_by_the_old_door(api, clock_at)
    before = snapshot(case["id"])
    # when the retry's payload would still fail the schema
    r = _retry(api, case["id"], data)
    # then it is refused with the field errors before the engine runs, and the case stays as it was
    assert r.status_code == 422 and r.json["details"] == errors
    after = snapshot(case["id"])
    assert {k: v for k, v in after.items() if k != "access"} == {k: v for k, v in before.items() if k != "access"}


def test_retry_settles_the_failed_inbound_event_it_delivers(ctx, api, venter, boligkontor, clock_at):
    # given a case broken by a held event that was stored before the door checked, and failed on delivery
    case = _broken_by_the_old_door(api, clock_at)
    row = db.session.get(Case, case["id"])
    db.session.add(InboundEvent(source_id=boligkontor.id, webhook_id="evt_old", message_name="bolig_tilbudt",
                                case_id=case["id"], payload={}, state="failed", attempts=1, received_at=NOW,
                                last_error="Prosessen stoppet med en feil."))
    db.session.flush()
    event_id = db.session.scalar(sa.select(InboundEvent.id))
    row.error_action = {**row.error_action, "origin": {"inbound_event_id": event_id}}
    db.session.commit()
    # when the retry with corrected data succeeds
    assert _retry(api, case["id"], {"dato": "2026-04-01"}).status_code == 200
    # then the event is delivered too, no longer listed as failed
    db.session.expire_all()
    assert db.session.get(InboundEvent, event_id).state == "delivered"


def test_openapi_describes_the_message_body_and_its_422(ctx):
    from engine.web.openapi import OPENAPI
    op = OPENAPI["paths"]["/api/v1/cases/{case_id}/messages"]["post"]
    body = OPENAPI["components"]["schemas"]["Message"]
    assert op["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Message"}
    assert set(body["properties"]) == {"name", "data", "payload"} and body["properties"]["payload"]["deprecated"]
    assert {"404", "409", "422"} <= set(op["responses"])
