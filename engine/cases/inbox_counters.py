"""The inbox's numbers (all, overdue, mine, unassigned, per step) read from counters kept ahead.

Why: counted on demand they were one grouped aggregate per way a caseworker may act over the
organisation's every open task — ~45,000 at 100k cases, 46/60 ms p50/p95 on PostgreSQL, on every
inbox page.  ``inbox_counters`` (migration ``0015_inbox_counters``) holds them counted: database
triggers on ``open_tasks`` and ``cases`` add and subtract in the same transaction as every change,
whichever code made it, so they cannot drift from the rows they count.  A caseworker's numbers are
then one index range per branch of their organisation's counter rows (steps × due instants; undated
and flagged tasks × four stripes): «overdue» moves with the clock, so it is the sum of the rows due
before now — exact, and few rows, since deadlines pass at midnight in Oslo.  The resident's own
tasks are few and still counted directly.

``aggregate`` is the old count, kept as the oracle: ``verify`` compares the two, ``rebuild``
counts the counters afresh (after a bulk load, or if a trigger was ever missing).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from engine import clock
from engine.bpmn import lanes
from engine.bpmn.lanes import Actor
from engine.cases.queries import actionable_branches, actionable_tasks_query
from engine.extensions import db
from engine.store.models import Case, InboxCounter, OpenTask, UTCDateTime
from engine.store.status import ACTIVE

COUNT_NAMES = ("all", "overdue", "mine", "unassigned")
#: ``due_at`` of a task the deadline timer flagged overdue (before any instant) and of an undated one.
FLAGGED = datetime(1, 1, 1, tzinfo=UTC)
UNDATED = datetime(9999, 12, 31, tzinfo=UTC)
STRIPES = 4


@dataclass(frozen=True)
class Summary:
    """The inbox's numbers: ``counts`` (all, overdue, mine, unassigned) and ``steps`` (element id,
    name, open tasks), ``by_step`` the counts of each step."""

    counts: dict[str, int]
    steps: list[tuple[str, str, int]]
    by_step: dict[str, dict[str, int]]


def _overdue_clause(now: datetime) -> Any:
    return sa.or_(OpenTask.overdue_at.is_not(None), OpenTask.due_at < now)


class _Tally:
    """Adds up numbers per step from several reads; the first name seen for a step is its name."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.by_step: dict[str, dict[str, int]] = {}

    def add(self, element_id: str, name: str | None, numbers: dict[str, Any]) -> None:
        self.names.setdefault(element_id, name or element_id)
        seen = self.by_step.setdefault(element_id, dict.fromkeys(COUNT_NAMES, 0))
        for key, value in numbers.items():
            seen[key] += int(value or 0)

    def summary(self) -> Summary:
        by_step = {e: s for e, s in self.by_step.items() if s["all"]}
        counts = {key: sum(s[key] for s in by_step.values()) for key in COUNT_NAMES}
        steps = sorted(((e, self.names[e], s["all"]) for e, s in by_step.items()), key=lambda s: (s[1].lower(), s[0]))
        return Summary(counts, steps, by_step)


def _grouped(actor: Actor, branch: Any, now: datetime) -> Any:
    """The old count of one branch: one grouped aggregate over its open tasks."""
    total = lambda cond: sa.func.coalesce(sa.func.sum(sa.case((cond, 1), else_=0)), 0)  # noqa: E731
    return (actionable_tasks_query(actor, branch).with_only_columns(
        OpenTask.element_id, sa.func.min(OpenTask.name), sa.func.count(), total(_overdue_clause(now)),
        total(OpenTask.claimed_by_id == actor.user_id), total(OpenTask.claimed_by_id.is_(None)))
        .group_by(OpenTask.element_id))


def aggregate(actor: Actor) -> Summary:
    """The numbers counted from ``open_tasks`` itself, one grouped aggregate per way the actor may
    act — what the inbox did before the counters; the oracle of ``verify`` and the tests."""
    now = clock.now()
    tally = _Tally()
    for branch in actionable_branches(actor):
        for element_id, name, *numbers in db.session.execute(_grouped(actor, branch, now)):
            tally.add(element_id, name, dict(zip(COUNT_NAMES, numbers, strict=True)))
    return tally.summary()


def _org_branches(actor: Actor) -> tuple[list[Any], list[Any]]:
    """(the caseworker's branches — counted ahead —, the resident's own branch — counted here).

    ``actionable_branches`` lists the organisation's branches first and the resident's last."""
    branches = actionable_branches(actor)
    if actor.has(lanes.RESIDENT):
        return branches[:-1], branches[-1:]
    return branches, []


