"""Moving a case's deadline by agreement, with the reason kept — and reading deadlines with history.

A deadline is a waiting timer of the case (usually a boundary timer with a ``frist`` key).  Moving it
re-arms the timer through ``engine.bpmn.timers.set_due`` inside one ``cases.CaseUnitOfWork``, so the version
check, the timer projection, the audit event ``deadline.changed`` and the ``deadline_changes`` row
are one transaction.  The agreed day is an Oslo calendar date; the deadline lasts to the end of that
day (due at the following midnight in Oslo, stored as UTC), exactly like a computed deadline.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from engine import cases, clock
from engine.access import rules as access
from engine.bpmn import lanes, spec, timers
from engine.bpmn.deadlines import end_of_day_utc
from engine.bpmn.lanes import Actor
from engine.errors import Conflict, Forbidden, NotFound, Unprocessable
from engine.extensions import db
from engine.processes import deployments, runtime_state
from engine.store.models import Case, OpenTask, Timer
from engine.store.timers import DeadlineChange

MAX_REASON = 2000


@dataclass(frozen=True)
class Deadline:
    """A waiting deadline of a case as shown to people: the timer plus its change history."""

    timer: Timer
    due_date: date | None              # the last Oslo day on which it is met
    host_task: OpenTask | None
    changes: list[DeadlineChange]


def parse_date(value: object) -> date:
    """An agreed day ``YYYY-MM-DD``; 422 for anything else (30 February included)."""
    if not isinstance(value, str) or not value.strip():
        raise Unprocessable("Ny dato mangler.", {"due_date": ["Oppgi datoen som ÅÅÅÅ-MM-DD."]})
    text = value.strip()
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise Unprocessable(f"Ugyldig dato: {text}", {"due_date": ["Datoen finnes ikke. Bruk ÅÅÅÅ-MM-DD."]}) from None


def last_day(due_at: datetime | None) -> date | None:
    """The Oslo day a due instant closes (due at midnight → the day before)."""
    if due_at is None:
        return None
    local = clock.as_utc(due_at).astimezone(clock.OSLO)
    return (local - timedelta(microseconds=1)).date()


def find_timer(case: Case, key: str) -> Timer:
    """The waiting timer of the case by deadline key (``plan``) or by its timer task id."""
    row = db.session.scalar(sa.select(Timer).where(Timer.case_id == case.id,
                                                   sa.or_(Timer.deadline_key == key, Timer.task_id == key))
                            .order_by(Timer.id).limit(1))
    if row is None:
        raise NotFound(f"Saken har ingen ventende frist «{key}». Den kan allerede ha passert.")
    return row


def responsible_organisation(case: Case, timer: Timer) -> int:
    """The organisation whose lane holds the deadline's task; the bydel for resident lanes or none.

    A deadline watched before its step has opened has no open task yet: the step's lane in the
    diagram decides.
    """
    host = db.session.get(OpenTask, timer.host_task_id) if timer.host_task_id else None
    lane = host.lane if host is not None else _diagram_lane(case, timer.host_element_id)
    org = lanes.lane_organisation(lane, access.parties(case))
    return org if org is not None else case.bydel_id


def _diagram_lane(case: Case, element_id: str | None) -> str | None:
    if not element_id:
        return None
    bundle = deployments.bundle_for(case.process_version_id)
    return next((ts.lane for ts in spec.task_specs(bundle) if getattr(ts, "bpmn_id", None) == element_id), None)


def _may_move(actor: Actor, org_id: int) -> bool:
    return actor.is_caseworker and actor.organisation_id == org_id


def move_deadline(actor: Actor, case_id: int, key: str, new_date: object, reason: object) -> DeadlineChange:
    """Move a deadline to the end of ``new_date`` (Oslo) with a required reason — one transaction.

    Refused with nothing changed: unknown case or outside the actor's organisations (404), not a
    caseworker or leader of the responsible organisation (403), no such waiting deadline (404),
    a missing reason, an impossible date, a day already past or the same day (422).
    """
    case = access.require_read(actor, db.session.get(Case, case_id), "move_deadline")
    db.session.commit()        # the access-log row stands even if the move is refused
    if not isinstance(reason, str) or not reason.strip():
        raise Unprocessable("Begrunnelse mangler.", {"reason": ["Skriv hvorfor fristen flyttes."]})
    if len(reason) > MAX_REASON:
        raise Unprocessable("Begrunnelsen er for lang.", {"reason": [f"Høyst {MAX_REASON} tegn."]})
    day = parse_date(new_date)
    timer = find_timer(case, key)
    if not _may_move(actor, responsible_organisation(case, timer)):
        access.log(actor, case.id, "move_deadline", granted=False)
        db.session.commit()
        raise Forbidden("Bare saksbehandlere eller ledere i den ansvarlige enheten kan flytte fristen.")
    if day < clock.today_oslo():
        raise Unprocessable("Fristen kan ikke flyttes til en dag som har passert.",
                            {"due_date": ["Velg i dag eller en senere dag."]})
    if timer.kind == timers.CYCLE:
        raise Unprocessable("En gjentakende påminnelse er ikke en frist og kan ikke flyttes her.")
    new_due = end_of_day_utc(day)
    old_due = clock.as_utc(timer.due_at) if timer.due_at else None
    if old_due == new_due and timer.broken_reason is None:
        raise Unprocessable("Fristen er allerede satt til denne dagen.", {"due_date": ["Ingen endring."]})
    if old_due is not None and old_due <= clock.now() and timer.broken_reason is None:
        raise Conflict("Fristen har allerede passert og utløses nå; den kan ikke flyttes.")
    change = DeadlineChange(case_id=case.id, deadline_key=timer.deadline_key, timer_element_id=timer.element_id,
                            timer_task_id=timer.task_id, old_due_at=old_due, new_due_at=new_due, new_date=day,
                            actor_id=actor.user_id, reason=reason.strip(), at=clock.now())
    task_id = timer.task_id
    engine = runtime_state.state().engine
    db.session.add(change)

    def run(wf) -> None:
        try:
            timers.set_due(engine.task(wf, task_id), new_due)
        except ValueError as exc:   # the timer is no longer waiting in the saved state
            raise Conflict("Fristen venter ikke lenger. Last siden på nytt.") from exc

    event = cases.Change("deadline.changed", actor, element_id=timer.element_id, task_id=task_id,
                         data={"deadline": timer.deadline_key, "old_due_at": old_due.isoformat() if old_due else None,
                               "new_due_at": new_due.isoformat(), "new_date": day.isoformat(),
                               "reason": reason.strip()})
    cases.step(case, {"kind": "move_deadline", "task_id": task_id, "due": new_due.isoformat()}, event, run)
    return change


def changes_of(case_id: int) -> list[DeadlineChange]:
    """Every agreed move of a case's deadlines, oldest first."""
    return list(db.session.scalars(sa.select(DeadlineChange).where(DeadlineChange.case_id == case_id)
                                   .order_by(DeadlineChange.at, DeadlineChange.id)))


def case_deadlines(actor: Actor, case_id: int) -> tuple[Case, list[Deadline], list[DeadlineChange]]:
    """The case's waiting timers (deadlines first) and every change ever made to its deadlines."""
    case = access.require_read(actor, db.session.get(Case, case_id), "read_deadlines")
    db.session.commit()
    history = changes_of(case.id)
    out = []
    for t in cases.case_timers(case):
        host = db.session.get(OpenTask, t.host_task_id) if t.host_task_id else None
        out.append(Deadline(t, last_day(t.due_at), host, [h for h in history if h.timer_task_id == t.task_id]))
    out.sort(key=lambda d: d.timer.kind != timers.DEADLINE)
    return case, out, history

