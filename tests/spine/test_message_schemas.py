"""Every message a process catches has a JSON Schema, linked at deploy time and kept in the version (#12).

The link is the catch event's property ``messageJsonSchemaFilename`` or, without it, the name
``melding-<name>.schema.json``; a missing or unusable schema is a deploy problem naming the element.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.events import subscriptions
from engine.extensions import db
from engine.processes import deployments, runtime_state
from engine.store.models import AuditEvent, Deployment, ProcessVersion
from engine.store.webhooks import InboundEvent
from tests.webhooks.helpers import SECRET, signed

ROOT = Path(__file__).resolve().parents[2]
VENTER = ROOT / "tests" / "webhooks" / "fixtures" / "venter_pa_bolig.bpmn"
ENKEL = ROOT / "tests" / "fixtures" / "enkel.schema.json"
PROPERTY = ('<spiffworkflow:property name="messageJsonSchemaFilename" value="melding-bolig-tilbudt.schema.json" />')


def _diagram(**replace: str) -> bytes:
    text = VENTER.read_text()
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    return text.encode()


def _deploy(api, files: dict[str, bytes]):
    body = {"files": {name: data.decode() for name, data in files.items()}}
    return api("admin").post("/api/v1/deployments", json=body)   # admin: the fixture has a script


def _problems(r) -> list[tuple[str | None, str]]:
    assert r.status_code == 422 and r.json["code"] == "deployment_invalid", r.json
    return [(p["element_id"], p["message"]) for p in r.json["details"]]


def test_a_message_without_a_schema_is_a_deploy_error_naming_the_element(api, users):
    # given a diagram catching «nokkel_levert» with neither a property nor a file by the conventional name
    diagram = _diagram(**{PROPERTY: "", 'name="bolig_tilbudt"': 'name="nokkel_levert"'})
    # when a process owner deploys it
    r = _deploy(api, {"venter.bpmn": diagram, "enkel.schema.json": ENKEL.read_bytes()})
    # then it is refused, naming the catch event, its line and the file that is missing; nothing is stored
    problems = r.json["details"]
    assert _problems(r) == [("tilbud", "meldingen «nokkel_levert» har ikke noe JSON Schema for innholdet: legg "
                             "«melding-nokkel-levert.schema.json» i utrullingen (skjemamappen) eller angi egenskapen "
                             "messageJsonSchemaFilename på hendelsen")]
    assert problems[0]["line"] == 16 and problems[0]["file"] == "venter.bpmn"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Deployment)) == 0


@pytest.mark.parametrize(("files", "expected"), [
    ({"melding-bolig-tilbudt.schema.json": b'{"type": "array"}'}, "må beskrive et JSON-objekt"),
    ({}, "peker på «mangler.schema.json», som ikke finnes"),
])
def test_an_unusable_message_schema_is_a_deploy_error(api, users, files, expected):
    # given a catch event whose schema is not an object schema, or whose property names a missing file
    target = "melding-bolig-tilbudt.schema.json" if files else "mangler.schema.json"
    diagram = _diagram(**{PROPERTY: PROPERTY.replace("melding-bolig-tilbudt.schema.json", target)})
    # when it is deployed; then the problem names the element
    r = _deploy(api, {"venter.bpmn": diagram, "enkel.schema.json": ENKEL.read_bytes(), **files})
    [(element, message)] = _problems(r)
    assert element == "tilbud" and expected in message


def test_one_message_caught_twice_with_two_schemas_is_refused(api, users):
    # given a second catch of the same message naming another schema
    second = ('<bpmn:boundaryEvent id="tilbud_tidlig" attachedToRef="soknad" cancelActivity="false">'
              '<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property '
              'name="messageJsonSchemaFilename" value="enkel.schema.json" /></spiffworkflow:properties>'
              '</bpmn:extensionElements><bpmn:messageEventDefinition id="tidlig_def" '
              'messageRef="Melding_bolig_tilbudt" /></bpmn:boundaryEvent>')
    diagram = _diagram(**{'<bpmn:userTask id="flytt"': second + '<bpmn:userTask id="flytt"'})
    # when it is deployed; then the second catch is named
    r = _deploy(api, {"venter.bpmn": diagram, "enkel.schema.json": ENKEL.read_bytes()})
    assert [e for e, m in _problems(r) if "én melding har ett skjema" in m] in (["tilbud"], ["tilbud_tidlig"])


def test_the_schema_comes_from_the_forms_folder_and_is_kept_in_the_version(api, users):
    # given only the diagram and its task form (the message schema is in forms/, named by the property)
    r = _deploy(api, {"venter.bpmn": VENTER.read_bytes(), "enkel.schema.json": ENKEL.read_bytes()})
    assert r.status_code == 201, r.json
    version_id = r.json["versions"][0]["id"]
    # when the version is read back from the database (a fresh process: no cached bundle)
    runtime_state.state().bundles.clear()
    bundle = deployments.bundle_for(version_id)
    # then it knows the message, its schema file, and the schema itself
    assert bundle.messages == {"bolig_tilbudt": "melding-bolig-tilbudt.schema.json"}
    assert bundle.message_schema("bolig_tilbudt") == json.loads((ROOT / "forms" / "melding-bolig-tilbudt.schema.json")
                                                                .read_text())
    assert "melding-bolig-tilbudt.schema.json" in db.session.get(ProcessVersion, version_id).deployment.files


def test_the_real_routine_links_both_messages_by_convention(real_process):
    # given the routine from processes/ deployed (its diagrams name no schema: the convention links them)
    main = next(v for v in real_process.versions if v.process_key == "institusjon_til_bolig")
    runtime_state.state().bundles.clear()
    # then the main process knows both messages, the one it catches and the one its stay catches
    assert deployments.bundle_for(main.id).messages == {
        "bolig_tilbudt": "melding-bolig-tilbudt.schema.json",
        "opphold_avsluttet": "melding-opphold-avsluttet.schema.json"}


def test_the_issues_offer_to_a_real_case_is_refused(ctx, api, real_process, clock_at):
    """The issue's report on the real diagrams: a signed offer with «27.11.2026» no longer gets 202."""
    from tests.process.examples import henvisning
    # given a case of the real routine and the housing office as a source
    clock_at(2026, 1, 5, 8)
    ctx.config["WEBHOOK_ALLOW_LOOPBACK"] = True
    subscriptions.add_source("boligkontoret", SECRET, ["bolig_tilbudt"])
    r = api("kari.gamleoslo").post("/api/v1/cases", json={
        "process_key": "institusjon_til_bolig", "bydel": "gamle-oslo", "institution": "bygdoy",
        "resident": {"name": "Ola Beboer"}, "data": henvisning("2026-01-05")})
    assert r.status_code == 201, r.json
    case = r.json
    audit = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.case_id == case["id"]))
    # when the offer comes with a Norwegian date
    raw, headers = signed({"type": "bolig_tilbudt", "case_id": case["id"], "data": {"dato": "27.11.2026"}}, "evt_1",
                          datetime(2026, 1, 5, 8, tzinfo=timezone.utc))
    r = ctx.test_client().post("/webhooks/inbound/boligkontoret", data=raw, headers=headers)
    # then 422 on the date; nothing stored, the case as it was
    assert r.status_code == 422 and r.json["details"] == {"data/dato": ["Må være en dato (ÅÅÅÅ-MM-DD)."]}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InboundEvent)) == 0
    after = api("kari.gamleoslo").get(f"/api/v1/cases/{case['id']}").json
    assert after["version"] == case["version"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.case_id == case["id"])) == audit


def test_a_version_deployed_before_message_schemas_is_checked_with_the_forms_folder(api, users, clock_at):
    # given a version stored the way it was before #12: its bundle names no message schemas
    from tests.webhooks.helpers import complete, deploy_fixture, open_case
    pv = deploy_fixture()
    stored = json.loads(pv.spec_json)
    stored.pop("messages")
    stored["forms"].pop("melding-bolig-tilbudt.schema.json")
    pv.spec_json = json.dumps(stored)
    db.session.commit()
    runtime_state.state().bundles.clear()
    # when a bad offer is sent to one of its cases
    clock_at(2026, 3, 1, 9)
    case = complete(api, open_case(api), "soknad")
    r = api("kari.gamleoslo").post(f"/api/v1/cases/{case['id']}/messages",
                                   json={"name": "bolig_tilbudt", "data": {"dato": "1. april"}})
    # then the schema of the conventional name in the forms folder refuses it
    assert r.status_code == 422 and list(r.json["details"]) == ["data/dato"]
    assert deployments.bundle_for(pv.id).messages == {"bolig_tilbudt": "melding-bolig-tilbudt.schema.json"}
