"""The benchmark workload: one process of 14 user tasks across the three lanes, no scripts.

Generated (not hand-written) so the raw engine and the service run exactly the same diagram.
"""
from __future__ import annotations

LANES = ("bydel", "institusjon", "beboer")
N_TASKS = 14

FORM = b'{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", ' \
       b'"properties": {"notat": {"type": "string", "title": "Notat"}}}'


def bpmn() -> bytes:
    """A BPMN with DI-free sequential user tasks t1..t14 rotating through the lanes."""
    tasks = [f"t{i}" for i in range(1, N_TASKS + 1)]
    lane_refs = {lane: [] for lane in LANES}
    for i, t in enumerate(tasks):
        lane_refs[LANES[i % 3]].append(t)
    lane_refs["bydel"] += ["start", "slutt"]
    lanes = "".join(
        f'<bpmn:lane id="L_{lane}" name="{lane}">' + "".join(f"<bpmn:flowNodeRef>{r}</bpmn:flowNodeRef>" for r in refs)
        + "</bpmn:lane>" for lane, refs in lane_refs.items())
    nodes = ['<bpmn:startEvent id="start" name="Start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>']
    flows = []
    prev = "start"
    for i, t in enumerate(tasks):
        nodes.append(
            f'<bpmn:userTask id="{t}" name="Oppgave {i + 1}"><bpmn:extensionElements><spiffworkflow:properties>'
            '<spiffworkflow:property name="formJsonSchemaFilename" value="notat.schema.json"/>'
            f'</spiffworkflow:properties></bpmn:extensionElements><bpmn:incoming>f{i}</bpmn:incoming>'
            f'<bpmn:outgoing>f{i + 1}</bpmn:outgoing></bpmn:userTask>')
        flows.append(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{prev}" targetRef="{t}"/>')
        prev = t
    nodes.append(f'<bpmn:endEvent id="slutt" name="Slutt"><bpmn:incoming>f{N_TASKS}</bpmn:incoming></bpmn:endEvent>')
    flows.append(f'<bpmn:sequenceFlow id="f{N_TASKS}" sourceRef="{prev}" targetRef="slutt"/>')
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="D" targetNamespace="http://x">'
        '<bpmn:collaboration id="C"><bpmn:participant id="P" processRef="bench14"/></bpmn:collaboration>'
        '<bpmn:process id="bench14" name="Benk" isExecutable="true"><bpmn:laneSet id="LS">' + lanes
        + "</bpmn:laneSet>" + "".join(nodes) + "".join(flows) + "</bpmn:process></bpmn:definitions>"
    ).encode()
