"""Fire due timers: claim a batch of cases with due timers, wake each, save — one transaction per case.

Also opens the bydel's consent-renewal tasks that have fallen due (``engine.cases.consent``).

The database decides what is due (the ``timers`` projection, indexed by ``due_at``); the scheduler
and ``flask worker`` only call :func:`drain` now and then.  One statement claims the cases of the
oldest due timers (``engine.timers.claims``: on PostgreSQL an advisory lock per case on a connection
of the worker's own, so several workers share the work, and a worker killed mid-batch drops its
claims for another one); one SELECT loads those cases; then each case is woken and committed on its
own, so a failure stays with its case.  On SQLite there is one writer at a time anyway; two workers
are still safe because the case's ``version`` column refuses the second save.  Exactly once comes
from the case state itself: a fired timer is gone from the saved workflow, so a late second wake
finds nothing to fire.

What "due" means is defined once, in ``engine.store.due_timers`` (strictly after the due instant,
as SpiffWorkflow fires only when ``due < now``); this module only drives it.
"""
from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import undefer

from engine import cases, clock, logs
from engine.cases import consent as consent_changes
from engine.errors import Conflict, EngineFailure, NotFound
from engine.extensions import db
from engine.processes import runtime_state
from engine.store import due_timers, status
from engine.store.models import AuditEvent, Case, Timer
from engine.store.timers import SchedulerHeartbeat
from engine.timers import claims

log = logging.getLogger(__name__)

#: Reason recorded on a timer that was due, was woken, and still did not fire (never loop on it).
STUCK_REASON = "tidtakeren var forfalt, men motoren utløste den ikke ved vekking"


def worker_name(kind: str = "worker") -> str:
    """A name that tells which host and process a heartbeat belongs to."""
    return f"{kind}@{socket.gethostname()}:{os.getpid()}"


def _mark_stuck(case_id: int, task_ids: set[str]) -> None:
    """A timer that stays due after a wake would be woken forever: record it as broken instead."""
    rows = list(db.session.scalars(sa.select(Timer).where(Timer.case_id == case_id, Timer.task_id.in_(task_ids))))
    for row in rows:
        row.broken_reason = STUCK_REASON
        db.session.add(AuditEvent(case_id=case_id, type="timer.broken", element_id=row.element_id,
                                  task_id=row.task_id, data={"reason": STUCK_REASON}))
    db.session.commit()


@dataclass
class DrainResult:
    """What one :func:`drain` did."""

    cases_woken: int = 0
    timers_fired: int = 0
    failed: list[int] = field(default_factory=list)
    renewals_opened: int = 0    # consents about to lapse that gave the bydel a renewal task


def drain(limit: int | None = None, batch: int | None = None) -> DrainResult:
    """Fire every due timer now, oldest first, one case per transaction, claiming a batch at a time.

    A case whose wake fails (engine error → case marked error by its unit of work) is skipped for
    the rest of this drain and never blocks the others; one that someone else saved between the
    claim and the wake (a conflict) is claimed again once, with its fresh row.
    """
    result = DrainResult()
    skip: set[int] = set()
    conflicted: set[int] = set()
    claimer = claims.Claimer(batch or int(current_app.config["TIMER_CLAIM_BATCH"]))
    try:
        while limit is None or result.cases_woken < limit:
            now = clock.now()
            claimed = claimer.claim(now, skip, None if limit is None else limit - result.cases_woken)
            if not claimed:
                db.session.rollback()
                break
            try:
                _fire_batch(claimed, now, result, skip, conflicted)
            finally:
                db.session.rollback()
                claimer.release()
    finally:
        claimer.close()
    # Consent renewals are deadline-style timers the service arms itself (from the consent's end date)
    result.renewals_opened = consent_changes.open_due_renewals(clock.now())
    return result


def _load_cases(batch: list[claims.Claim], now: datetime) -> dict[int, Case]:
    """The claimed cases that still have a claimable timer, in one SELECT, detached from the session.

    Read after the claim, so a case another worker fired just before we locked it is not woken
    again; with the state (deferred on ``Case``), as a worker seldom has the case warm and the
    restore would otherwise read it per case.  Detached, so the commit of the batch's first case does
    not expire the others (each is merged back unchanged before its own step: no second read).
    """
    ids = [c.case_id for c in batch]
    rows = list(db.session.scalars(sa.select(Case).options(undefer(Case.state)).where(
        Case.id.in_(ids), sa.exists().where(Timer.case_id == Case.id, due_timers.claimable(now)))))
    for case in rows:
        db.session.expunge(case)
    return {case.id: case for case in rows}


