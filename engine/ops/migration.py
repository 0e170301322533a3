"""Move running cases from one version of a process to another.

SpiffWorkflow 3.2 restores a saved instance against whatever spec objects it is given, looking each
task's spec up by name.  So a case can move to version B exactly when every task spec named in its
state (the finished ones too: they stay in the tree) exists in B; then ``restore(bundle_B, state)``
yields a workflow that continues on B.  The dry run says, per case, whether that holds and why not;
the run migrates those that can, one transaction each (state, ``process_version_id``, projections
and a ``case.migrated`` timeline event), and reports the rest untouched.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from engine import cases
from engine.access import rules as access
from engine.bpmn import lanes, spec
from engine.bpmn import migrate as bpmn_migrate
from engine.bpmn.lanes import Actor
from engine.errors import NotFound, ServiceError, Unprocessable
from engine.extensions import db
from engine.processes import deployments, runtime_state
from engine.store.models import Case, OpenTask, ProcessVersion

MIGRATABLE = cases.ACTIVE   # a suspended case is resumed first, then migrated

log = logging.getLogger(__name__)


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


def check(case: Case, to_bundle: Any) -> list[str]:
    """Why ``case`` cannot move to ``to_bundle`` (empty: it can).  Reads only."""
    if not bpmn_migrate.readable(case.state):
        return ["tilstanden kan ikke leses"]
    open_missing, past_missing = bpmn_migrate.missing_specs(case.state, to_bundle)
    reasons: list[str] = []
    names = _names(case) if open_missing or past_missing else {}

    def named(specs: set[str]) -> str:   # «Gi samtykke» (samtykke): the diagram's name, the id for the log
        return ", ".join(f"«{names[s]}» ({s})" if names.get(s) else s for s in sorted(specs))

    if open_missing:
        reasons.append("gjeldende steg finnes ikke i ny versjon: " + named(open_missing))
    if past_missing:
        reasons.append("tidligere steg finnes ikke i ny versjon: " + named(past_missing))
    if not reasons:
        try:
            runtime_state.state().engine.restore(to_bundle, bpmn_migrate.migrated_state(case.state))
        except Exception as exc:  # noqa: BLE001 - any restore failure means "cannot migrate"
            reasons.append(f"tilstanden passer ikke den nye versjonen: {type(exc).__name__}: {exc}")
    return reasons


def _names(case: Case) -> dict[str, str]:
    """Element id → name in the case's current version (what a refusal names the missing steps by)."""
    try:
        return spec.element_names(deployments.bundle_for(case.process_version_id))
    except Exception:  # noqa: BLE001 — a version that no longer loads is reported by the restore check
        return {}


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
            progress: Callable[[int, int], None] | None = None) -> MigrationReport:
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
        if case is None:
            continue
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
                if not isinstance(exc, ServiceError):   # its text is the engine's, not for a screen (#13)
                    log.exception("migration of case %s failed", case_id)
                result.reasons.append(exc.message if isinstance(exc, ServiceError)
                                      else "Uventet feil under flyttingen; den er logget på serveren.")
        results.append(result)
        if progress:
            progress(n, len(ids))
    db.session.commit()
    return MigrationReport(a, b, dry_run, results)


def _migrate_one(actor: Actor | None, case: Case, a: ProcessVersion, b: ProcessVersion, bundle: Any,
                 reason: str | None) -> None:
    """One unit of work: new spec, same state, projections redone, timeline event, optimistic lock."""
    with cases.CaseUnitOfWork(case, {"kind": "migrate"}, actor, mark_error=False) as uow:
        wf = uow.engine.restore(bundle, bpmn_migrate.migrated_state(case.state))
        bpmn_migrate.repredict(wf)
        uow.use_workflow(wf)
        for t in uow.engine.ready_tasks(wf):   # open tasks keep their id; name, lane and form come from B
            db.session.execute(sa.update(OpenTask).where(OpenTask.id == t.id).values(
                name=t.name, lane=t.lane, role=t.role, form=t.form, ui_form=t.ui_form))
        uow.record(cases.Change("case.migrated", actor, data={"from_version_id": a.id, "from_version": a.version,
                                                              "to_version_id": b.id, "to_version": b.version,
                                                              "reason": reason}))
        uow.commit(values={"process_version_id": b.id})
