"""The cached task converter writes exactly what SpiffWorkflow's own converter writes."""
from __future__ import annotations

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine.bpmn import runtime
from engine.cases import unit_of_work
from engine.extensions import db
from engine.processes import runtime_state
from engine.store.models import Case
from tests.ops.helpers import open_case


def test_the_state_is_byte_for_byte_what_spiffworkflow_writes(api, tre_baner, clock_at):
    """Given a case one step in, when its workflow is dumped with our converter and with
    SpiffWorkflow's, then the two texts are equal (so no new state format is needed)."""
    clock_at(2026, 3, 1, 9)
    case = open_case(api)
    engine = runtime_state.state().engine
    wf = unit_of_work.read_workflow(db.session.get(Case, case["id"]))
    spiffs = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(
        {**SPIFF_CONFIG, BpmnWorkflow: runtime._SpeclessWorkflowConverter}))
    ours = engine._serializer
    try:
        engine._serializer = spiffs
        expected = engine.dump(wf)
    finally:
        engine._serializer = ours
    assert engine.dump(wf) == expected
    assert len(wf.get_tasks()) > 3
