"""What the console's forms offer to choose from, so nobody types an element id or a version id (#14).

A repair needs a task, a timer or an earlier step of *this* case; a migration needs two versions of
*one* process; the users page needs who can sign in.  These are read here (administrators only, the
case read logged) and handed to the pages as named choices; the repairs themselves stay in
``engine.ops.repairs`` and check everything again.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from engine import clock
from engine.access import rules as access
from engine.bpmn import lanes, spec
from engine.bpmn.lanes import Actor
from engine.errors import NotFound
from engine.extensions import db
from engine.ops.stuck import LATE_GRACE
from engine.processes import deployments
from engine.store.auth import UserSession
from engine.store.models import AuditEvent, Case, OpenTask, Organisation, ProcessVersion, Timer, User


@dataclass(frozen=True)
class Choice:
    """One option of a select: the value the repair takes and what the administrator reads."""

    value: str
    name: str
    element_id: str | None = None
    due_at: datetime | None = None
    state: str | None = None
    kind: str | None = None


@dataclass
class RepairChoices:
    case: Case
    names: dict[str, str]
    open_tasks: list[Choice] = field(default_factory=list)
    timers: list[Choice] = field(default_factory=list)
    earlier_tasks: list[Choice] = field(default_factory=list)


def element_names(version_id: int) -> dict[str, str]:
    """Element id → its name in the diagram of a version (and of the processes it calls)."""
    try:
        return spec.element_names(deployments.bundle_for(version_id))
    except Exception:  # noqa: BLE001 — a version that no longer loads still lists its cases, by id
        return {}


def _timer_state(t: Timer, now: datetime) -> str:
    if t.broken_reason:
        return "broken"
    if t.due_at is not None and clock.as_utc(t.due_at) < now - LATE_GRACE:
        return "late"
    return "waiting"


def repair_choices(actor: Actor, case_id: int) -> RepairChoices:
    """The case's open tasks, waiting timers and completed tasks, each by its name in the diagram."""
    access.require_role(actor, lanes.ADMINISTRATOR)
    case = db.session.get(Case, case_id)
    if case is None:
        raise NotFound("Fant ikke saken.")
    access.log(actor, case.id, "repair_page")
    names = element_names(case.process_version_id)
    now = clock.now()
    out = RepairChoices(case, names)
    for t in db.session.scalars(sa.select(OpenTask).where(OpenTask.case_id == case.id).order_by(OpenTask.created_at)):
        out.open_tasks.append(Choice(t.id, t.name or names.get(t.element_id) or t.element_id, t.element_id,
                                     t.due_at, "overdue" if t.overdue_at else "open"))
    for tm in db.session.scalars(sa.select(Timer).where(Timer.case_id == case.id).order_by(Timer.due_at)):
        host = names.get(tm.host_element_id or "") if tm.host_element_id else None
        label = tm.name or names.get(tm.element_id) or (f"{host}" if host else tm.element_id)
        out.timers.append(Choice(tm.task_id, label, tm.element_id, tm.due_at, _timer_state(tm, now), tm.kind))
    seen: set[str] = set()
    done = db.session.scalars(sa.select(AuditEvent.element_id).where(
        AuditEvent.case_id == case.id, AuditEvent.type == "task.completed", AuditEvent.element_id.is_not(None))
        .order_by(AuditEvent.id.desc()))
    for element_id in done:
        if element_id and element_id not in seen:
            seen.add(element_id)
            out.earlier_tasks.append(Choice(element_id, names.get(element_id) or element_id, element_id))
    db.session.commit()
    return out


def version_choices(actor: Actor) -> dict[str, list[ProcessVersion]]:
    """Every deployed version grouped by process, newest first — what a migration chooses between."""
    access.require_role(actor, lanes.PROSESSEIER, lanes.ADMINISTRATOR)
    grouped: dict[str, list[ProcessVersion]] = {}
    for pv in db.session.scalars(sa.select(ProcessVersion).order_by(ProcessVersion.process_key,
                                                                     ProcessVersion.version.desc())):
        grouped.setdefault(pv.process_key, []).append(pv)
    return grouped


def organisations(actor: Actor) -> dict[str, list[Organisation]]:
    """Bydeler and institutions by name: the stuck list's filters."""
    access.require_role(actor, lanes.ADMINISTRATOR)
    rows = db.session.scalars(sa.select(Organisation).order_by(Organisation.name))
    out: dict[str, list[Organisation]] = {}
    for org in rows:
        out.setdefault(org.kind, []).append(org)
    return out


@dataclass(frozen=True)
class UserRow:
    user: User
    organisation: str | None
    open_sessions: int
    last_seen_at: datetime | None


def users_overview(actor: Actor) -> list[UserRow]:
    """Every account with its organisation, open sessions and when it was last seen (administrators)."""
    access.require_role(actor, lanes.ADMINISTRATOR)
    sessions = (sa.select(UserSession.user_id, sa.func.count().label("n"),
                          sa.func.max(UserSession.last_seen_at).label("seen"))
                .where(UserSession.ended_at.is_(None)).group_by(UserSession.user_id).subquery())
    rows = db.session.execute(
        sa.select(User, Organisation.name, sessions.c.n, sessions.c.seen)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .outerjoin(sessions, sessions.c.user_id == User.id)
        .order_by(User.display_name))
    return [UserRow(u, org, n or 0, seen) for u, org, n, seen in rows]

