"""The caseworker's work list («Innboks»): filters and ordering over the open-task projection, and
claiming a task.

Reads only the projection tables (``open_tasks`` joined with ``cases``) through
``cases.actionable_tasks_query`` — never a workflow — so an inbox of thousands of tasks is a few
indexed queries.  Overdue means flagged by the deadline timer *or* past its due time (the timer
may not have ticked yet).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa

from engine import clock
from engine.access import rules as access
from engine.bpmn import lanes
from engine.bpmn.lanes import LEDER, Actor
from engine.cases import keyset
from engine.cases.queries import actionable_branches, actionable_tasks_query, closed_task, search_clause
from engine.errors import BadRequest, Forbidden
from engine.extensions import db
from engine.store.models import AuditEvent, Case, OpenTask, Organisation, User

MINE, ORGANISATION, UNASSIGNED = "mine", "org", "ledige"
#: Rows on one page of the inbox (#14: a thousand rows at once was slow to draw and to scan).
PAGE_SIZE = 50
#: Orderings a user may pick besides the default (overdue first, then by due date).
SORTS = ("frist", "navn", "sak", "nyest", "steg")


@dataclass(frozen=True)
class InboxFilter:
    """What the user asked to see: one step, only overdue, mine (claimed by me) or unassigned
    (claimed by nobody), a search in name / case number / external reference, an ordering, and
    where the page starts (a keyset cursor, see ``engine.cases.keyset``; None: the first page)."""

    step: str | None = None
    overdue_only: bool = False
    scope: str = ORGANISATION
    search: str | None = None
    sort: str = "frist"
    cursor: keyset.Cursor | None = None


def _overdue_clause(now=None):
    return sa.or_(OpenTask.overdue_at.is_not(None), OpenTask.due_at < (now or clock.now()))


def _narrow(query, actor: Actor, flt: InboxFilter):
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


def inbox_query(actor: Actor, flt: InboxFilter, branch: Any = None):
    return _narrow(actionable_tasks_query(actor, branch), actor, flt)


# -- orderings -------------------------------------------------------------------------------------
# Every ordering ends on the task id (unique), so keyset pages never overlap or skip a row.
_DUE = keyset.Key(OpenTask.due_at, nullable=True)
_BY_DUE = (_DUE, keyset.Key(OpenTask.created_at), keyset.Key(OpenTask.id))
_ORDERS: dict[str, tuple[keyset.Key, ...]] = {
    "navn": (keyset.Key(Case.resident_name), *_BY_DUE),
    "sak": (keyset.Key(Case.id), *_BY_DUE),
    "nyest": (keyset.Key(OpenTask.created_at, desc=True), keyset.Key(OpenTask.id, desc=True)),
    "steg": (keyset.Key(sa.func.coalesce(OpenTask.name, OpenTask.element_id)), *_BY_DUE),
}


def _bands(now) -> list[tuple[int, list[Any]]]:
    """The default ordering as bands of one urgency each, in order; a band with several parts is
    merged by due date.  Each part is a range of an index of ``0008_inbox_indexes``: due before now;
    flagged overdue by the timer though due later, or undated (rare: partial indexes hold only
    flagged rows); due later; undated."""
    flagged, unflagged = OpenTask.overdue_at.is_not(None), OpenTask.overdue_at.is_(None)
    return [(0, [OpenTask.due_at < now, sa.and_(flagged, OpenTask.due_at >= now),
                 sa.and_(flagged, OpenTask.due_at.is_(None))]),
            (1, [sa.and_(unflagged, OpenTask.due_at >= now)]),
            (2, [sa.and_(unflagged, OpenTask.due_at.is_(None))])]


def _sort_value(keys, row) -> tuple:
    """A Python value ordering rows as the SQL of ``keys`` does (to merge parts of a band)."""
    out: list[Any] = []
    for k, v in zip(keys, row, strict=True):
        if k.nullable:
            out.append((v is None, v if v is not None else 0))
        else:
            out.append(v)
    return tuple(out)


#: What one inbox row shows of a task and of its case (``pages/inbox.html``) — nothing more is read.
TASK_COLUMNS: Any = sa.orm.Bundle("task", OpenTask.id, OpenTask.case_id, OpenTask.element_id, OpenTask.name,
                             OpenTask.lane, OpenTask.due_at, OpenTask.overdue_at, OpenTask.claimed_by_id,
                             OpenTask.draft)
CASE_COLUMNS: Any = sa.orm.Bundle("case", Case.id, Case.resident_name)


def _page_query(actor: Actor, flt: InboxFilter, branch: Any, keys) -> Any:
    bydel = sa.orm.aliased(Organisation)
    inst = sa.orm.aliased(Organisation)
    return (inbox_query(actor, flt, branch)
            .with_only_columns(TASK_COLUMNS, CASE_COLUMNS, bydel.name, inst.name,
                               *[k.expr.label(f"k{i}") for i, k in enumerate(keys)])
            .join(bydel, bydel.id == Case.bydel_id).join(inst, inst.id == Case.institution_id))


def inbox(actor: Actor, flt: InboxFilter, limit: int | None = None) -> keyset.Page:
    """One page (``limit`` rows, default ``PAGE_SIZE``) of (task, case, bydel name, institution name)
    rows from ``flt.cursor`` on: overdue first, then by due date, unless ``flt.sort`` asks for another
    ordering.  Task and case are plain rows with only the columns the page shows (``TASK_COLUMNS``,
    ``CASE_COLUMNS``): never ORM objects, never a case's workflow state.

    The default ordering is read band by band (``_bands``), and each way the actor may act
    (``actionable_branches``) as its own query — an ``OR`` of them is a query no index answers; the
    few rows are merged here (the branches are disjoint; the keys are times and task ids)."""
    size = limit or PAGE_SIZE
    banded = flt.sort not in _ORDERS
    keys = _BY_DUE if banded else _ORDERS[flt.sort]
    cursor = flt.cursor
    if cursor is not None and len(cursor.values) != len(keys) + banded:
        cursor = None
    if banded:
        page = keyset.fetch(_banded_reader(actor, flt), lambda r: r[4:], size, cursor)
    else:
        def read(values, reverse: bool, n: int) -> list[tuple]:
            query = _page_query(actor, flt, None, keys)
            if values is not None:
                query = query.where(keyset.after(keys, values, reverse))
            return [tuple(r) for r in db.session.execute(query.order_by(*keyset.order_by(keys, reverse)).limit(n))]
        page = keyset.fetch(read, lambda r: r[4:], size, cursor)
    if cursor is not None and not page.rows:      # the rows around the cursor are gone: start over
        return inbox(actor, replace(flt, cursor=None), limit)
    rows = [r[:4] for r in page.rows]
    access.log_listed(actor, (r[0].case_id for r in rows), "inbox")   # the inbox shows whose case it is
    return keyset.Page(rows, page.next, page.prev)


def _banded_reader(actor: Actor, flt: InboxFilter):
    """``read(values, reverse, n)`` for the default ordering: (urgency band, due, created, id)."""
    keys, now, branches = _BY_DUE, clock.now(), actionable_branches(actor)

    def merged(parts: list[Any], where: Any, reverse: bool, n: int) -> list[tuple]:
        rows: list[tuple] = []
        for branch in branches:
            for part in parts:
                query = _page_query(actor, flt, sa.and_(branch, part), keys)
                if where is not None:
                    query = query.where(where)
                rows += [tuple(r) for r in db.session.execute(query.order_by(*keyset.order_by(keys, reverse)).limit(n))]
        if len(branches) * len(parts) > 1:
            rows.sort(key=lambda r: _sort_value(keys, r[4:]), reverse=reverse)
        return rows[:n]

    def read(values, reverse: bool, n: int) -> list[tuple]:
        out: list[tuple] = []
        bands = _bands(now)
        for band, parts in (reversed(bands) if reverse else bands):
            where = None
            if values is not None:
                if (band > values[0]) if reverse else (band < values[0]):
                    continue
                if band == values[0]:
                    where = keyset.after(keys, values[1:], reverse)
            out += [(*r[:4], band, *r[4:]) for r in merged(parts, where, reverse, n - len(out))]
            if len(out) >= n:
                break
        return out
    return read


@dataclass(frozen=True)
class Summary:
    """The inbox's numbers: ``counts`` (all, overdue, mine, unassigned) and ``steps`` (element id,
    name, open tasks) — from one grouped pass over the actor's actionable tasks."""

    counts: dict[str, int]
    steps: list[tuple[str, str, int]]
    by_step: dict[str, dict[str, int]]


