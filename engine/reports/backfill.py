"""Fact rows for cases that ran before the fact tables existed (``flask reports backfill``, issue 16).

Kept apart from the change hook in ``facts`` because it reads the other way round: the hook sees
one step's changes as they commit, the backfill replays a whole audit trail afterwards, commit by
commit, through the same projections — and must say plainly what a trail cannot tell it.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from engine import clock
from engine.cases.changes import Change
from engine.extensions import db
from engine.reports import facts, readmission
from engine.reports.facts import LinkFn
from engine.store.models import AuditEvent, Case
from engine.store.report_facts import MISSED, CaseFact, DeadlineRecord


def backfill(link: LinkFn) -> dict[str, int]:
    """Facts for cases that ran before the hook existed (``flask reports backfill``); idempotent.

    From each case's audit trail, replayed commit by commit (a commit's events share one instant):
    the milestones (T0, offer, T1, ending, the institution's part, the bydel's follow-up), the
    meetings and the resident link are exact.  Deadlines: the ones waiting now are recorded as
    open, the ones the trail shows passing (``deadline.overdue``) as missed and — if their step was
    done later — late.  A deadline kept *in time* before the upgrade left no due date in the trail
    (its timer row was deleted), so it is not reconstructed: the on-time share of the time before
    the upgrade is not reported, and the README says so.
    """
    db_conn = facts.connection()
    done = set(db_conn.execute(sa.select(CaseFact.case_id)).scalars())
    counts = {"cases": 0, "skipped": 0}
    for case_id in list(db_conn.execute(sa.select(Case.id).order_by(Case.id)).scalars()):
        if case_id in done:
            counts["skipped"] += 1
            continue
        events = list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.case_id == case_id)
                                         .order_by(AuditEvent.id)))
        groups: dict[Any, list[Change]] = {}
        for e in events:
            groups.setdefault(e.at, []).append(Change(e.type, None, element_id=e.element_id, task_id=e.task_id,
                                                      data=e.data))
        case = db_conn.execute(sa.select(Case.bydel_id, Case.institution_id, Case.anchors, Case.status)
                            .where(Case.id == case_id)).first()
        for i, (at, changes) in enumerate(groups.items()):
            last = i == len(groups) - 1
            facts.project_case(case_id, case, changes, link, clock.as_utc(at))
            facts.project_meetings(case_id, case, changes)
            _replay_deadlines(case_id, case, changes, clock.as_utc(at), current=last)
        counts["cases"] += 1
    facts.rebuild_rollup()
    readmission.recompute_all()
    db.session.commit()
    return counts


def _replay_deadlines(case_id: int, case: Any, changes: list[Change], at: datetime, *, current: bool) -> None:
    """The deadline part of a replayed commit: misses and late completions; waiting timers at the end."""
    if current:
        facts.project_deadlines(case_id, case, changes, at)
        return
    missed = [ch for ch in changes if ch.type == "deadline.overdue" and (ch.data or {}).get("due_at")]
    if missed:
        seqs = {r[0]: r[1] for r in facts.connection().execute(
            sa.select(DeadlineRecord.deadline_key, sa.func.max(DeadlineRecord.seq))
            .where(DeadlineRecord.case_id == case_id).group_by(DeadlineRecord.deadline_key))}
        rows = []
        for ch in missed:
            data = ch.data or {}
            key = data.get("deadline") or data.get("timer")
            if key:
                rows.append(facts.new_row(case_id, case, key, ch.element_id,
                                     clock.as_utc(datetime.fromisoformat(data["due_at"])), seqs, MISSED))
        if rows:
            facts.insert_records(rows)
    for ch in changes:
        if ch.type != "task.completed":
            continue
        row = facts.connection().execute(sa.select(DeadlineRecord.id, DeadlineRecord.due_at).where(
            DeadlineRecord.case_id == case_id, DeadlineRecord.step == ch.element_id,
            DeadlineRecord.state == MISSED).order_by(DeadlineRecord.seq)).first()
        if row is not None:
            state, late = facts.kept(row.due_at, at)
            facts.update_record(row.id, kept_at=at, state=state, days_late=late)
