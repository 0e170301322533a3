"""Whose figures and which rows: the compliance report's scope and filters (issue 16).

Kept apart from the figures (``compliance``) and the case lists behind them (``drilldown``) because
both build their SQL from the same two decisions — which organisations the viewer may see (a leader:
the own, with drill-down; a process owner, an administrator or Velferdsetaten: all, suppressed) and
which deadline or case facts the filters select — and must never disagree about them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from engine.bpmn import lanes
from engine.bpmn.lanes import Actor
from engine.errors import Forbidden
from engine.store.report_facts import LATE, MISSED, ON_TIME, OPEN, VOID, CaseFact, DeadlineRecord

ROLES = (lanes.LEDER, lanes.PROSESSEIER, lanes.ADMINISTRATOR, lanes.VELFERDSETATEN)
CITY_ROLES = (lanes.PROSESSEIER, lanes.ADMINISTRATOR, lanes.VELFERDSETATEN)
STATES = (ON_TIME, LATE, MISSED, OPEN)


# -- who sees what --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What one viewer's report covers: one organisation (with drill-down) or all, suppressed."""

    organisation_id: int | None     # None: every organisation
    suppress: bool
    drilldown: bool


def may_view(actor: Actor) -> bool:
    return any(actor.has(r) for r in ROLES) and (not actor.has(lanes.LEDER) or actor.organisation_id is not None
                                                 or any(actor.has(r) for r in CITY_ROLES))


def scope_for(actor: Actor, city: bool = False) -> Scope:
    """The viewer's scope; ``city`` asks for the cross-organisation view when the viewer has both."""
    is_leader = actor.has(lanes.LEDER) and actor.organisation_id is not None
    is_city = any(actor.has(r) for r in CITY_ROLES)
    if is_leader and not (city and is_city):
        return Scope(actor.organisation_id, suppress=False, drilldown=True)
    if is_city:
        return Scope(None, suppress=True, drilldown=False)
    raise Forbidden("Du har ikke tilgang til rapporten.")


# -- filters --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """Period (inclusive Oslo dates), one bydel, one institution, one deadline."""

    start: date | None = None
    end: date | None = None
    bydel_id: int | None = None
    institution_id: int | None = None
    deadline: str | None = None


def org_clause(cols: Any, scope: Scope, f: Filters) -> list[Any]:
    out = []
    if scope.organisation_id is not None:
        out.append(sa.or_(cols.bydel_id == scope.organisation_id, cols.institution_id == scope.organisation_id))
    if f.bydel_id is not None:
        out.append(cols.bydel_id == f.bydel_id)
    if f.institution_id is not None:
        out.append(cols.institution_id == f.institution_id)
    return out


def between(col: Any, f: Filters) -> list[Any]:
    return ([col >= f.start] if f.start else []) + ([col <= f.end] if f.end else [])


def state_expr(now: datetime) -> Any:
    d = DeadlineRecord
    return sa.case((d.state.in_((ON_TIME, LATE)), d.state), (d.due_at <= now, sa.literal(MISSED)),
                   else_=sa.literal(OPEN))


def deadline_where(scope: Scope, f: Filters) -> list[Any]:
    d = DeadlineRecord
    where = [d.state != VOID, *org_clause(d, scope, f), *between(d.due_date, f)]
    if f.deadline:
        where.append(d.deadline_key == f.deadline)
    return where



def case_where(scope: Scope, f: Filters) -> list[Any]:
    c = CaseFact
    return [c.t1.is_not(None), *org_clause(c, scope, f), *between(c.t1, f)]
