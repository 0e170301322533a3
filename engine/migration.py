"""Move running cases from one version of a process to another.

SpiffWorkflow 3.2 restores a saved instance against whatever spec objects it is given, looking each
task's spec up by name.  So a case can move to version B exactly when every task spec named in its
state (the finished ones too: they stay in the tree) exists in B; then ``restore(bundle_B, state)``
yields a workflow that continues on B.  The dry run says, per case, whether that holds and why not;
the run migrates those that can, one transaction each (state, ``process_version_id``, projections
and a ``case.migrated`` timeline event), and reports the rest untouched.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from SpiffWorkflow.util.task import TaskState

from engine import access, cases, deployments, runtime_state
from engine.bpmn import lanes
from engine.bpmn.lanes import Actor
from engine.errors import Conflict, NotFound, ServiceError, Unprocessable
from engine.extensions import db
from engine.store.models import Case, OpenTask, ProcessVersion

MIGRATABLE = cases.ACTIVE   # a suspended case is resumed first, then migrated
_OPEN = {int(TaskState.READY), int(TaskState.WAITING), int(TaskState.STARTED), int(TaskState.ERROR)}
_PREDICTED = {int(TaskState.MAYBE), int(TaskState.LIKELY), int(TaskState.FUTURE)}


@dataclass
class CaseResult:
    case_id: int
    status: str
    can_migrate: bool
    reasons: list[str] = field(default_factory=list)
    migrated: bool = False


@dataclass
class MigrationReport:
    from_version: ProcessVersion
    to_version: ProcessVersion
    dry_run: bool
    cases: list[CaseResult]

    def to_dict(self) -> dict[str, Any]:
        return {"from_version_id": self.from_version.id, "to_version_id": self.to_version.id,
                "dry_run": self.dry_run, "total": len(self.cases),
                "can_migrate": sum(c.can_migrate for c in self.cases),
                "migrated": sum(c.migrated for c in self.cases),
                "cases": [{"case_id": c.case_id, "status": c.status, "can_migrate": c.can_migrate,
                           "migrated": c.migrated, "reasons": c.reasons} for c in self.cases]}


def _spec_names(bundle) -> set[str]:
    names = set(bundle.spec.task_specs)
    for sub in bundle.subprocess_specs.values():
        names |= set(sub.task_specs)
    return names


def _state_tasks(state: dict) -> list[dict]:
    tasks = list(state.get("tasks", {}).values())
    for sub in (state.get("subprocesses") or {}).values():
        tasks += list(sub.get("tasks", {}).values())
    return tasks


def _prune_predictions(state: dict) -> dict:
    """Drop tasks the engine only *predicted* from the old diagram (MAYBE/LIKELY/FUTURE).

    They describe the old version's path ahead; SpiffWorkflow creates the real children from the
    new spec when the current task completes.  Finished and open tasks are kept as they are.
    """
    for holder in [state, *(state.get("subprocesses") or {}).values()]:
        tasks = holder.get("tasks", {})
        drop = {tid for tid, t in tasks.items() if t.get("state") in _PREDICTED}
        for tid in drop:
            tasks.pop(tid)
        for t in tasks.values():
            t["children"] = [c for c in t.get("children", []) if c not in drop]
    return state


def repredict(wf) -> None:
    """Let the engine predict the path ahead of each open task from the *new* spec (pruned above)."""
    mask = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
    for task in wf.get_tasks(state=mask):
        if not task.children:
            task.task_spec._predict(task, mask=mask | TaskState.FUTURE | TaskState.PREDICTED_MASK)


def migrated_state(case: Case) -> str:
    """The case's state ready to be restored against another version (predictions removed)."""
    return json.dumps(_prune_predictions(json.loads(case.state)))