_COUNT_NAMES = ("all", "overdue", "mine", "unassigned")


def summary(actor: Actor) -> Summary:
    """Counts for the navigation and the filters, and the steps for the step filter, in one grouped
    aggregate per way the actor may act (``actionable_branches``), each starting from its index.
    The navigation, the count line and the step list of one page share it."""
    now = clock.now()
    names: dict[str, str] = {}
    by_step: dict[str, dict[str, int]] = {}
    for branch in actionable_branches(actor):
        query = (actionable_tasks_query(actor, branch).with_only_columns(
            OpenTask.element_id, sa.func.min(OpenTask.name), sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((_overdue_clause(now), 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((OpenTask.claimed_by_id == actor.user_id, 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((OpenTask.claimed_by_id.is_(None), 1), else_=0)), 0))
                 .group_by(OpenTask.element_id))
        for element_id, name, *numbers in db.session.execute(query):
            names.setdefault(element_id, name or element_id)
            seen = by_step.setdefault(element_id, dict.fromkeys(_COUNT_NAMES, 0))
            for key, value in zip(_COUNT_NAMES, numbers, strict=True):
                seen[key] += int(value)
    counts = {key: sum(s[key] for s in by_step.values()) for key in _COUNT_NAMES}
    steps = sorted(((e, names[e], s["all"]) for e, s in by_step.items()), key=lambda s: (s[1].lower(), s[0]))
    return Summary(counts, steps, by_step)


def steps(actor: Actor) -> list[tuple[str, str, int]]:
    """The steps (element id, name, open tasks) in the actor's inbox, for the step filter."""
    return summary(actor).steps


def counts(actor: Actor) -> dict[str, int]:
    """Numbers for the navigation: all actionable, overdue, claimed by me, claimed by nobody."""
    return summary(actor).counts


def total(actor: Actor, flt: InboxFilter, known: Summary | None = None) -> int:
    """How many tasks match the filter (all pages).  Taken from ``known`` when the filter is one of
    its numbers (no search; at most one of step / overdue / mine / unassigned), else counted."""
    if known is not None and not flt.search:
        key = {MINE: "mine", UNASSIGNED: "unassigned"}.get(flt.scope, "all")
        if flt.overdue_only:
            key = "overdue" if key == "all" else ""
        if key and flt.step:
            return known.by_step.get(flt.step, {}).get(key, 0)
        if key:
            return known.counts[key]
    n = 0
    for branch in actionable_branches(actor):
        query = inbox_query(actor, flt, branch).with_only_columns(sa.func.count()).order_by(None)
        n += int(db.session.scalar(query) or 0)
    return n


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
