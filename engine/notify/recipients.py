"""Who is told: the users who may act on a task, or who may read a case — asked of ``engine.bpmn.lanes``.

Never a rule of its own: a lane's users are the active users for whom ``lanes.capacity`` says they
act on the task themselves (the lane organisation's caseworkers, a leader where the step needs one,
the resident in the resident's lane), and a case's readers are those ``lanes.may_read`` lets in.
Caseworkers who could act *on the resident's behalf* are not told of every resident task: the
resident's lane would otherwise ring every caseworker of both organisations.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from engine.bpmn import lanes
from engine.bpmn.lanes import Actor, Capacity, Parties
from engine.cases import step_context
from engine.extensions import db
from engine.store.models import Case, User
from engine.store.notify import NotifyPreference

_COLUMNS = (User.id, User.username, User.organisation_id, User.roles, NotifyPreference.mail)


@dataclass(frozen=True)
class Person:
    """A user as the rules see them (read with one Core query: this runs inside every step that opens a task)."""

    id: int
    username: str
    organisation_id: int | None
    roles: frozenset[str]
    #: their e-mail choice, read with them (``None``: never chosen — the configured default applies)
    mail: str | None = None

    @property
    def actor(self) -> Actor:
        return Actor(user_id=self.id, username=self.username, organisation_id=self.organisation_id, roles=self.roles)


def _select(where: Any) -> Any:
    return (sa.select(*_COLUMNS).outerjoin(NotifyPreference, NotifyPreference.user_id == User.id)
            .where(where, User.active.is_(True)).order_by(User.id))


# Built once (this runs inside every step that opens a task; building a SELECT costs more than running it).
_BY_ORG = _select(User.organisation_id == sa.bindparam("org"))
_BY_ORGS = _select(User.organisation_id.in_(sa.bindparam("orgs", expanding=True)))
_BY_IDS = _select(User.id.in_(sa.bindparam("ids", expanding=True)))


def _people(stmt: Any, params: dict[str, Any]) -> list[Person]:
    rows = db.session.connection().execute(stmt, params)
    return [Person(r.id, r.username, r.organisation_id, frozenset(x for x in (r.roles or "").split(",") if x), r.mail)
            for r in rows]


def parties_of(case_id: int) -> Parties | None:
    """The case's parties: from the running step (no statement), else read from its row."""
    ctx = step_context.current(case_id)
    if ctx is not None:
        return Parties(ctx.bydel_id, ctx.institution_id, ctx.resident_user_id)
    row = db.session.connection().execute(sa.select(Case.bydel_id, Case.institution_id, Case.resident_user_id)
                                          .where(Case.id == case_id)).first()
    return Parties(*row) if row is not None else None


def lane_users(parties: Parties, lane: str | None, role: str | None) -> list[Person]:
    """Active users who may act on a task in ``lane`` (needing ``role``) themselves."""
    org = lanes.lane_organisation(lane, parties)
    if lane not in (*lanes.LANES, None):      # a party the process declares (#18): role holders of both
        people = _people(_BY_ORGS, {"orgs": [parties.bydel_id, parties.institution_id]})
    elif org is not None:
        people = _people(_BY_ORG, {"org": org})
    elif lane == lanes.BEBOER and parties.resident_user_id is not None:
        people = _people(_BY_IDS, {"ids": [parties.resident_user_id]})
    else:
        return []
    return [p for p in people if lanes.capacity(p.actor, parties, lane, role) == Capacity.SELF]


def readers(parties: Parties, user_ids: Iterable[int]) -> list[Person]:
    """The active users among ``user_ids`` who may read the case."""
    ids = {int(u) for u in user_ids}
    if not ids:
        return []
    return [p for p in _people(_BY_IDS, {"ids": sorted(ids)}) if lanes.may_read(p.actor, parties)]


def link_for(person: Person, case_id: int, staff_link: str) -> str:
    """A resident has no case page of their own but «Min side»; everyone else gets ``staff_link``."""
    if lanes.RESIDENT in person.roles and not (person.roles & {lanes.SAKSBEHANDLER, lanes.LEDER}):
        return "/min-side"
    return staff_link