def _fire_batch(batch: list[claims.Claim], now: datetime, result: DrainResult, skip: set[int],
                conflicted: set[int]) -> None:
    """Wake each claimed case in its own unit of work (its own commit); a failure stays with its case."""
    loaded = _load_cases(batch, now)
    db.session.rollback()     # end the read: each case's step is its own transaction
    for claim in batch:
        case = loaded.get(claim.case_id)
        if case is None:
            continue          # fired meanwhile by someone else, or no longer claimable
        attached = db.session.merge(case, load=False)   # held: the session maps its objects weakly
        try:
            woken = cases.wake_case(attached.id)
        except Conflict as exc:
            db.session.rollback()
            if claim.case_id in conflicted:
                skip.add(claim.case_id)
                result.failed.append(claim.case_id)
                log.info("timer wake of case %s skipped: %s", claim.case_id, exc)
            conflicted.add(claim.case_id)    # saved by someone else since the claim: claim it again
            continue
        except (EngineFailure, NotFound) as exc:
            db.session.rollback()
            skip.add(claim.case_id)
            result.failed.append(claim.case_id)
            log.info("timer wake of case %s skipped: %s", claim.case_id, exc)
            continue
        except Exception:  # noqa: BLE001 - one bad case must not stop the worker
            db.session.rollback()
            skip.add(claim.case_id)
            result.failed.append(claim.case_id)
            log.exception("timer wake of case %s failed", claim.case_id)
            continue
        result.cases_woken += 1
        still = _still_due(woken, claim.due, now)
        result.timers_fired += len(claim.due - still)
        if still:
            _mark_stuck(claim.case_id, still)
            skip.add(claim.case_id)


def _still_due(case: Case, due: frozenset[str], now: datetime) -> set[str]:
    """Which of ``due`` the wake left waiting and due — read from the workflow the step just saved.

    The timer projection is written from the same ``waiting_timers``, so this equals a SELECT of the
    case's timer rows, without one.  Only when the workflow is not warm (a case that left the active
    states, a step that did not keep it) is the projection read.
    """
    rt = runtime_state.state()
    wf = rt.take_workflow(case.id, case.version)
    if wf is None:
        if case.status not in status.ACTIVE:
            return set()
        return due_timers.due_task_ids(case.id, now) & due
    rt.keep_workflow(case.id, case.version, wf)
    return {t.task_id for t in rt.engine.waiting_timers(wf)
            if t.task_id in due and t.broken_reason is None and t.due is not None and t.due < now}


def beat(worker: str, fired: int) -> None:
    """Record one tick of ``worker`` (its own small transaction)."""
    now = clock.now()
    updated = db.session.connection().execute(sa.update(SchedulerHeartbeat).where(SchedulerHeartbeat.worker == worker).values(
        last_tick_at=now, ticks=SchedulerHeartbeat.ticks + 1,
        timers_fired=SchedulerHeartbeat.timers_fired + fired)).rowcount
    if not updated:
        db.session.add(SchedulerHeartbeat(worker=worker, started_at=now, last_tick_at=now, ticks=1,
                                          timers_fired=fired))
    db.session.commit()


TICK_HOOKS = "tilbolig.tick_hooks"


def add_tick_hook(app: Flask, hook: Callable[[DrainResult], object]) -> None:
    """Run ``hook`` after every tick's drain (scheduler and ``flask worker``), e.g. the yearly survey start.

    Registered by the part that owns the work (the composition root calls its ``init_app``), so the
    timers part never imports it.
    """
    hooks = app.extensions.setdefault(TICK_HOOKS, [])
    if hook not in hooks:
        hooks.append(hook)


def tick(worker: str) -> DrainResult:
    """One scheduler tick: drain what is due, run the tick hooks, then write the heartbeat (log lines carry
    one pass id)."""
    with logs.bound(worker=worker, job_id=f"{worker}:{uuid.uuid4().hex[:12]}"):
        try:
            result = drain()
        finally:
            db.session.rollback()
        for hook in current_app.extensions.get(TICK_HOOKS, []):
            try:
                hook(result)
            except Exception:  # noqa: BLE001 - a failing hook must not stop timers from firing
                db.session.rollback()
                log.exception("tick hook %s failed", hook)
        beat(worker, result.timers_fired)
        return result


def next_due_in(max_seconds: float) -> float:
    """Seconds until the next timer may fire (capped), so a worker can sleep just long enough."""
    # ORDER BY … LIMIT 1 walks the due_at index; min() over the join would scan every timer
    due = due_timers.next_due_at()
    db.session.rollback()
    if due is None:
        return max_seconds
    wait = (clock.as_utc(due) - clock.now()).total_seconds() + 0.002   # strictly after due
    return min(max(wait, 0.0), max_seconds)


def run(worker: str, tick_seconds: float = 1.0, once: bool = False, stop=None) -> int:
    """The ``flask worker`` loop: drain, heartbeat, sleep until the next due time (or a tick).

    ``once`` drains what is due now and returns (for tests and cron).  ``stop`` is an optional
    ``threading.Event``-like object ending the loop.  Returns the number of timers fired.
    """
    total = 0
    while True:
        try:
            total += tick(worker).timers_fired
            wait = next_due_in(tick_seconds)
        except Exception:  # noqa: BLE001 - e.g. the database restarting: keep the worker alive
            if once:
                raise
            db.session.rollback()
            log.exception("timer worker tick failed; retrying in %s s", tick_seconds)
            wait = tick_seconds
        if once or (stop is not None and stop.is_set()):
            return total
        if stop is not None:
            if stop.wait(wait):
                return total
        else:
            time.sleep(wait)


def heartbeats() -> list[SchedulerHeartbeat]:
    """Every worker's last tick, newest first."""
    return list(db.session.scalars(sa.select(SchedulerHeartbeat).order_by(SchedulerHeartbeat.last_tick_at.desc())))
