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
              "parallelGateway", "eventBasedGateway", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"]

# deadline key -> [(the step it guards, lane of the leader's follow-up)]; every deadline of PROCESS.md
BOUNDARY_DEADLINES = {   # anchor known when the step opens: a timer on the task
    "utflyttingsmote": [("utflyttingsmote", "bydel")],
    "utflyttingsplan": [("utflyttingsplan", "bydel")],
    "kriseplan": [("kriseplan", "bydel")],
    "evaluering": [("evaluer_plan", "institusjon")],
    "sluttrapport": [("sluttrapport", "institusjon"), ("sluttrapport_uten_bolig", "institusjon")],
    "oppfolgingsmote": [("oppfolgingsmote", "bydel")],
    # the yearly survey (#16): the registrations by 31 May, the report to Velferdsetaten by 30 June
    "livskvalitet": [("registrer_livskvalitet", "bydel")],
    "livskvalitet_rapport": [("rapporter_velferdsetaten", "bydel")],
}
#: Diagrams with one party: the yearly survey is the bydel's own work (no resident, no institution acts).
ONE_LANE = {"livskvalitet-aar.bpmn": ["bydel"]}
#: Leader tasks that are not deadline follow-ups: the bydel leader's report to Velferdsetaten.
LEADER_TASKS = {"rapporter_velferdsetaten"}
WATCHED_DEADLINES = {    # from T0, watched from registration whether or not the step has opened
    "innflytting": [("innflytting_registrert", "institusjon")],
    "samtykke": [("samtykke", "bydel")],
    "bydelskontakter": [("bydelskontakter", "bydel")],
    "plan_for_oppholdet": [("plan_for_oppholdet", "institusjon")],
    "kartlegging": [("kartlegging", "institusjon")],
    "forste_samarbeidsmote": [("forste_samarbeidsmote", "institusjon")],
    "statusrapport": [("statusrapport", "institusjon")],
    "boligmote": [("boligmote", "institusjon")],
    "soknader": [("soknader", "bydel")],
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
    called = {"opphold_pa_institusjon", "fristvakt_innflytting", "boligavklaring", "samarbeidsmoter", "evaluering"}
    assert {"institusjon_til_bolig", *called} <= set(cat.bundles)
    main = cat.bundle("institusjon_til_bolig")
    assert set(main.subprocess_specs) == called


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_one_pool_three_lanes_and_names_everywhere(path):
    root = _root(path)
    assert len(root.findall("bpmn:collaboration", NS)) == 1
    assert len(root.findall("bpmn:collaboration/bpmn:participant", NS)) == 1
    assert [ln.get("name") for ln in root.iterfind(".//bpmn:lane", NS)] == \
        ONE_LANE.get(path.name, ["beboer", "bydel", "institusjon"])
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
        if tid.startswith("leder_") or tid in LEADER_TASKS:
            assert props.get("rolle") == "leder"
            assert lanes[tid] in ("bydel", "institusjon")
        else:
            assert "rolle" not in props


def _follow_up(root, source_id: str):
    (flow,) = root.xpath(f".//bpmn:sequenceFlow[@sourceRef='{source_id}']", namespaces=NS)
    return root.find(f".//bpmn:userTask[@id='{flow.get('targetRef')}']", NS)


def test_every_deadline_on_a_task_is_a_non_interrupting_timer_with_a_key_and_a_leader_follow_up():
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
            leader = _follow_up(root, b.get("id"))
            assert _props(leader).get("rolle") == "leder"
            host, leader_lane = b.get("attachedToRef"), lanes[leader.get("id")]
            assert leader_lane == lanes[host] or lanes[host] == "beboer"
            found.setdefault(_props(b)["frist"], []).append((host, leader_lane))
    assert {k: sorted(v) for k, v in found.items()} == {k: sorted(v) for k, v in BOUNDARY_DEADLINES.items()}


def test_every_deadline_from_t0_is_watched_from_registration_and_rearmed_by_a_new_t0():
    root = _root(ROOT / "processes" / "fristvakt-innflytting.bpmn")
    lanes = _lane_of(root)
    found: dict[str, list] = {}
    for timer in root.iterfind(".//bpmn:intermediateCatchEvent", NS):
        props = _props(timer)
        if "frist" not in props:
            continue
        expr = timer.findtext("bpmn:timerEventDefinition/bpmn:timeDate", namespaces=NS)
        assert expr.startswith("frist(innflytting, "), expr
        # armed by an event-based gateway that also waits for a new T0 and then waits again
        (into,) = root.xpath(f".//bpmn:sequenceFlow[@targetRef='{timer.get('id')}']", namespaces=NS)
        gateway = root.find(f".//bpmn:eventBasedGateway[@id='{into.get('sourceRef')}']", NS)
        others = [f.get("targetRef") for f in root.xpath(f".//bpmn:sequenceFlow[@sourceRef='{gateway.get('id')}']",
                                                         namespaces=NS) if f.get("targetRef") != timer.get("id")]
        (signal_catch,) = others
        assert root.find(f".//bpmn:intermediateCatchEvent[@id='{signal_catch}']/bpmn:signalEventDefinition",
                         NS).get("signalRef") == "signal_t0_endret"
        # when it fires: done (or no longer needed)? else the leader of the responsible lane follows up
        (out,) = root.xpath(f".//bpmn:sequenceFlow[@sourceRef='{timer.get('id')}']", namespaces=NS)
        check = root.find(f".//bpmn:exclusiveGateway[@id='{out.get('targetRef')}']", NS)
        flows = root.xpath(f".//bpmn:sequenceFlow[@sourceRef='{check.get('id')}']", namespaces=NS)
        cond = next(f.findtext("bpmn:conditionExpression", namespaces=NS) for f in flows if f.get("id") != check.get("default"))
        assert f'fullfort("{props["steg"]}")' in cond
        for other in filter(None, (props.get("avklart_av") or "").split(",")):
            assert f'fullfort("{other}")' in cond
        (default,) = [f for f in flows if f.get("id") == check.get("default")]
        leader = root.find(f".//bpmn:userTask[@id='{default.get('targetRef')}']", NS)
        assert _props(leader).get("rolle") == "leder"
        found.setdefault(props["frist"], []).append((props["steg"], lanes[leader.get("id")]))
    assert found == WATCHED_DEADLINES


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
