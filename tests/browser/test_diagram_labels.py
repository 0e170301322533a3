"""The diagrams in processes/ read well in bpmn-js (#18): no label is broken inside a word
(«informasjonsde / ling»), deadline timers say their period, and engine mechanics are marked."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "bpmn-gen"))
from render import broken_labels  # noqa: E402

DIAGRAMS = sorted((ROOT / "processes").glob("*.bpmn"))
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}


@pytest.mark.parametrize("path", DIAGRAMS, ids=[p.stem for p in DIAGRAMS])
def test_no_label_breaks_inside_a_word(chromium, path):
    assert broken_labels(path, chromium) == []


def test_deadline_timers_name_their_period_and_rules_are_quoted():
    root = etree.parse(str(ROOT / "processes" / "fristvakt-innflytting.bpmn")).getroot()
    names = {e.get("id"): e.get("name") for e in root.iterfind(".//bpmn:intermediateCatchEvent", NS)}
    assert names["frist_plan_for_oppholdet"] == "Frist plan for oppholdet: T0 + 14 dager"
    assert names["frist_statusrapport"] == "Frist statusrapport: T0 + 4 måneder"
    notes = [t.text for t in root.iterfind(".//bpmn:textAnnotation/bpmn:text", NS)]
    assert any("innen 14 dager etter innflytting" in n and "(FK 2.2)" in n for n in notes)
    main = etree.parse(str(ROOT / "processes" / "institusjon-til-bolig.bpmn")).getroot()
    boundary = {e.get("id"): e.get("name") for e in main.iterfind(".//bpmn:boundaryEvent", NS)}
    assert boundary["frist_sluttrapport"] == "Frist T1 + 3 uker"


def test_resident_lane_is_not_empty_and_mechanics_are_marked():
    for name in ("institusjon-til-bolig", "fristvakt-innflytting", "opphold-pa-institusjon"):
        root = etree.parse(str(ROOT / "processes" / f"{name}.bpmn")).getroot()
        lane = root.find(".//bpmn:lane[@name='beboer']", NS)
        top = float(root.find(f".//*[@bpmnElement='{lane.get('id')}']/{{http://www.omg.org/spec/DD/20100524/DC}}Bounds").get("y"))
        inside = [b for b in root.iter("{http://www.omg.org/spec/DD/20100524/DC}Bounds")
                  if top < float(b.get("y")) < top + 60]
        assert lane.findall("bpmn:flowNodeRef", NS) or inside, name
    stay = (ROOT / "processes" / "opphold-pa-institusjon.bpmn").read_text(encoding="utf-8")
    assert 'color:background-color="#ececec"' in stay and "Grå elementer er motorsteg" in stay
