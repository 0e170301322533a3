"""An uploaded diagram whose gateway condition would build 2 GB: the case is marked in error within
milliseconds, naming the gateway and the limit, instead of hanging a worker (issue 13)."""
from __future__ import annotations

import time

from engine import deployments
from tests.conftest import fixture_files

PROBE = 'len("a" * (2*10**9)) == 0'

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="Defs_sonde" targetNamespace="http://tilbolig.oslo.kommune.no/test">
  <bpmn:collaboration id="Samarbeid_sonde"><bpmn:participant id="Deltaker_sonde" name="Sonde" processRef="sonde" /></bpmn:collaboration>
  <bpmn:process id="sonde" name="Sonde med port" isExecutable="true">
    <bpmn:laneSet id="Baner">
      <bpmn:lane id="Bane_bydel" name="bydel"><bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>registrer</bpmn:flowNodeRef><bpmn:flowNodeRef>port</bpmn:flowNodeRef><bpmn:flowNodeRef>slutt_ja</bpmn:flowNodeRef><bpmn:flowNodeRef>slutt_nei</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="registrer" name="Registrer">
      <bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="formJsonSchemaFilename" value="enkel.schema.json" /></spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:exclusiveGateway id="port" name="Sjekk" default="f_nei"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f_ja</bpmn:outgoing><bpmn:outgoing>f_nei</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:endEvent id="slutt_ja"><bpmn:incoming>f_ja</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="slutt_nei"><bpmn:incoming>f_nei</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="registrer" />
    <bpmn:sequenceFlow id="f2" sourceRef="registrer" targetRef="port" />
    <bpmn:sequenceFlow id="f_ja" sourceRef="port" targetRef="slutt_ja"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">CONDITION</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_nei" sourceRef="port" targetRef="slutt_nei" />
  </bpmn:process>
</bpmn:definitions>
"""


def _open_case(api, condition: str) -> tuple[dict, str]:
    deployed = api("admin").post("/api/v1/deployments", json={"files": {
        "sonde.bpmn": BPMN.replace("CONDITION", condition.replace('"', "&quot;")),
        "enkel.schema.json": fixture_files("enkel.schema.json")["enkel.schema.json"].decode()}})
    assert deployed.status_code == 201, deployed.json
    r = api("kari.gamleoslo").post("/api/v1/cases", json={
        "process_key": "sonde", "bydel": "gamle-oslo", "institution": "bygdoy",
        "resident": {"name": "Tore Testbeboer", "username": "beboer.test"}, "data": {"n": 1}})
    assert r.status_code == 201, r.json
    return r.json, r.json["tasks"][0]["id"]


def test_the_probe_in_a_gateway_marks_the_case_in_error_at_once(api, clock_at):
    clock_at(2026, 3, 1, 9)
    case, task_id = _open_case(api, PROBE)
    start = time.perf_counter()
    r = api("kari.gamleoslo").post(f"/api/v1/tasks/{task_id}/complete", json={"data": {}})
    took = time.perf_counter() - start
    assert r.status_code == 422 and r.json["code"] == "engine_error"
    assert r.json["details"]["element_id"] == "port"
    assert took < 1.0, took          # refused before the 1 s budget could even run out
    after = api("kari.gamleoslo").get(f"/api/v1/cases/{case['id']}").json
    assert after["status"] == "error" and after["error"]["element_id"] == "port"
    assert "ScriptLimitExceeded" in after["error"]["message"] and "2 000 000 000" in after["error"]["message"]


def test_the_same_gateway_with_a_legal_condition_runs(api, clock_at):
    clock_at(2026, 3, 1, 9)
    case, task_id = _open_case(api, 'len("a" * 10**6) == 10**6')
    r = api("kari.gamleoslo").post(f"/api/v1/tasks/{task_id}/complete", json={"data": {}})
    assert r.status_code == 200 and r.json["status"] == "completed"


def test_the_probe_compiles_at_deploy_time(ctx, users):
    # It is valid restricted Python; only running it is refused, with the element id.
    files = {"sonde.bpmn": BPMN.replace("CONDITION", PROBE.replace('"', "&quot;")).encode(),
             **fixture_files("enkel.schema.json")}
    assert deployments.deploy(files, None).versions[0].process_key == "sonde"
