"""Users and organisations as the rest of the service looks them up (the only SQL on them outside the store)."""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from engine.bpmn import lanes
from engine.extensions import db
from engine.store.models import Organisation, User


def get(user_id: int | None) -> User | None:
    return db.session.get(User, user_id) if user_id is not None else None


def by_username(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == username)) if username else None


def display_names(ids: Iterable[int | None]) -> dict[int, str]:
    """User id → display name for the given ids (one query; unknown ids are left out)."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {u.id: u.display_name for u in db.session.scalars(sa.select(User).where(User.id.in_(wanted)))}


def active_residents() -> list[User]:
    """Resident accounts a case can be bound to (the «Ny sak» form offers them)."""
    return list(db.session.scalars(sa.select(User).where(User.roles.contains(lanes.RESIDENT), User.active)
                                   .order_by(User.display_name)))


def organisation(organisation_id: int | None) -> Organisation | None:
    return db.session.get(Organisation, organisation_id) if organisation_id is not None else None


def organisations(kind: str) -> list[Organisation]:
    """Every bydel or every institusjon, by name."""
    return list(db.session.scalars(sa.select(Organisation).where(Organisation.kind == kind)
                                   .order_by(Organisation.name)))


def organisation_by_slug(slug: str) -> Organisation | None:
    return db.session.scalar(sa.select(Organisation).where(Organisation.slug == slug))
