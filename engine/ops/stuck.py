"""Stuck cases and the system panel: what an administrator must see at once.

A case is *stuck* for one or more reasons, each with a detail and a «since»:

* ``error``        — the engine stopped at an element (``Case.error_*``);
* ``overdue``      — an open task's deadline has passed (``OpenTask.overdue_at``);
* ``idle``         — open tasks but nothing happened for ``IDLE_DAYS[process_key]`` days (default 30);
* ``broken_timer`` — a timer whose due time could not be computed (``Timer.broken_reason``);
* ``message_wait`` — nothing to do and no timer, only a BPMN message awaited, for longer than
  ``MESSAGE_WAIT_DAYS`` (default 60; ``Case.last_activity_at`` is when it started waiting).

Everything is read from the projections; only message-wait candidates restore a workflow (to name
the messages).  Administrators only: the list crosses every organisation.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from engine import cases, clock
from engine.access import rules as access
from engine.bpmn import lanes
from engine.bpmn.lanes import Actor
from engine.errors import Unprocessable
from engine.extensions import db
from engine.store import due_timers
from engine.store.models import Case, OpenTask, Organisation, ProcessVersion, Timer

ERROR, OVERDUE, IDLE, BROKEN_TIMER, MESSAGE_WAIT = "error", "overdue", "idle", "broken_timer", "message_wait"
REASONS = (ERROR, OVERDUE, IDLE, BROKEN_TIMER, MESSAGE_WAIT)
DEFAULT_IDLE_DAYS = 30
DEFAULT_MESSAGE_WAIT_DAYS = 60
#: A timer this much past its due time has not been fired by the scheduler.
LATE_GRACE = timedelta(seconds=60)
LIMIT = 500


@dataclass
class Reason:
    """Why a case is listed: the kind, a human detail, where (element) and since when."""

    kind: str
    detail: str
    since: datetime | None = None
    element_id: str | None = None


@dataclass
class StuckCase:
    case: Case
    reasons: list[Reason] = field(default_factory=list)


def _config(key: str, default: Any) -> Any:
    try:
        return current_app.config.get(key, default)
    except RuntimeError:  # outside an app (never in practice): defaults
        return default


def idle_days(process_key: str) -> int:
    """Days without activity before a case with open tasks counts as idle (per process)."""
    return int((_config("IDLE_DAYS", {}) or {}).get(process_key, DEFAULT_IDLE_DAYS))


def message_wait_days() -> int:
    return int(_config("MESSAGE_WAIT_DAYS", DEFAULT_MESSAGE_WAIT_DAYS))


def _org_filter(query, column, value: Any):
    if value in (None, ""):
        return query
    if isinstance(value, int) or str(value).isdigit():
        return query.where(column == int(value))
    org_id = db.session.scalar(sa.select(Organisation.id).where(Organisation.slug == str(value)))
    return query.where(column == (org_id if org_id is not None else -1))


def _error_detail(case: Case) -> str:
    """The engine's message; for a failed message also what «Prøv igjen» with data will correct."""
    action = case.error_action or {}
    if action.get("kind") != "message":
        return case.error_message or ""
    return (f"{case.error_message or ''} Feilen kom med meldingen «{action.get('name')}»: «Prøv igjen» med data "
            "retter meldingens innhold (sjekkes mot meldingens skjema).").strip()


def _scoped(query, process_version_id: Any, bydel: Any, institution: Any):
    if process_version_id not in (None, ""):
        try:
            query = query.where(Case.process_version_id == int(process_version_id))
        except (TypeError, ValueError):
            raise Unprocessable("Ugyldig prosessversjon.", {"process_version_id": ["Må være et tall."]}) from None
    query = _org_filter(query, Case.bydel_id, bydel)
    return _org_filter(query, Case.institution_id, institution)


