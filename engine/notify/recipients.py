"""Who is told: the users who may act on a task, or who may read a case — asked of ``engine.bpmn.lanes``.

Never a rule of its own: a lane's users are the active users for whom ``lanes.capacity`` says they
act on the task themselves (the lane organisation's caseworkers, a leader where the step needs one,
the resident in the resident's lane), and a case's readers are those ``lanes.may_read`` lets in.
Caseworkers who could act *on the resident's behalf* are not told of every resident task: the
resident's lane would otherwise ring every caseworker of both organisations.
"""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from engine.access import rules as access
from engine.bpmn import lanes
from engine.bpmn.lanes import Capacity, Parties
from engine.extensions import db
from engine.store.models import Case, User


def parties_of(case_id: int) -> Parties | None:
    row = db.session.execute(sa.select(Case.bydel_id, Case.institution_id, Case.resident_user_id)
                             .where(Case.id == case_id)).first()
    return Parties(*row) if row is not None else None


def lane_users(parties: Parties, lane: str | None, role: str | None) -> list[User]:
    """Active users who may act on a task in ``lane`` (needing ``role``) themselves."""
    org = lanes.lane_organisation(lane, parties)
    if org is not None:
        where = User.organisation_id == org
    elif lane == lanes.BEBOER and parties.resident_user_id is not None:
        where = User.id == parties.resident_user_id
    else:
        return []
    found = db.session.scalars(sa.select(User).where(where, User.active.is_(True)).order_by(User.id))
    return [u for u in found if lanes.capacity(access.actor_for(u), parties, lane, role) == Capacity.SELF]


def readers(parties: Parties, user_ids: Iterable[int]) -> list[User]:
    """The active users among ``user_ids`` who may read the case."""
    ids = {int(u) for u in user_ids}
    if not ids:
        return []
    found = db.session.scalars(sa.select(User).where(User.id.in_(ids), User.active.is_(True)).order_by(User.id))
    return [u for u in found if lanes.may_read(access.actor_for(u), parties)]


def link_for(user: User, case_id: int, staff_link: str) -> str:
    """A resident has no case page of their own but «Min side»; everyone else gets ``staff_link``."""
    if lanes.RESIDENT in user.role_set and not (user.role_set & {lanes.SAKSBEHANDLER, lanes.LEDER}):
        return "/min-side"
    return staff_link