def _counter_branches(actor: Actor) -> list[Any]:
    """The actor's organisation branches (``actionable_branches``) as the same conditions on the
    counter's key, in the same order — each one range of the primary key."""
    c, org = InboxCounter, actor.organisation_id
    roles = sorted({r.lower() for r in actor.roles} - set(lanes.LANES))
    leader = actor.has(lanes.LEDER)
    own: Any = c.task_org_id == org
    if not leader:
        own = sa.and_(c.lane.in_([lanes.BYDEL, lanes.INSTITUSJON, *roles]), own, c.role == "")
    branches = [own, c.lane == lanes.BEBOER]
    if roles:   # ``task_org_id != org`` of a NULL organisation is not true there: 0 here is excluded too
        other = sa.and_(c.lane.in_(roles), c.task_org_id != org, c.task_org_id != 0)
        branches.append(other if leader else sa.and_(other, c.role == ""))
    return branches


def _counted(actor: Actor, now: datetime) -> Any:
    """Per branch and step: name, all, overdue (flagged, or due before now), mine, unassigned —
    one ``UNION ALL`` of one grouped range read per branch (a row in two branches counts twice, as
    a task in two branches did in the aggregate)."""
    c = InboxCounter
    total = lambda cond: sa.func.coalesce(sa.func.sum(sa.case((cond, c.n), else_=0)), 0)  # noqa: E731
    pieces = [sa.select(c.element_id, sa.func.min(sa.func.nullif(c.name, "")), sa.func.sum(c.n), total(c.due_at < now),
                        total(c.claimed_by_id == actor.user_id), total(c.claimed_by_id == 0))
              .where(c.org_id == actor.organisation_id, branch).group_by(c.element_id)
              for branch in _counter_branches(actor)]
    return sa.union_all(*pieces)


def summary(actor: Actor) -> Summary:
    """The inbox's numbers from the counters (the organisation's branches: one index range) and
    the resident's own tasks (a few, counted) — equal to ``aggregate``."""
    now = clock.now()
    tally = _Tally()
    org_branches, own = _org_branches(actor)
    if org_branches:
        for element_id, name, *numbers in db.session.execute(_counted(actor, now)):
            tally.add(element_id, name, dict(zip(COUNT_NAMES, numbers, strict=True)))
    for branch in own:
        for element_id, name, *numbers in db.session.execute(_grouped(actor, branch, now)):
            tally.add(element_id, name, dict(zip(COUNT_NAMES, numbers, strict=True)))
    return tally.summary()


def verify(actor: Actor) -> tuple[Summary, Summary]:
    """(from the counters, counted afresh) for ``actor``: equal unless a write escaped the triggers."""
    return summary(actor), aggregate(actor)


def _key_select() -> Any:
    """Every active case's open tasks counted per counter key — what the triggers maintain."""
    t = OpenTask
    orgs = sa.union(sa.select(Case.id.label("case_id"), Case.bydel_id.label("org")).where(Case.status.in_(ACTIVE)),
                    sa.select(Case.id, Case.institution_id).where(Case.status.in_(ACTIVE))).subquery()
    key: list[Any] = [sa.func.coalesce(t.lane, ""), sa.func.coalesce(t.organisation_id, 0), sa.func.coalesce(t.role, ""),
           t.element_id, sa.func.coalesce(t.name, ""), sa.func.coalesce(t.claimed_by_id, 0),
           sa.case((t.overdue_at.is_not(None), sa.literal(FLAGGED, UTCDateTime)),
                   (t.due_at.is_(None), sa.literal(UNDATED, UTCDateTime)), else_=t.due_at),
           sa.case((sa.or_(t.due_at.is_(None), t.overdue_at.is_not(None)), t.case_id % STRIPES), else_=0)]
    return (sa.select(orgs.c.org, *key, sa.func.count()).select_from(t).join(orgs, orgs.c.case_id == t.case_id)
            .group_by(orgs.c.org, *key))


_KEY = ("org_id", "lane", "task_org_id", "role", "element_id", "name", "claimed_by_id", "due_at", "stripe")


def rebuild() -> int:
    """Count the counters afresh from ``open_tasks`` (in the caller's transaction); the rows written.

    On PostgreSQL the open tasks are locked against writes meanwhile (``SHARE``), so no step's
    trigger adds to a row the rebuild is about to replace."""
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("LOCK TABLE open_tasks, cases IN SHARE MODE"))
    conn.execute(sa.delete(InboxCounter))
    conn.execute(sa.insert(InboxCounter).from_select([*_KEY, "n"], _key_select()))
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(InboxCounter)) or 0)


def stored_rows() -> list[tuple]:
    """The counter rows, sorted (for comparing maintained with rebuilt)."""
    return sorted(tuple(r) for r in db.session.execute(sa.select(*[getattr(InboxCounter, k) for k in _KEY],
                                                                 InboxCounter.n).where(InboxCounter.n != 0)))


def expected_rows() -> list[tuple]:
    """The counter rows as ``rebuild`` would write them, sorted (without writing)."""
    return sorted(tuple(r) for r in db.session.execute(_key_select()))
