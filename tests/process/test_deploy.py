"""processes/ + forms/ deploy cleanly, and the diagrams keep the conventions the service relies on."""
from __future__ import annotations

import shutil
import subprocess

import pytest
from lxml import etree

from tests.process.case import ROOT, catalog

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC",
      "di": "http://www.omg.org/spec/DD/20100524/DI",
      "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}
FILES = sorted((ROOT / "processes").glob("*.bpmn"))
FLOW_NODES = ["startEvent", "endEvent", "userTask", "scriptTask", "callActivity", "exclusiveGateway",
              "parallelGateway", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"]

# deadline key -> [(host element id, lane of the host and of the leader's follow-up task)]
DEADLINES = {
    "plan_for_oppholdet": [("plan_for_oppholdet", "institusjon")],
    "forste_samarbeidsmote": [("forste_samarbeidsmote", "institusjon")],
    "statusrapport": [("statusrapport", "institusjon")],
    "boligmote": [("boligmote", "institusjon")],
    "soknader": [("soknader", "bydel")],
    "utflyttingsmote": [("utflyttingsmote", "bydel")],
    "sluttrapport": [("sluttrapport", "institusjon"), ("sluttrapport_uten_bolig", "institusjon")],
    "oppfolgingsmote": [("oppfolgingsmote", "bydel")],
}


def _root(path):
    return etree.parse(str(path)).getroot()


def _props(el) -> dict[str, str]:
    return {p.get("name"): p.get("value") for p in el.findall(".//spiffworkflow:property", NS)}


def _lane_of(root) -> dict[str, str]:
    return {ref.text: lane.get("name") for lane in root.iterfind(".//bpmn:lane", NS)
            for ref in lane.findall("bpmn:flowNodeRef", NS)}


def test_deployment_has_no_problems():
    cat = catalog()
    assert {"institusjon_til_bolig", "opphold_pa_institusjon", "samarbeidsmoter"} <= set(cat.bundles)
    main = cat.bundle("institusjon_til_bolig")
    assert set(main.subprocess_specs) == {"opphold_pa_institusjon", "samarbeidsmoter"}


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_one_pool_three_lanes_and_names_everywhere(path):
    root = _root(path)
    assert len(root.findall("bpmn:collaboration", NS)) == 1
    assert len(root.findall("bpmn:collaboration/bpmn:participant", NS)) == 1
    assert [ln.get("name") for ln in root.iterfind(".//bpmn:lane", NS)] == ["beboer", "bydel", "institusjon"]
    lanes = _lane_of(root)
    for kind in FLOW_NODES:
        for el in root.iterfind(f".//bpmn:{kind}", NS):
            assert (el.get("name") or "").strip(), f"{el.get('id')} has no name"
            assert el.get("id") in lanes, f"{el.get('id')} is in no lane"
    for el in root.iterfind(".//bpmn:message", NS):
        assert el.get("name") in ("bolig_tilbudt", "opphold_avsluttet")


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_user_tasks_have_a_form_a_lane_and_the_rule_they_implement(path):
    root = _root(path)
    lanes = _lane_of(root)
    for task in root.iterfind(".//bpmn:userTask", NS):
        tid = task.get("id")
        props = _props(task)
        assert (ROOT / "forms" / props["formJsonSchemaFilename"]).exists(), tid
        assert (ROOT / "forms" / props["formUiSchemaFilename"]).exists(), tid
        doc = task.findtext("bpmn:documentation", namespaces=NS) or ""
        assert "«" in doc and "(" in doc, f"{tid} should quote its rule with the source"
        assert lanes[tid] in ("beboer", "bydel", "institusjon")
        if tid.startswith("leder_"):
            assert props.get("rolle") == "leder"
            assert lanes[tid] in ("bydel", "institusjon")
        else:
            assert "rolle" not in props


def test_every_deadline_is_a_non_interrupting_timer_with_a_key_and_a_leader_follow_up():
    found: dict[str, list] = {}
    for path in FILES:
        root = _root(path)
        lanes = _lane_of(root)
        for b in root.iterfind(".//bpmn:boundaryEvent", NS):
            if b.find("bpmn:timerEventDefinition", NS) is None:
                continue
            assert b.get("cancelActivity") == "false", b.get("id")
            expr = b.findtext("bpmn:timerEventDefinition/bpmn:timeDate", namespaces=NS)
            assert expr.startswith("frist("), expr
            host = b.get("attachedToRef")
            key = _props(b)["frist"]
            found.setdefault(key, []).append((host, lanes[host]))
            (flow,) = root.xpath(f".//bpmn:sequenceFlow[@sourceRef='{b.get('id')}']", namespaces=NS)
            leader = root.find(f".//bpmn:userTask[@id='{flow.get('targetRef')}']", NS)
            assert _props(leader).get("rolle") == "leder" and lanes[leader.get("id")] == lanes[host]
    assert {k: sorted(v) for k, v in found.items()} == {k: sorted(v) for k, v in DEADLINES.items()}


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_complete_diagram_interchange(path):
    root = _root(path)
    shapes = {s.get("bpmnElement"): s.find("dc:Bounds", NS) for s in root.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): e.findall("di:waypoint", NS) for e in root.iterfind(".//bpmndi:BPMNEdge", NS)}
    ids = [el.get("id") for kind in FLOW_NODES + ["lane", "participant"] for el in root.iterfind(f".//bpmn:{kind}", NS)]
    assert not [i for i in ids if i not in shapes], "flow nodes, lanes and the pool each need a shape"
    flows = [f.get("id") for f in root.iterfind(".//bpmn:sequenceFlow", NS)]
    assert not [f for f in flows if len(edges.get(f, [])) < 2], "every sequence flow needs an edge with waypoints"
    for b in root.iterfind(".//bpmn:boundaryEvent", NS):
        bb, hb = shapes[b.get("id")], shapes[b.get("attachedToRef")]
        cy = float(bb.get("y")) + float(bb.get("height")) / 2
        assert cy == float(hb.get("y")) + float(hb.get("height")), f"{b.get('id')} sits on its host's bottom border"


def test_modeler_round_trip_bpmn_check():
    tool = ROOT / "tools" / "bpmn-check"
    assert shutil.which("node") and (tool / "node_modules").exists(), "node or tools/bpmn-check/node_modules missing (make assets)"
    out = subprocess.run(["node", str(tool / "bpmn-check.mjs"), *map(str, FILES)], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 unreadable, 0 import warnings, 0 lint errors, 0 lint warnings" in out.stdout