def stuck_cases(actor: Actor, reason: str | None = None, process_version_id: Any = None,
                bydel: Any = None, institution: Any = None) -> list[StuckCase]:
    """Every stuck case (administrators only), each with all its reasons; newest problem first."""
    access.require_role(actor, lanes.ADMINISTRATOR)
    if reason not in (None, "") and reason not in REASONS:
        raise Unprocessable(f"Ukjent årsak «{reason}».", {"reason": [f"Bruk en av: {', '.join(REASONS)}."]})
    now = clock.now()
    found: dict[int, StuckCase] = {}

    def add(case: Case, r: Reason) -> None:
        found.setdefault(case.id, StuckCase(case)).reasons.append(r)

    def base(q):
        return _scoped(q, process_version_id, bydel, institution)

    want = (lambda k: reason in (None, "") or reason == k)
    if want(ERROR):
        for c in db.session.scalars(base(sa.select(Case).where(Case.status == cases.ERROR)).limit(LIMIT)):
            add(c, Reason(ERROR, _error_detail(c), c.error_at, c.error_element))
    if want(OVERDUE):
        q = (sa.select(OpenTask, Case).join(Case, Case.id == OpenTask.case_id)
             .where(OpenTask.overdue_at.is_not(None), Case.status.in_(cases.ACTIVE)))
        for t, c in db.session.execute(base(q).limit(LIMIT)):
            add(c, Reason(OVERDUE, f"Fristen for «{t.name or t.element_id}» er passert.", t.due_at, t.element_id))
    if want(BROKEN_TIMER):
        q = (sa.select(Timer, Case).join(Case, Case.id == Timer.case_id)
             .where(Timer.broken_reason.is_not(None), Case.status.in_(cases.ACTIVE)))
        for t, c in db.session.execute(base(q).limit(LIMIT)):
            add(c, Reason(BROKEN_TIMER, t.broken_reason or "", t.created_at, t.element_id))
    if want(IDLE) or want(MESSAGE_WAIT):
        shortest = min([idle_days(k) for k in (_config("IDLE_DAYS", {}) or {})] + [DEFAULT_IDLE_DAYS,
                                                                                   message_wait_days()])
        idle_q = (sa.select(Case, ProcessVersion.process_key).join(ProcessVersion, ProcessVersion.id == Case.process_version_id)
             .where(Case.status == cases.RUNNING, Case.last_activity_at < now - timedelta(days=shortest)))
        for c, key in db.session.execute(base(idle_q).limit(LIMIT)):
            _quiet_reasons(c, key, now, want, add)
    out = sorted(found.values(), key=lambda s: max((clock.as_utc(r.since) for r in s.reasons if r.since),
                                                   default=now), reverse=True)
    for s in out:
        access.log(actor, s.case.id, "list_stuck")
    db.session.commit()
    return out


def _quiet_reasons(c: Case, process_key: str, now: datetime, want, add) -> None:
    """Idle (open tasks, nothing happens) or waiting too long for a message (nothing else to wait for)."""
    since = clock.as_utc(c.last_activity_at)
    has_tasks = db.session.scalar(sa.select(sa.func.count()).select_from(OpenTask).where(OpenTask.case_id == c.id))
    if has_tasks:
        if want(IDLE) and since < now - timedelta(days=idle_days(process_key)):
            add(c, Reason(IDLE, f"Ingen aktivitet på {(now - since).days} dager.", since))
        return
    live_timers = db.session.scalar(sa.select(sa.func.count()).select_from(Timer)
                                    .where(Timer.case_id == c.id, Timer.broken_reason.is_(None)))
    if live_timers or not want(MESSAGE_WAIT) or since >= now - timedelta(days=message_wait_days()):
        return
    names = sorted(cases.waiting_messages(c.id))
    if names:
        add(c, Reason(MESSAGE_WAIT, f"Venter på {', '.join(names)} i {(now - since).days} dager.", since))


