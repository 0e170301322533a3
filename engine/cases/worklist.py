"""The caseworker's work list («Innboks»): filters and ordering over the open-task projection, and
claiming a task.

Reads only the projection tables (``open_tasks`` joined with ``cases``) through
``cases.actionable_tasks_query`` — never a workflow — so an inbox of thousands of tasks is a few
indexed queries.  Overdue means flagged by the deadline timer *or* past its due time (the timer
may not have ticked yet).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from engine import clock
from engine.access import rules as access
from engine.bpmn import lanes
from engine.bpmn.lanes import LEDER, Actor
from engine.cases import inbox_counters, keyset, unit_of_work
from engine.cases.changes import Change
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
    merged by due date.  Each part is a range of an index of ``0010_inbox_indexes``: due before now;
    flagged overdue by the timer though due later, or undated (rare: partial indexes hold only
    flagged rows); due later; undated."""
    flagged, unflagged = OpenTask.overdue_at.is_not(None), OpenTask.overdue_at.is_(None)
    return [(0, [OpenTask.due_at < now, sa.and_(flagged, OpenTask.due_at >= now),
                 sa.and_(flagged, OpenTask.due_at.is_(None))]),
            (1, [sa.and_(unflagged, OpenTask.due_at >= now)]),
            (2, [sa.and_(unflagged, OpenTask.due_at.is_(None))])]


#: The clock in the band statements, bound when one is executed: a statement built once serves
#: every minute (``_cached_band_query``).
_NOW = sa.bindparam("inbox_now", type_=OpenTask.__table__.c.due_at.type)
_BANDS = _bands(_NOW)


#: What one inbox row shows of a task and of its case (``pages/inbox.html``) — nothing more is read.
TASK_FIELDS = ("id", "case_id", "element_id", "name", "lane", "due_at", "overdue_at", "claimed_by_id", "draft")


@dataclass(frozen=True)
class InboxTask:
    id: str
    case_id: int
    element_id: str
    name: str | None
    lane: str | None
    due_at: Any
    overdue_at: Any
    claimed_by_id: int | None
    draft: Any


@dataclass(frozen=True)
class InboxCase:
    id: int
    resident_name: str


def _flat_query(actor: Actor, flt: InboxFilter, branch: Any, keys, *extra: Any) -> Any:
    """The page's columns as flat labelled columns (``t_*``, ``resident_name``, ``bydel_id``,
    ``institution_id``, then the ordering's keys ``k0``…), so several of these can be one ``UNION ALL``.

    The organisations' names are not joined here: with two more joins in each of the nine branches
    PostgreSQL spent 33 ms *planning* the first page at 10k cases (and 6 ms running it).  The page's
    few organisations are named afterwards in one lookup (``_named``)."""
    return (inbox_query(actor, flt, branch)
            .with_only_columns(*_TASK_LABELS, Case.resident_name.label("resident_name"),
                               Case.bydel_id.label("bydel_id"), Case.institution_id.label("institution_id"),
                               *extra, *[k.expr.label(f"k{i}") for i, k in enumerate(keys)]))


# Built once: an ORM attribute's label is costly to build on every page (several per statement).
_TASK_LABELS = [getattr(OpenTask, f).label(f"t_{f}") for f in TASK_FIELDS]


def _row(r: Any, n_keys: int) -> tuple:
    """(task, case, bydel id, institution id, *ordering values) of a flat row; ``_named`` turns the
    ids into names."""
    task = InboxTask(*r[:len(TASK_FIELDS)])
    resident, bydel, inst = r[len(TASK_FIELDS):len(TASK_FIELDS) + 3]
    return (task, InboxCase(task.case_id, resident), bydel, inst, *r[len(r) - n_keys:])


def _named(rows: list[tuple]) -> list[tuple]:
    """The rows with their bydel and institution ids replaced by the organisations' names."""
    ids = {i for r in rows for i in (r[2], r[3]) if i is not None}
    names = dict(db.session.execute(sa.select(Organisation.id, Organisation.name)
                                    .where(Organisation.id.in_(ids))).all()) if ids else {}
    return [(r[0], r[1], names.get(r[2]), names.get(r[3]), *r[4:]) for r in rows]


