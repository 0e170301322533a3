"""The unit of work: every change of a case goes through one ``CaseUnitOfWork`` and one commit.

Start, complete, message, timer, deadline move, repair, migration, suspend/resume/terminate — all of
them open a unit of work on the case row, let SpiffWorkflow step the workflow it hands out, record
their audit changes and call :meth:`CaseUnitOfWork.commit`, which in one transaction:

1. writes the new state under the optimistic lock (``UPDATE … WHERE version = :seen``; a lost race
   is a ``Conflict``, recognised by row count or by SQLSTATE / SQLite result code, never by text),
2. projects open tasks and timers (``engine.cases.projections``),
3. inserts the audit rows,
4. runs the *change hooks* inside the transaction (the webhook outbox registers one), and commits.

After the commit it keeps the workflow warm and runs the *after-commit hooks* (the inbox delivers
held events). Hooks are registered by the subsystems that own them when the app is built, which is
what keeps this module free of imports from ``engine.events`` (no cases ↔ inbox ↔ outbox cycle).

If the work fails with an engine error (``StepFailed``) nothing of it is kept; by default the case is
then marked *error* in a transaction of its own, with the failed action kept for a retry. A repair
opens its unit of work with ``mark_error=False``: a failed repair leaves the case exactly as it was.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.exc import DBAPIError

from engine import clock
from engine.access import access_log
from engine.bpmn.lanes import Actor
from engine.bpmn.runtime import StepFailed
from engine.cases import anchors, case_update, projections, step_context
from engine.cases.anchors import ANCHOR_KEYS, MESSAGE_ANCHORS  # noqa: F401 — re-exported (commands, cases)
from engine.cases.changes import Change
from engine.errors import Conflict, EngineFailure, NotFound
from engine.extensions import db
from engine.processes import deployments, runtime_state
from engine.store import status
from engine.store.conflicts import is_conflict, is_deadlock
from engine.store.models import AuditEvent, Case

log = logging.getLogger(__name__)

STALE = "Saken ble endret av noen andre. Last siden på nytt."
#: How often a commit that PostgreSQL chose as a deadlock's victim is written (#15).  Two steps of
#: one organisation bump the same inbox-counter rows, perhaps in opposite orders; neither is stale,
#: so the loser writes again instead of answering 409 to someone who did nothing wrong.
DEADLOCK_ATTEMPTS = 3

ChangeHook = Callable[[int, list[Change]], object]     # return values are ignored
AfterCommitHook = Callable[[int], object]
#: ``guard()`` → a boolean SQL expression correlated to ``cases.id``: "may this hook have work for the case?"
Guard = Callable[[], Any]


@dataclass
class Hooks:
    """Work other subsystems attach to every case change (registered once per app).

    ``guards`` lets a hook skip a statement that usually finds nothing (no active webhook
    subscription, no held inbound event): the guard's expression is evaluated in the ``RETURNING``
    clause of the case's version-checked UPDATE — the statement the step runs anyway — and a hook
    whose guard says *no* is not called.  A hook without a guard always runs.
    """

    on_changes: list[ChangeHook] = field(default_factory=list)
    after_commit: list[AfterCommitHook] = field(default_factory=list)
    guards: dict[Any, Guard] = field(default_factory=dict)
    #: name → ``guard``-like expression; its answer is offered to every hook in the step context
    #: (``step_context.StepContext.probe(name)``), for a hook that may skip only part of its work
    probes: dict[str, Guard] = field(default_factory=dict)


def init_app(app: Flask) -> None:
    app.extensions["tilbolig.uow_hooks"] = Hooks()


def hooks(app: Flask | None = None) -> Hooks:
    """The hook registry of ``app`` (the current app by default)."""
    return (app or current_app).extensions["tilbolig.uow_hooks"]


def run_change_hooks(case_id: int, changes: list[Change]) -> None:
    """Run the change hooks for changes written outside a unit of work (giving a task to a colleague),
    in the caller's transaction — so a notification is as atomic as the change it tells of."""
    for hook in hooks().on_changes:
        hook(case_id, changes)


