"""The caseworker's work list («Innboks»): filters and ordering over the open-task projection, and
claiming a task.

Reads only the projection tables (``open_tasks`` joined with ``cases``) through
``cases.actionable_tasks_query`` — never a workflow — so an inbox of thousands of tasks is a few
indexed queries.  Overdue means flagged by the deadline timer *or* past its due time (the timer
may not have ticked yet).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from engine import clock
from engine.access import rules as access
from engine.bpmn import lanes
from engine.bpmn.lanes import LEDER, Actor
from engine.cases.queries import actionable_tasks_query, closed_task, search_clause
from engine.errors import BadRequest, Forbidden
from engine.extensions import db
from engine.store.models import AuditEvent, Case, OpenTask, Organisation, User

MINE, ORGANISATION, UNASSIGNED = "mine", "org", "ledige"
#: Rows drawn at most; beyond that the filters narrow the list (the count says how many there are).
LIMIT = 1000
#: Rows on one page of the inbox (#14: a thousand rows at once was slow to draw and to scan).
PAGE_SIZE = 50
#: Orderings a user may pick besides the default (overdue first, then by due date).
SORTS = ("frist", "navn", "sak", "nyest", "steg")


@dataclass(frozen=True)
class InboxFilter:
    """What the user asked to see: one step, only overdue, mine (claimed by me) or unassigned
    (claimed by nobody), a search in name / case number / external reference, an ordering and a page."""

    step: str | None = None
    overdue_only: bool = False
    scope: str = ORGANISATION
    search: str | None = None
    sort: str = "frist"
    page: int = 1


def _overdue_clause():
    return sa.or_(OpenTask.overdue_at.is_not(None), OpenTask.due_at < clock.now())


def inbox_query(actor: Actor, flt: InboxFilter):
    query = actionable_tasks_query(actor)
    if flt.step:
        query = query.where(OpenTask.element_id == flt.step)
    if flt.overdue_only:
        query = query.where(_overdue_clause())
    if flt.scope == MINE:
        query = query.where(OpenTask.claimed_by_id == actor.user_id)
    elif flt.scope == UNASSIGNED:
        query = query.where(OpenTask.claimed_by_id.is_(None))
    found = search_clause(flt.search)
    if found is not None:
        query = query.where(found)
    return query


def _order(flt: InboxFilter) -> tuple:
    """The ORDER BY of a sort choice; every ordering ends on the task id so pages never overlap."""
    by_due = (OpenTask.due_at.is_(None), OpenTask.due_at, OpenTask.created_at, OpenTask.id)
    if flt.sort == "navn":
        return (Case.resident_name, *by_due)
    if flt.sort == "sak":
        return (Case.id, *by_due)
    if flt.sort == "nyest":
        return (OpenTask.created_at.desc(), OpenTask.id)
    if flt.sort == "steg":
        return (OpenTask.name, *by_due)
    return (sa.case((_overdue_clause(), 0), else_=1), *by_due)


#: What one inbox row shows of a task and of its case (``pages/inbox.html``) — nothing more is read.
TASK_COLUMNS: Any = sa.orm.Bundle("task", OpenTask.id, OpenTask.case_id, OpenTask.element_id, OpenTask.name,
                             OpenTask.lane, OpenTask.due_at, OpenTask.overdue_at, OpenTask.claimed_by_id,
                             OpenTask.draft)
CASE_COLUMNS: Any = sa.orm.Bundle("case", Case.id, Case.resident_name)


def inbox(actor: Actor, flt: InboxFilter, limit: int = LIMIT) -> list[tuple[Any, Any, str, str]]:
    """Rows of (task, case, bydel name, institution name) of ``flt.page`` (pages of ``limit`` rows):
    overdue first, then by due date, unless ``flt.sort`` asks for another ordering.

    Task and case are plain rows with only the columns the page shows (``TASK_COLUMNS``,
    ``CASE_COLUMNS``): no ORM objects for up to 1,000 rows, and never a case's workflow state.
    """
    bydel = sa.orm.aliased(Organisation)
    inst = sa.orm.aliased(Organisation)
    query = (inbox_query(actor, flt).with_only_columns(TASK_COLUMNS, CASE_COLUMNS, bydel.name, inst.name)
             .join(bydel, bydel.id == Case.bydel_id).join(inst, inst.id == Case.institution_id)
             .order_by(*_order(flt)).limit(limit).offset((max(flt.page, 1) - 1) * limit))
    rows = [tuple(r) for r in db.session.execute(query)]
    access.log_listed(actor, (r[0].case_id for r in rows), "inbox")   # the inbox shows whose case it is
    return rows


def total(actor: Actor, flt: InboxFilter) -> int:
    """How many tasks match the filter (all pages)."""
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(inbox_query(actor, flt).subquery())) or 0)


def steps(actor: Actor) -> list[tuple[str, str]]:
    """The distinct steps (element id, name) in the actor's inbox, for the step filter."""
    sub = actionable_tasks_query(actor).subquery()
    rows = db.session.execute(sa.select(sub.c.element_id, sa.func.min(sub.c.name))
                              .group_by(sub.c.element_id).order_by(sa.func.min(sub.c.name)))
    return [(r[0], r[1] or r[0]) for r in rows]