def inbox(actor: Actor, flt: InboxFilter, limit: int | None = None) -> keyset.Page:
    """One page (``limit`` rows, default ``PAGE_SIZE``) of (task, case, bydel name, institution name)
    rows from ``flt.cursor`` on: overdue first, then by due date, unless ``flt.sort`` asks for another
    ordering.  Task and case hold only the columns the page shows (``InboxTask``, ``InboxCase``):
    never ORM objects, never a case's workflow state.

    The default ordering is read band by band, each band one ``UNION ALL`` of index ranges
    (``_band_query``); the other orderings are one query over all the ways the actor may act."""
    size = limit or PAGE_SIZE
    banded = flt.sort not in _ORDERS
    keys = _BY_DUE if banded else _ORDERS[flt.sort]
    n_keys = len(keys) + banded
    cursor = flt.cursor
    if cursor is not None and len(cursor.values) != n_keys:
        cursor = None
    now = clock.now()

    def read(values, reverse: bool, n: int) -> list[tuple]:
        if banded:   # band by band, from the cursor's: the first page of an inbox is usually one band
            out: list[tuple] = []
            for band, parts in (reversed(_BANDS) if reverse else _BANDS):
                if values is not None and ((band > values[0]) if reverse else (band < values[0])):
                    continue
                where = keyset.after(keys, values[1:], reverse) if values is not None and band == values[0] else None
                if where is None and not flt.overdue_only:   # the usual first page: a statement built before
                    query = _cached_band_query(actor, replace(flt, cursor=None), band, reverse, n - len(out))
                else:
                    query = _band_query(actor, flt, band, parts, where, reverse, n - len(out))
                out += [_row(r, n_keys) for r in db.session.execute(query, {_NOW.key: now})]
                if len(out) >= n:
                    break
            return out
        query = _flat_query(actor, flt, None, keys)
        if values is not None:
            query = query.where(keyset.after(keys, values, reverse))
        query = query.order_by(*keyset.order_by(keys, reverse)).limit(n)
        return [_row(r, n_keys) for r in db.session.execute(query)]

    page = keyset.fetch(read, lambda r: r[4:], size, cursor)
    if cursor is not None and not page.rows:      # the rows around the cursor are gone: start over
        return inbox(actor, replace(flt, cursor=None), limit)
    rows = _named([r[:4] for r in page.rows])
    access.log_listed(actor, (r[0].case_id for r in rows), "inbox")   # the inbox shows whose case it is
    return keyset.Page(rows, page.next, page.prev)


@lru_cache(maxsize=512)
def _cached_band_query(actor: Actor, flt: InboxFilter, band: int, reverse: bool, n: int) -> Any:
    """``_band_query`` without a cursor, built once per actor, filter and band with the clock as a
    parameter.  Building the nine-branch statement cost ≈ 5 ms of Python per page at 100k cases — as
    much as PostgreSQL's own work; the statement is immutable and holds no data, only the shape of
    who may act (an actor whose roles change is a different key)."""
    parts = dict(_BANDS)[band]
    return _band_query(actor, flt, band, parts, None, reverse, n)


def _band_query(actor: Actor, flt: InboxFilter, band: int, parts: list[Any], where: Any, reverse: bool, n: int) -> Any:
    """One urgency band of the default ordering (band, due, created, id) as one statement: for every
    part of the band (``_bands``) and every way the actor may act (``actionable_branches``), its
    first ``n`` rows from its own index range — then the ``n`` first of those.  An ``OR`` of the
    branches, ordered by a clock-dependent «overdue» expression, is a query no index answers; each
    piece here is one index range read."""
    keys = _BY_DUE
    pieces = []
    for branch in actionable_branches(actor):
        for part in parts:
            piece = _flat_query(actor, flt, sa.and_(branch, part), keys, sa.literal(band).label("band"))
            if where is not None:
                piece = piece.where(where)
            pieces.append(piece.order_by(*keyset.order_by(keys, reverse)).limit(n).subquery().select())
    if not pieces:
        return _flat_query(actor, flt, None, keys, sa.literal(band).label("band")).where(sa.false())
    if len(pieces) == 1:
        return pieces[0]
    outer = (keyset.Key(sa.literal_column("k0"), nullable=True), keyset.Key(sa.literal_column("k1")),
             keyset.Key(sa.literal_column("k2")))
    return sa.union_all(*pieces).order_by(*keyset.order_by(outer, reverse)).limit(n)


Summary = inbox_counters.Summary


def summary(actor: Actor) -> Summary:
    """Counts for the navigation and the filters, and the steps for the step filter — read from the
    counters kept by the database (``engine.cases.inbox_counters``), not counted per page.  The
    navigation, the count line and the step list of one page share it."""
    return inbox_counters.summary(actor)


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
    data = {"from_user_id": before, "to_user_id": target.id}
    unit_of_work.record_case_changes(case.id, [Change("task.assigned", actor=actor, element_id=element_id, task_id=tid,
                                                      data=data)])    # audit row + «gitt til deg» (#17), same commit
    db.session.commit()
    fresh = db.session.get(OpenTask, tid)
    if fresh is None:
        closed_task(actor, tid, "assign")
    return fresh, target
