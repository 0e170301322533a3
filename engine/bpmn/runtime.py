"""Start, complete, wake, message and repair one workflow object — SpiffWorkflow only.

``ProcessEngine`` is the seam between the service and SpiffWorkflow.  It owns the serializer (the
instance state is stored *without* its spec, which is kept once per process version), re-attaches
the restricted script engine after every restore, and turns every engine failure into
:class:`StepFailed` carrying the element id, so the service can roll back and mark the case.
No Flask, no database.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition as BaseMessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.bpmn import progress, state_codec, timers
from engine.bpmn import spec as spec_mod
from engine.bpmn.catalog import SpecBundle
from engine.bpmn.scripts import RestrictedEnvironment, describe_failure
from engine.bpmn.task_codec import CompactTaskConverter, FastTaskConverter


class StepFailed(Exception):
    """The engine could not step: a script, expression or gateway failed at ``element_id``."""

    def __init__(self, message: str, element_id: str | None = None, element_name: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.element_id = element_id
        self.element_name = element_name


class TaskNotReady(Exception):
    """The task is unknown, finished, waiting or not a human task: it cannot be completed."""


@dataclass(frozen=True)
class Milestone:
    """An event the diagram marks with the property ``milepael``: passed during this step."""

    element_id: str
    key: str
    name: str | None


def _note_milestone(task) -> None:
    props = (getattr(task.task_spec, "extensions", None) or {}).get("properties", {}) or {}
    key = props.get("milepael")
    noted = getattr(task.workflow.top_workflow.script_engine, "milestones", None)
    if key and noted is not None:
        noted.append(Milestone(task.task_spec.bpmn_id, key, task.task_spec.bpmn_name))


@dataclass(frozen=True)
class TaskInfo:
    """A READY human task as the service projects it."""

    id: str
    element_id: str
    name: str | None
    lane: str | None
    role: str | None
    form: str | None
    ui_form: str | None
    documentation: str | None
    process_key: str


class GuardedScriptEngine(PythonScriptEngine):
    """Restricted scripts, plus: a timer whose expression fails is armed *broken*, never lost.

    SpiffWorkflow evaluates a timer expression while arming it; a failure there either aborts the
    whole step or leaves the timer waiting with no due time and unregistered, so nobody would ever
    learn the deadline was lost.  Here the reason is kept on the timer task and a never-due sentinel
    keeps it registered; ``timers.waiting_timers`` reports it as broken.
    """

    def __init__(self) -> None:
        super().__init__(environment=RestrictedEnvironment())
        self.armed: list = []     # timer tasks armed since the last ``ProcessEngine.begin_step``
        self.milestones: list = []   # milestone events passed since the last ``begin_step``

    def evaluate(self, task, expression, external_context=None):
        external_context = _with_progress(task, expression, external_context)
        ed = timers.timer_definition(task.task_spec)
        if ed is None or expression != ed.expression:
            return super().evaluate(task, expression, external_context)
        try:
            value = self.environment.evaluate(expression, task.data, external_context)
            _check_timer_value(ed, value)
            self.armed.append(task)
            return value
        except Exception as exc:  # noqa: BLE001 - record any failure as a broken timer
            task.internal_data[timers.BROKEN_KEY] = f"{type(exc).__name__}: {exc}"
            if isinstance(ed, CycleTimerEventDefinition):
                return f"R1/{timers.BROKEN_SENTINEL}/P1D"
            if isinstance(ed, DurationTimerEventDefinition):
                return "P500Y"
            return timers.BROKEN_SENTINEL


    def execute(self, task, script, external_context=None):
        return super().execute(task, script, _with_progress(task, script, external_context))


def _with_progress(task, source: str, external_context: dict | None) -> dict | None:
    """Offer ``fullfort(…)`` and friends (``progress``) to code that mentions them; others pay nothing."""
    if not isinstance(source, str) or not progress.mentions(source):
        return external_context
    return {**(external_context or {}), **progress.functions_for(task)}


def _check_timer_value(ed: TimerEventDefinition, value: Any) -> None:
    if not isinstance(value, str):
        raise ValueError(f"tidsuttrykket ga {type(value).__name__}, ikke tekst")
    if isinstance(ed, CycleTimerEventDefinition):
        TimerEventDefinition.parse_iso_recurring_interval(value)
    elif isinstance(ed, DurationTimerEventDefinition):
        TimerEventDefinition.parse_iso_duration(value)
    else:
        TimerEventDefinition.parse_time_or_duration(value)


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Serializes a workflow without its spec; the spec objects come from the version cache."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


STATE_FORMAT = "tilbolig-1/spiff-1.5"



class ProcessEngine:
    """Runs workflows of deployed bundles; one instance per process is enough (it holds no case state)."""

    def __init__(self, script_engine_factory: Callable[[], PythonScriptEngine] = GuardedScriptEngine) -> None:
        self._script_engine_factory = script_engine_factory
        self._spec_serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
        registry = BpmnWorkflowSerializer.configure({**SPIFF_CONFIG, BpmnWorkflow: _SpeclessWorkflowConverter,
                                                     Task: FastTaskConverter})
        self._serializer = BpmnWorkflowSerializer(registry)
        compact = BpmnWorkflowSerializer.configure({**SPIFF_CONFIG, BpmnWorkflow: _SpeclessWorkflowConverter,
                                                    Task: CompactTaskConverter})
        self._compact = BpmnWorkflowSerializer(compact)

    # -- specs ------------------------------------------------------------------------------
    def dump_bundle(self, bundle: SpecBundle) -> str:
        """The parsed spec of a version as JSON, stored once so cases never re-parse XML."""
        reg = self._spec_serializer.registry
        return json.dumps({
            "process_key": bundle.process_key, "name": bundle.name,
            "spec": reg.convert(bundle.spec),
            "subprocess_specs": {k: reg.convert(v) for k, v in bundle.subprocess_specs.items()},
            "forms": bundle.forms,
            "messages": bundle.messages,
        })

    def load_bundle(self, text: str) -> SpecBundle:
        reg = self._spec_serializer.registry
        d = json.loads(text)
        return SpecBundle(d["process_key"], d["name"], reg.restore(d["spec"]),
                          {k: reg.restore(v) for k, v in d["subprocess_specs"].items()}, d.get("forms", {}),
                          d.get("messages"))   # absent: a version deployed before message schemas

    # -- state ------------------------------------------------------------------------------
    def dump(self, wf: BpmnWorkflow) -> bytes:
        """Spec-less instance state as stored: format 3 (``state_codec``, ``compact_state``)."""
        return state_codec.encode(self._convert(self._compact, wf), self._compact._encoder_cls)

    def dump_json(self, wf: BpmnWorkflow) -> str:
        """Spec-less instance state as JSON text in SpiffWorkflow's own layout (every task)."""
        return json.dumps(self._convert(self._serializer, wf), cls=self._serializer._encoder_cls,
                          separators=(",", ":"))

    @staticmethod
    def _convert(serializer: BpmnWorkflowSerializer, wf: BpmnWorkflow) -> dict[str, Any]:
        reg = serializer.registry
        reg._encoder_mode = True
        try:
            dct = reg.convert(wf)
        finally:
            reg._encoder_mode = False
        dct["format"] = STATE_FORMAT
        return dct

    def restore(self, bundle: SpecBundle, state: bytes | str) -> BpmnWorkflow:
        """A workflow from stored state in any format ever written (``state_codec``)."""
        dct = state_codec.decode(state)
        dct.pop("format", None)
        wf = self._serializer.registry.restore(dct, spec=bundle.spec, subprocess_specs=bundle.subprocess_specs)
        wf.script_engine = self._script_engine_factory()   # the engine is not serialized
        return wf

    # -- stepping ---------------------------------------------------------------------------
    def start(self, bundle: SpecBundle, data: dict[str, Any]) -> BpmnWorkflow:
        wf = BpmnWorkflow(bundle.spec, bundle.subprocess_specs, script_engine=self._script_engine_factory())
        start = wf.get_tasks(state=TaskState.READY)[0]
        start.data.update(data)
        self._steps(wf)
        return wf

    def task(self, wf: BpmnWorkflow, task_id: str):
        try:
            task = wf.get_task_from_id(UUID(str(task_id)))
        except (ValueError, WorkflowException):
            task = None
        if task is None:
            raise TaskNotReady("oppgaven finnes ikke i saken")
        return task

    def complete(self, wf: BpmnWorkflow, task_id: str, data: dict[str, Any]) -> None:
        """Complete a READY human task with form data, then step the engine."""
        task = self.task(wf, task_id)
        if task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskNotReady("oppgaven er ikke åpen")
        if hasattr(task.task_spec, "add_data_from_form"):
            task.task_spec.add_data_from_form(task, data)
        else:                       # a manual or abstract task (no form support in SpiffWorkflow's spec)
            task.set_data(**data)
        self._guard(task.run, task)
        self._steps(wf)

    def wake(self, wf: BpmnWorkflow) -> None:
        """Fire due timers and run what follows."""
        self._guard(wf.refresh_timers)
        self._steps(wf)

    def deliver_message(self, wf: BpmnWorkflow, name: str, payload: dict[str, Any]) -> bool:
        """Deliver a BPMN message to a task waiting for it; False if nothing waits (nothing changes)."""
        for task in wf.get_tasks(state=TaskState.WAITING):
            ed = getattr(task.task_spec, "event_definition", None)
            for d in getattr(ed, "event_definitions", [ed]):
                if isinstance(d, BaseMessageEventDefinition) and d.name == name:
                    event = BpmnEvent(d, payload)
                    self._guard(lambda: wf.send_event(event))  # noqa: B023 - called at once, inside the loop
                    self._steps(wf)
                    return True
        return False

    def waiting_messages(self, wf: BpmnWorkflow) -> list[str]:
        names = []
        for task in wf.get_tasks(state=TaskState.WAITING):
            ed = getattr(task.task_spec, "event_definition", None)
            for d in getattr(ed, "event_definitions", [ed]):
                if isinstance(d, BaseMessageEventDefinition):
                    names.append(d.name)
        return sorted(set(names))

    def retry(self, wf: BpmnWorkflow) -> None:
        """Run ERROR tasks again (after a data fix) and continue."""
        for task in wf.get_tasks(state=TaskState.ERROR):
            self._guard(task.run, task)
        self._steps(wf)

    def _steps(self, wf: BpmnWorkflow) -> None:
        self._guard(lambda: wf.do_engine_steps(did_complete_task=_note_milestone))

    @staticmethod
    def _guard(fn: Callable[[], Any], task=None) -> None:
        try:
            fn()
        except StepFailed:
            raise
        except Exception as exc:  # noqa: BLE001 - every engine failure becomes StepFailed
            failed = getattr(exc, "task", None) or task
            spec = getattr(failed, "task_spec", None)
            message = describe_failure(exc)
            raise StepFailed(message, getattr(spec, "bpmn_id", None), getattr(spec, "bpmn_name", None)) from exc

    # -- reading ----------------------------------------------------------------------------
    def ready_tasks(self, wf: BpmnWorkflow) -> list[TaskInfo]:
        out = []
        for task in wf.get_tasks(state=TaskState.READY, manual=True):
            spec = task.task_spec
            props = spec_mod.properties(spec)
            out.append(TaskInfo(
                id=str(task.id), element_id=spec.bpmn_id, name=spec.bpmn_name, lane=spec.lane,
                role=props.get("rolle"), form=props.get(spec_mod.FORM_PROPERTY), ui_form=props.get(spec_mod.UI_FORM_PROPERTY),
                documentation=getattr(spec, "documentation", None), process_key=task.workflow.spec.name))
        return out

    def waiting_timers(self, wf: BpmnWorkflow) -> list[timers.TimerInfo]:
        return timers.waiting_timers(wf)

    def begin_step(self, wf: BpmnWorkflow) -> None:
        """Forget which timers were armed and which milestones were passed before; call before each
        change to a restored workflow."""
        for noted in (getattr(wf.script_engine, "armed", None), getattr(wf.script_engine, "milestones", None)):
            if noted is not None:
                noted.clear()

    def milestones(self, wf: BpmnWorkflow) -> list[Milestone]:
        """Milestone events passed during the current step (for the case's log)."""
        return list(getattr(wf.script_engine, "milestones", []))

    def task_completed(self, wf: BpmnWorkflow, task_id: str) -> bool:
        """Whether a task was done (not cancelled, not removed with a cancelled subprocess)."""
        try:
            return self.task(wf, task_id).state == TaskState.COMPLETED
        except TaskNotReady:
            return False

    def fired_at_once(self, wf: BpmnWorkflow) -> list[timers.TimerInfo]:
        """Timers armed and fired within the current step (deadlines already in the past)."""
        return timers.fired_at_once(getattr(wf.script_engine, "armed", []))

    def data(self, wf: BpmnWorkflow) -> dict[str, Any]:
        """The case data as of now: the workflow's data merged over the most recent task's."""
        base = dict(wf.last_task.data) if wf.last_task is not None else {}
        if not base:
            ready = wf.get_tasks(state=TaskState.READY | TaskState.WAITING)
            base = dict(ready[0].data) if ready else {}
        base.update(wf.data)
        return base

    def task_data(self, wf: BpmnWorkflow, task_id: str) -> dict[str, Any]:
        return dict(self.task(wf, task_id).data)

    def set_task_data(self, wf: BpmnWorkflow, task_id: str, data: dict[str, Any]) -> None:
        """Replace keys of a task's data (administrator's data fix before a retry)."""
        self.task(wf, task_id).data.update(data)

    def error_tasks(self, wf: BpmnWorkflow) -> list[Any]:
        return wf.get_tasks(state=TaskState.ERROR)

    def is_completed(self, wf: BpmnWorkflow) -> bool:
        return wf.is_completed()

    def cancel(self, wf: BpmnWorkflow) -> None:
        wf.cancel()

    def reset_to(self, wf: BpmnWorkflow, element_id: str) -> bool:
        """Go back to the latest completed user task ``element_id`` (an administrator's «flytt token»).

        What came after it is cancelled and it is READY again. False if no such task was completed.
        """
        done = [t for t in wf.get_tasks(state=TaskState.COMPLETED)
                if t.task_spec.bpmn_id == element_id and t.task_spec.manual]
        if not done:
            return False
        target = max(done, key=lambda t: t.last_state_change)
        wf.reset_from_task_id(UUID(str(target.id)))
        # SpiffWorkflow 3.2 leaves cancelled catching events registered; drop those no longer in the tree
        for task in list(wf.event_manager.tasks.values()):
            if task.id not in task.workflow.tasks:
                wf.event_manager.remove_task(task)
        self.wake(wf)
        return True
