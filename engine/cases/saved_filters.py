"""A user's saved filters of the inbox and the case list: save the current filter under a name, list
them as links, delete one (#14 «find work»).

Only the filter's own parameters are kept (never a page cursor: a saved filter opens on its first
page), so a saved filter cannot carry anything the list page would not accept from a link anyway.
A filter belongs to one user; another user's id is «not found», never someone else's filter.
"""
from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa

from engine.bpmn.lanes import Actor
from engine.errors import BadRequest, NotFound
from engine.extensions import db
from engine.store.saved_filters import SavedFilter

INBOX, CASES = "innboks", "saker"
#: The query parameters a saved filter of each list keeps (what its filter form sends).
PARAMETERS = {INBOX: ("q", "steg", "vis", "sorter", "forfalt"), CASES: ("q", "sorter", "status")}
MAX_PER_LIST = 30
NAME_LENGTH = 80


def query_of(list_name: str, args: Iterable[tuple[str, str]]) -> str:
    """The part of a query string a saved filter keeps (known parameters, non-empty, in order)."""
    keep = PARAMETERS[list_name]
    return urlencode([(k, v[:200]) for k, v in args if k in keep and v])


def mine(actor: Actor, list_name: str) -> list[SavedFilter]:
    """The actor's saved filters of one list, by name."""
    if actor.user_id is None:
        return []
    return list(db.session.scalars(sa.select(SavedFilter).where(SavedFilter.user_id == actor.user_id,
                                                                SavedFilter.list == list_name)
                                   .order_by(SavedFilter.name, SavedFilter.id)))


def save(actor: Actor, list_name: str, name: str, query: str) -> SavedFilter:
    """Save ``query`` (see :func:`query_of`) under ``name``; the same name again replaces it."""
    name = " ".join((name or "").split())
    if list_name not in PARAMETERS or actor.user_id is None:
        raise NotFound("Fant ikke listen.")
    if not name:
        raise BadRequest("Gi filteret et navn.", {"field": "navn"})
    if len(name) > NAME_LENGTH:
        raise BadRequest("Navnet kan være høyst 80 tegn.", {"field": "navn"})
    query = query_of(list_name, parse_qsl(query or ""))
    existing = db.session.scalar(sa.select(SavedFilter).where(SavedFilter.user_id == actor.user_id,
                                                              SavedFilter.list == list_name, SavedFilter.name == name))
    if existing is not None:
        existing.query = query
        db.session.commit()
        return existing
    if len(mine(actor, list_name)) >= MAX_PER_LIST:
        raise BadRequest("Du kan ha høyst 30 lagrede filtre. Slett et du ikke bruker.")
    row = SavedFilter(user_id=actor.user_id, list=list_name, name=name, query=query)
    db.session.add(row)
    db.session.commit()
    return row


def delete(actor: Actor, filter_id: int) -> SavedFilter:
    """Delete one of the actor's saved filters (another user's: 404)."""
    row = db.session.get(SavedFilter, filter_id)
    if row is None or row.user_id != actor.user_id:
        raise NotFound("Fant ikke filteret.")
    db.session.delete(row)
    db.session.commit()
    return row