def counts(actor: Actor) -> dict[str, int]:
    """Numbers for the navigation: all actionable, overdue, claimed by me."""
    sub = actionable_tasks_query(actor).subquery()
    overdue = sa.or_(sub.c.overdue_at.is_not(None), sub.c.due_at < clock.now())
    row = db.session.execute(sa.select(
        sa.func.count(),
        sa.func.coalesce(sa.func.sum(sa.case((overdue, 1), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((sub.c.claimed_by_id == actor.user_id, 1), else_=0)), 0),
    ).select_from(sub)).one()
    return {"all": int(row[0]), "overdue": int(row[1]), "mine": int(row[2])}


def claim(actor: Actor, task_id: str, take: bool) -> OpenTask:
    """Take a task («Ta oppgaven») or give it back.  Only someone who may act on it may claim it;
    only the claimer or a leader may release someone's claim."""
    action = "claim" if take else "unclaim"
    row = db.session.get(OpenTask, str(task_id))
    if row is None:
        closed_task(actor, task_id, action)     # completed meanwhile: 409, not 404
    case = db.session.get(Case, row.case_id)
    access.require_act(actor, case, row.lane, row.role, action)
    assert case is not None   # require_act answers 404 for a missing case
    if not take and row.claimed_by_id not in (None, actor.user_id) and not actor.has(LEDER):
        db.session.commit()   # the access-log row stands
        raise Forbidden("Bare den som har tatt oppgaven, eller en leder, kan legge den tilbake.")
    tid, element_id = row.id, row.element_id
    result = db.session.connection().execute(sa.update(OpenTask).where(OpenTask.id == tid)
                                .values(claimed_by_id=actor.user_id if take else None))
    if result.rowcount != 1:  # the task closed between the read and this write
        db.session.rollback()
        closed_task(actor, tid, action)
    db.session.add(AuditEvent(case_id=case.id, type="task.claimed" if take else "task.unclaimed",
                              actor_id=actor.user_id, element_id=element_id, task_id=tid))
    db.session.commit()
    fresh = db.session.get(OpenTask, tid)
    if fresh is None:
        closed_task(actor, tid, action)
    return fresh


def colleagues(actor: Actor, row: OpenTask) -> list[User]:
    """Active users of the actor's organisation who may act on ``row`` (its lane and role): whom
    the task can be given to.  Empty for someone outside a caseworker organisation."""
    if not actor.is_caseworker or actor.organisation_id is None:
        return []
    case = db.session.get(Case, row.case_id)
    if case is None:
        return []
    users = db.session.scalars(sa.select(User).where(User.organisation_id == actor.organisation_id,
                                                     User.active.is_(True)).order_by(User.display_name))
    return [u for u in users if (u.role_set & {lanes.SAKSBEHANDLER, LEDER})
            and lanes.capacity(access.actor_for(u), access.parties(case), row.lane, row.role) is not None]


def assign(actor: Actor, task_id: str, user_id: int) -> tuple[OpenTask, User]:
    """Give a task to a colleague («Tildel»): someone who may act on the task gives it to a user of
    their own organisation who may act on it too.  Taking it from someone else's claim is a
    leader's call, as releasing is.  Audited as ``task.assigned`` (from whom, to whom)."""
    row = db.session.get(OpenTask, str(task_id))
    if row is None:
        closed_task(actor, task_id, "assign")   # completed meanwhile: 409, not 404
    case = db.session.get(Case, row.case_id)
    access.require_act(actor, case, row.lane, row.role, "assign")
    assert case is not None
    target = next((u for u in colleagues(actor, row) if u.id == user_id), None)
    if target is None:
        db.session.rollback()
        raise BadRequest("Oppgaven kan bare gis til en kollega i din organisasjon som kan utføre den.")
    if row.claimed_by_id not in (None, actor.user_id, user_id) and not actor.has(LEDER):
        db.session.rollback()
        raise Forbidden("Oppgaven er tatt av en annen. Bare en leder kan gi den videre.")
    tid, element_id, before = row.id, row.element_id, row.claimed_by_id
    result = db.session.connection().execute(sa.update(OpenTask).where(OpenTask.id == tid)
                                             .values(claimed_by_id=target.id))
    if result.rowcount != 1:  # the task closed between the read and this write (as ``claim``)
        db.session.rollback()
        closed_task(actor, tid, "assign")
    db.session.add(AuditEvent(case_id=case.id, type="task.assigned", actor_id=actor.user_id,
                              element_id=element_id, task_id=tid,
                              data={"from_user_id": before, "to_user_id": target.id}))
    db.session.commit()
    fresh = db.session.get(OpenTask, tid)
    if fresh is None:
        closed_task(actor, tid, "assign")
    return fresh, target