def check(case: Case, to_bundle) -> list[str]:
    """Why ``case`` cannot move to ``to_bundle`` (empty: it can).  Reads only."""
    try:
        state = json.loads(case.state)
    except ValueError:
        return ["tilstanden kan ikke leses"]
    names = _spec_names(to_bundle)
    reasons: list[str] = []
    open_missing, past_missing = set(), set()
    for t in _state_tasks(_prune_predictions(state)):
        if t["task_spec"] in names:
            continue
        (open_missing if t.get("state") in _OPEN else past_missing).add(t["task_spec"])
    if open_missing:
        reasons.append("gjeldende steg finnes ikke i ny versjon: " + ", ".join(sorted(open_missing)))
    if past_missing:
        reasons.append("tidligere steg finnes ikke i ny versjon: " + ", ".join(sorted(past_missing)))
    if not reasons:
        try:
            runtime_state.state().engine.restore(to_bundle, migrated_state(case))
        except Exception as exc:  # noqa: BLE001 - any restore failure means "cannot migrate"
            reasons.append(f"tilstanden passer ikke den nye versjonen: {type(exc).__name__}: {exc}")
    return reasons


def _versions(from_id: Any, to_id: Any) -> tuple[ProcessVersion, ProcessVersion]:
    try:
        a, b = db.session.get(ProcessVersion, int(from_id)), db.session.get(ProcessVersion, int(to_id))
    except (TypeError, ValueError):
        raise Unprocessable("Ugyldige versjoner.", {"from_version_id": ["Må være et tall."],
                                                    "to_version_id": ["Må være et tall."]}) from None
    if a is None or b is None:
        raise NotFound("Fant ikke prosessversjonen.")
    if a.process_key != b.process_key:
        raise Unprocessable("Versjonene tilhører ulike prosesser.", {"to_version_id": ["Samme prosess kreves."]})
    if a.id == b.id:
        raise Unprocessable("Fra- og til-versjon er den samme.", {"to_version_id": ["Velg en annen versjon."]})
    return a, b


def migrate(actor: Actor | None, from_id: Any, to_id: Any, dry_run: bool = True, reason: str | None = None,
            progress=None) -> MigrationReport:
    """Dry-run or migrate every live case of ``from_id`` to ``to_id``; ``actor`` None is the CLI.

    ``progress(done, total)`` is called after each case (the CLI prints it).
    """
    if actor is not None:
        access.require_role(actor, lanes.ADMINISTRATOR, lanes.PROSESSEIER)
    a, b = _versions(from_id, to_id)
    bundle = deployments.bundle_for(b.id)
    ids = list(db.session.scalars(sa.select(Case.id).where(Case.process_version_id == a.id,
                                                           Case.status.in_(MIGRATABLE)).order_by(Case.id)))
    results = []
    for n, case_id in enumerate(ids, 1):
        case = db.session.get(Case, case_id)
        result = CaseResult(case.id, case.status, False, check(case, bundle))
        result.can_migrate = not result.reasons
        if result.can_migrate and not dry_run:
            try:
                _migrate_one(actor, case, a, b, bundle, reason)
                result.migrated = True
            except (ServiceError, Exception) as exc:  # noqa: BLE001 - report per case, go on
                db.session.rollback()
                runtime_state.state().forget(case_id)
                result.can_migrate = False
                result.reasons.append(getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}")
        results.append(result)
        if progress:
            progress(n, len(ids))
    db.session.commit()
    return MigrationReport(a, b, dry_run, results)


def _migrate_one(actor: Actor | None, case: Case, a: ProcessVersion, b: ProcessVersion, bundle,
                 reason: str | None) -> None:
    """One transaction: new spec, same state, projections redone, timeline event, optimistic lock."""
    rt = runtime_state.state()
    version = case.version
    wf = rt.engine.restore(bundle, migrated_state(case))
    repredict(wf)
    result = db.session.connection().execute(sa.update(Case).where(Case.id == case.id, Case.version == version)
                                             .values(process_version_id=b.id))
    if result.rowcount != 1:
        raise Conflict("Saken ble endret under migreringen.")
    rt.forget(case.id)
    for t in rt.engine.ready_tasks(wf):   # open tasks keep their id; name, lane and form come from B
        db.session.execute(sa.update(OpenTask).where(OpenTask.id == t.id).values(
            name=t.name, lane=t.lane, role=t.role, form=t.form, ui_form=t.ui_form))
    change = cases.Change("case.migrated", actor, data={"from_version_id": a.id, "from_version": a.version,
                                                        "to_version_id": b.id, "to_version": b.version,
                                                        "reason": reason})
    new_version = cases._save(case, wf, version, [change], clears_error=False)
    rt.keep_workflow(case.id, new_version, wf)
