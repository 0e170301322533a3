"""The cases behind one cell of the compliance report — for a leader, only their own cases (issue 16).

A list of cases is a read of each of them, so unlike the aggregated figures it is access-logged
(``report_cases``) and offered only to a viewer whose scope has drill-down.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from engine import clock
from engine.access import rules as access
from engine.bpmn.lanes import Actor
from engine.errors import Forbidden
from engine.extensions import db
from engine.reports.report_filters import STATES, Filters, deadline_where, scope_for, state_expr
from engine.store.models import Case
from engine.store.report_facts import DeadlineRecord


@dataclass
class CaseLine:
    case_id: int
    resident_name: str
    bydel_id: int
    institution_id: int
    deadline: str
    due_date: date
    kept_at: datetime | None
    days_late: int | None
    state: str


def drilldown(actor: Actor, f: Filters, *, state: str | None = None, month: str | None = None,
              now: datetime | None = None, limit: int = 500) -> list[CaseLine]:
    """The deadline instances behind one cell — only for a viewer with drill-down, only cases they are party to.

    Every case listed is a read of it and is written to the access log (``report_cases``).
    """
    scope = scope_for(actor)
    if not scope.drilldown:
        access.log(actor, None, "report_cases", granted=False)
        db.session.commit()
        raise Forbidden("Oversikten over saker bak tallene er bare for ledere i organisasjonen som har sakene.")
    now = now or clock.now()
    d = DeadlineRecord
    st = state_expr(now)
    where = [*deadline_where(scope, f), Case.id == d.case_id,
             sa.or_(Case.bydel_id == actor.organisation_id, Case.institution_id == actor.organisation_id)]
    if state in STATES:
        where.append(st == state)
    if month:
        where.append(d.due_month == month)
    rows = db.session.connection().execute(
        sa.select(d.case_id, Case.resident_name, d.bydel_id, d.institution_id, d.deadline_key, d.due_date, d.kept_at,
                  d.days_late, st).where(*where).order_by(d.due_date, d.case_id, d.deadline_key).limit(limit)).all()
    lines = [CaseLine(r[0], r[1], r[2], r[3], r[4], r[5], clock.as_utc(r[6]) if r[6] else None, r[7], r[8])
             for r in rows]
    access.log_listed(actor, [ln.case_id for ln in lines], "report_cases")
    return lines
