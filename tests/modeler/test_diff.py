"""The element-level diff of two diagrams (#18 item 3): matched by id; layout is no change."""
from __future__ import annotations

from pathlib import Path

from engine.bpmn import diagram_diff, frist_props

ROOT = Path(__file__).resolve().parents[2]
EVALUERING = (ROOT / "processes" / "evaluering.bpmn").read_text("utf-8")


def _by_id(changes):
    return {c.element_id: c for c in changes}


def test_identical_diagrams_have_no_changes_and_moving_a_shape_is_not_a_change():
    moved = EVALUERING.replace('<dc:Bounds x="', '<dc:Bounds x="1', 1)
    assert moved != EVALUERING
    assert diagram_diff.diff(EVALUERING, EVALUERING) == []
    assert diagram_diff.diff(EVALUERING, moved) == []


def test_renamed_task_and_changed_deadline_are_changes_with_details():
    old_name = "Frist siste evaluering + 3 måneder"
    assert f'name="{old_name}"' in EVALUERING
    new = (EVALUERING.replace(f'name="{old_name}"', 'name="Frist for evalueringen"')
           .replace('frist(siste_evaluering, "P3M")', 'frist(siste_evaluering, "P4M")'))
    changes = _by_id(diagram_diff.diff(EVALUERING, new))
    c = changes["frist_evaluer_plan"]
    assert c.kind == diagram_diff.CHANGED and c.type == "boundaryEvent"
    assert c.aspects == ["name", "timer"]
    assert f"«{old_name}» → «Frist for evalueringen»" in c.details[0]
    assert '"P4M"' in c.details[1]
    assert set(changes) == {"frist_evaluer_plan"}     # the process around it is not «changed»


def test_added_removed_and_property_changes():
    old = """<?xml version="1.0"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:userTask id="a" name="A"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formJsonSchemaFilename" value="a.schema.json"/>
    </spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>
    <bpmn:userTask id="gone" name="Borte"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="a"/>
  </bpmn:process>
</bpmn:definitions>"""
    new = (old.replace('value="a.schema.json"', 'value="b.schema.json"')
           .replace('<bpmn:userTask id="gone" name="Borte"/>', '<bpmn:userTask id="ny" name="Ny"/>')
           .replace('targetRef="a"', 'targetRef="ny"'))
    changes = _by_id(diagram_diff.diff(old, new))
    assert (changes["ny"].kind, changes["gone"].kind) == (diagram_diff.ADDED, diagram_diff.REMOVED)
    assert changes["a"].aspects == ["properties"]
    assert changes["a"].details == ["egenskaper: formJsonSchemaFilename: «a.schema.json» → «b.schema.json»"]
    assert changes["f1"].aspects == ["flow"] and "start → ny" in changes["f1"].details[0]


def test_frist_format_round_trips_and_disagreement_is_a_problem():
    d = frist_props.Deadline("bolig_tilbudt_dato", "P5D", True)
    assert frist_props.expression(d) == 'frist(bolig_tilbudt_dato, "P5D", virkedag=True)'
    assert frist_props.parse_expression(frist_props.expression(d)) == d
    assert frist_props.parse_expression('frist(innflytting, "P4M")') == frist_props.Deadline("innflytting", "P4M")
    assert frist_props.parse_expression("dagstart(innflytting)") is None
    props = {"frist": "x", "frist_anker": "innflytting", "frist_periode": "P14D"}
    assert frist_props.problems(props, 'frist(innflytting, "P14D")') == []
    assert "stemmer ikke" in frist_props.problems(props, 'frist(innflytting, "P7D")')[0]
    assert "ugyldig periode" in frist_props.problems({**props, "frist_periode": "14 dager"}, "")[0]
    assert "ankerdato" in frist_props.problems({"frist_periode": "P1D"}, "")[0]


def test_the_catalogue_is_every_frist_key_of_the_diagrams_with_anchor_and_period():
    files = {p.name: p.read_bytes() for p in (ROOT / "processes").glob("*.bpmn")}
    cat = frist_props.catalogue(files)
    assert cat["statusrapport"] == frist_props.Deadline("innflytting", "P4M")
    assert cat["utflyttingsmote"].working_day is True