def get_case(case_id: int) -> Case:
    """The case row, or ``NotFound``."""
    case = db.session.get(Case, case_id)
    if case is None:
        raise NotFound("Fant ikke saken.")
    return case


def load_workflow(case: Case) -> Any:
    """The case's workflow at its saved version: the warm copy if it is current, else restored."""
    rt = runtime_state.state()
    wf = rt.take_workflow(case.id, case.version)
    if wf is None:
        wf = rt.engine.restore(deployments.bundle_for(case.process_version_id), case.state)
    rt.engine.begin_step(wf)   # every change starts from a workflow with no timers "armed this step"
    return wf


def read_workflow(case: Case) -> Any:
    """Load the workflow for reading only and keep it warm (nothing is written)."""
    wf = load_workflow(case)
    runtime_state.state().keep_workflow(case.id, case.version, wf)
    return wf


class CaseUnitOfWork:
    """One change of one case, committed once (see the module docstring).

    ``action`` describes the change for a later retry (kept on the case if it fails); ``actor`` is
    who asked. ``require_active`` refuses (409) a change to a case that is not running or in error.
    """

    def __init__(self, case: Case, action: dict[str, Any] | None = None, actor: Actor | None = None, *,
                 mark_error: bool = True, require_active: bool = True,
                 failure_text: str = "Prosessen stoppet med en feil. Saken er merket, og en administrator "
                                     "kan rette den.") -> None:
        if require_active and case.status not in status.ACTIVE:
            raise Conflict(status.refusal_text(case.status))
        self.case = case
        self.case_id = case.id
        self.version = case.version
        self.action = action or {}
        self.actor = actor
        self.mark_error = mark_error
        self.failure_text = failure_text
        self.changes: list[Change] = []
        self.committed = False
        self._wf: Any = None
        self.engine = runtime_state.state().engine

    # -- the workflow -----------------------------------------------------------------------

    @property
    def workflow(self) -> Any:
        """The workflow to step (loaded on first use)."""
        if self._wf is None:
            self._wf = load_workflow(self.case)
        return self._wf

    def use_workflow(self, wf: Any) -> None:
        """Step this workflow instead of the saved one (a new case; a migrated case)."""
        self._wf = wf

    def record(self, change: Change | None) -> None:
        """Add an audit change written with the commit."""
        if change is not None:
            self.changes.append(change)

    # -- the commit -------------------------------------------------------------------------

    def commit(self, *, new_status: str | None = None, clears_error: bool = False, clear_projections: bool = False,
               values: dict[str, Any] | None = None) -> int:
        """Write state, projections, audit and hook rows under the optimistic lock; commit; return the version.

        ``new_status`` sets the status directly (suspend/resume/terminate); otherwise it follows the
        workflow (completed, still in error, or running). ``clear_projections`` removes the case's
        task and timer rows instead of projecting them (a terminated case). ``values`` adds columns
        (a migration changes ``process_version_id``).
        """
        now = clock.now()
        row: dict[str, Any] = dict(version=self.version + 1, updated_at=now, last_activity_at=now, **(values or {}))
        events = list(self.changes)
        wf = self._wf
        completed = False
        if wf is not None:
            data = self.engine.data(wf)
            completed = new_status is None and self.engine.is_completed(wf)
            row.update(state=self.engine.dump(wf), anchors=anchors.updated(self.case.anchors or {}, data, self.changes))
        if new_status is None:   # the status follows the workflow; a step that got through clears the error
            if wf is None:
                raise ValueError("a unit of work without a workflow must set new_status")
            new_status = status.COMPLETED if completed else (
                status.ERROR if self.case.status == status.ERROR and not clears_error else status.RUNNING)
            row["completed_at"] = now if completed else None
            if new_status != status.ERROR:
                row.update(error_element=None, error_message=None, error_at=None, error_action=None)
        row["status"] = new_status
        registry = hooks()
        guarded, names, probes = case_update.probes(registry)
        loaded = {k: v for k, v in self.case.__dict__.items() if k in case_update.COLUMNS}   # before the commit expires them
        old_anchors = dict(self.case.anchors or {})
        base_events, logged = events, access_log.uncommitted()
        for attempt in range(1, DEADLOCK_ATTEMPTS + 1):
            events = list(base_events)
            try:
                skip = self._write(now, row, events, probes, guarded, names, loaded, old_anchors, new_status,
                                   completed, clear_projections)
                break
            except Conflict:
                db.session.rollback()
                runtime_state.state().forget(self.case_id)
                raise
            except DBAPIError as exc:
                db.session.rollback()
                if is_deadlock(exc) and attempt < DEADLOCK_ATTEMPTS:
                    # Nobody else changed the case (that is a stale version, not a deadlock): the
                    # same write, in a fresh transaction, with this request's access-log rows again.
                    log.info("case %s: deadlock on attempt %d, writing again", self.case_id, attempt)
                    access_log.write_again([e for e in logged if not e.committed])
                    continue
                runtime_state.state().forget(self.case_id)
                if not is_conflict(exc):
                    raise
                raise Conflict(STALE) from exc
        self.committed = True
        self.version += 1
        rt = runtime_state.state()
        if wf is not None and new_status in status.ACTIVE:
            rt.keep_workflow(self.case_id, self.version, wf)
        else:
            rt.forget(self.case_id)
        case_update.set_committed(self.case, {**loaded, **row})   # no re-read of the row (and its state) we just wrote
        self._after_commit(skip)
        return self.version

    def _write(self, now: Any, row: dict[str, Any], events: list[Change], probes: Any, guarded: Any, names: Any,
               loaded: dict[str, Any], old_anchors: dict[str, Any], new_status: str, completed: bool,
               clear_projections: bool) -> set[Any]:
        """One attempt at the commit's writes: the version-checked UPDATE, projections, audit, hooks,
        COMMIT.  Returns the hooks its probes said to skip (their after-commit part is skipped too)."""
        wf = self._wf
        found = db.session.connection().execute(
            case_update.update_statement(frozenset(row), probes),
            {**row, "b_case_id": self.case_id, "b_seen_version": self.version}).first()
        if found is None:
            raise Conflict(STALE)
        skip = {h for h, ok in zip(guarded, found[3:3 + len(guarded)], strict=True) if not ok}
        deadlines: tuple[step_context.DeadlineTimer, ...] | None = None
        if clear_projections:
            projections.clear(self.case_id)
            deadlines = ()
        elif wf is not None:
            events += [Change("milestone.reached", element_id=m.element_id,
                              data={"milestone": m.key, "name": m.name}) for m in self.engine.milestones(wf)]
            events += projections.project_tasks(self.engine, self.case, wf, now, missed_watches=bool(found[0]),
                                                open_ids=found[2])
            waiting = self.engine.waiting_timers(wf)
            events += projections.project_timers(self.engine, self.case, wf, now, had_timers=bool(found[1]),
                                                 waiting=waiting)
            deadlines = step_context.deadline_timers(waiting)
        if completed:
            events += projections.close_service_tasks(self.case_id)
            events.append(Change("case.completed"))
        known = {**loaded, **row}
        col = (lambda k: known[k] if k in known else getattr(self.case, k))  # noqa: E731
        ctx = step_context.StepContext(
            case_id=self.case_id, bydel_id=col("bydel_id"), institution_id=col("institution_id"),
            resident_user_id=col("resident_user_id"), status=new_status,
            anchors=dict(row.get("anchors", old_anchors)), old_anchors=old_anchors, deadline_timers=deadlines,
            probes={n: bool(v) for n, v in zip(names, found[3 + len(guarded):], strict=True)})
        with step_context.active(ctx):
            self._write_audit(events, now, skip)
        db.session.commit()
        return skip

    def _write_audit(self, events: list[Change], now: Any, skip: set[Any]) -> None:
        if not events:
            return
        db.session.connection().execute(_INSERT_AUDIT, [
            dict(case_id=self.case_id, at=now, type=ch.type, actor_id=ch.actor.user_id if ch.actor else None,
                 on_behalf_of_id=ch.on_behalf_of_id, element_id=ch.element_id, task_id=ch.task_id, data=ch.data)
            for ch in events])
        for hook in hooks().on_changes:     # e.g. the webhook outbox: rows in this same transaction
            if hook not in skip:
                hook(self.case_id, events)

    def _after_commit(self, skip: set[Any]) -> None:
        for hook in hooks().after_commit:
            if hook in skip:
                continue
            try:
                hook(self.case_id)
            except Exception:  # the change is committed; a hook failure must not undo or hide it
                db.session.rollback()
                log.exception("after-commit hook %s failed for case %s", hook, self.case_id)

    # -- the context manager ----------------------------------------------------------------

    def __enter__(self) -> CaseUnitOfWork:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.committed:
            return
        db.session.rollback()
        runtime_state.state().forget(self.case_id)
        if isinstance(exc, StepFailed):
            if self.mark_error:
                mark_error(self.case_id, self.version, exc, self.action, self.actor)
            raise EngineFailure(self.failure_text, exc.element_id, exc.message) from exc