def system_panel(actor: Actor) -> dict[str, Any]:
    """Scheduler heartbeat age, timers due but not fired, oldest due timer, outbox backlog."""
    access.require_role(actor, lanes.ADMINISTRATOR)
    now = clock.now()
    late = sa.select(Timer).join(Case, Case.id == Timer.case_id).where(due_timers.overdue(now - LATE_GRACE))
    late_count = db.session.scalar(sa.select(sa.func.count()).select_from(late.subquery()))
    oldest = db.session.scalar(late.order_by(Timer.due_at).limit(1))
    panel: dict[str, Any] = {
        "now": now.isoformat(),
        "timers_due_not_fired": late_count,
        "oldest_due_timer": None if oldest is None else {
            "case_id": oldest.case_id, "element_id": oldest.element_id,
            "due_at": clock.as_utc(oldest.due_at).isoformat(),
            "late_seconds": int((now - clock.as_utc(oldest.due_at)).total_seconds())},
        "scheduler": _heartbeats(now),
        "outbox": _outbox(now),
    }
    panel["stalled"] = bool(late_count) and (panel["scheduler"].get("age_seconds") is None
                                              or panel["scheduler"]["age_seconds"] > 120)
    return panel


def _heartbeats(now: datetime) -> dict[str, Any]:
    try:
        from engine.store.timers import SchedulerHeartbeat
    except ImportError:
        return {"available": False, "text": "ikke tilgjengelig"}
    beats = list(db.session.scalars(sa.select(SchedulerHeartbeat).order_by(SchedulerHeartbeat.last_tick_at.desc())))
    if not beats:
        return {"available": True, "workers": [], "age_seconds": None, "text": "ingen arbeider har meldt seg"}
    workers = [{"worker": b.worker, "last_tick_at": clock.as_utc(b.last_tick_at).isoformat(),
                "age_seconds": int((now - clock.as_utc(b.last_tick_at)).total_seconds()), "ticks": b.ticks}
               for b in beats]
    return {"available": True, "workers": workers, "age_seconds": workers[0]["age_seconds"]}


def _outbox(now: datetime) -> dict[str, Any]:
    try:
        from engine.store.webhooks import OutboxEvent
    except ImportError:
        return {"available": False, "text": "ikke tilgjengelig"}
    rows = dict(db.session.execute(sa.select(OutboxEvent.state, sa.func.count()).group_by(OutboxEvent.state)).all())
    oldest = db.session.scalar(sa.select(sa.func.min(OutboxEvent.created_at)).where(OutboxEvent.state == "pending"))
    return {"available": True, "pending": rows.get("pending", 0), "dead": rows.get("dead", 0),
            "oldest_pending_at": clock.as_utc(oldest).isoformat() if oldest else None}


def reason_json(r: Reason) -> dict[str, Any]:
    return {"kind": r.kind, "detail": r.detail, "element_id": r.element_id,
            "since": clock.as_utc(r.since).isoformat() if r.since else None}


def versions(actor: Actor) -> list[dict[str, Any]]:
    """Every deployed version with hash, deploy time, deployer and its live cases (process owners)."""
    access.require_role(actor, lanes.PROSESSEIER, lanes.ADMINISTRATOR)
    from engine.store.models import Deployment, User
    live = (sa.select(Case.process_version_id, sa.func.count().label("n")).where(Case.status.in_(cases.ACTIVE))
            .group_by(Case.process_version_id).subquery())
    rows = db.session.execute(
        sa.select(ProcessVersion, Deployment, User.username, live.c.n)
        .join(Deployment, Deployment.id == ProcessVersion.deployment_id)
        .outerjoin(User, User.id == Deployment.created_by_id)
        .outerjoin(live, live.c.process_version_id == ProcessVersion.id)
        .order_by(ProcessVersion.process_key, ProcessVersion.version.desc()))
    return [{"id": pv.id, "process_key": pv.process_key, "version": pv.version, "name": pv.name,
             "deployment_id": dep.id, "hash": dep.content_hash, "deployed_at": clock.as_utc(dep.created_at).isoformat(),
             "deployed_by": username, "running_cases": n or 0, "files": sorted(dep.files)}
            for pv, dep, username, n in rows]


def version_file(actor: Actor, version_id: int, name: str) -> str:
    """The exact text of one deployed file of a version (diagram, DMN or form)."""
    access.require_role(actor, lanes.PROSESSEIER, lanes.ADMINISTRATOR)
    from engine.errors import NotFound
    pv = db.session.get(ProcessVersion, version_id)
    if pv is None or name not in (pv.deployment.files or {}):
        raise NotFound("Fant ikke filen.")
    return pv.deployment.files[name]