_INSERT_AUDIT = sa.insert(AuditEvent)


def step(case: Case, action: dict[str, Any], change: Change | None, fn: Callable[[Any], None], *,
         actor: Actor | None = None, mark_error: bool = True, clears_error: bool = False,
         failure_text: str | None = None) -> Case:
    """Run ``fn(workflow)`` on the case in one unit of work and commit; return the fresh case row."""
    kwargs: dict[str, Any] = {"failure_text": failure_text} if failure_text else {}
    with CaseUnitOfWork(case, action, actor or (change.actor if change else None), mark_error=mark_error,
                        **kwargs) as uow:
        fn(uow.workflow)
        uow.record(change)
        uow.commit(clears_error=clears_error)
    return get_case(case.id)


def record_case_changes(case_id: int, changes: list[Change]) -> None:
    """Write audit rows for ``changes`` of a case and run the change hooks — without stepping the workflow.

    For changes that belong to a case but are not workflow steps (a comment, a mention, a planned
    meeting): the caller writes its own rows in ``db.session`` and commits; the audit rows and what
    the hooks add (webhook outbox, report facts, notifications) are part of that same transaction, so
    a rollback loses all of it together. The case row is not touched (no version bump): a comment
    must not make a caseworker's open form stale. Every hook runs (guards only save a statement).
    """
    if not changes:
        return
    get_case(case_id)    # NotFound for a case that does not exist, before anything is written
    now = clock.now()
    db.session.connection().execute(sa.insert(AuditEvent), [
        dict(case_id=case_id, at=now, type=ch.type, actor_id=ch.actor.user_id if ch.actor else None,
             on_behalf_of_id=ch.on_behalf_of_id, element_id=ch.element_id, task_id=ch.task_id, data=ch.data)
        for ch in changes])
    run_change_hooks(case_id, list(changes))


def mark_error(case_id: int, version: int, exc: StepFailed, action: dict[str, Any], actor: Actor | None) -> None:
    """Mark the case *error* (element, message, the action to retry) in a transaction of its own."""
    now = clock.now()
    result = db.session.connection().execute(sa.update(Case).where(Case.id == case_id, Case.version == version).values(
        status=status.ERROR, version=version + 1, error_element=exc.element_id, error_message=exc.message[:4000],
        error_at=now, error_action=action, updated_at=now))
    if result.rowcount != 1:
        db.session.rollback()
        raise Conflict(STALE)
    db.session.add(AuditEvent(case_id=case_id, at=now, type="case.error", actor_id=actor.user_id if actor else None,
                              element_id=exc.element_id, data={"message": exc.message[:4000],
                                                               "action": action.get("kind")}))
    for hook in hooks().on_changes:   # the hook sees no message text: webhooks carry ids, never data
        hook(case_id, [Change("case.error", actor, element_id=exc.element_id)])
    db.session.commit()
