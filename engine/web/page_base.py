"""The caseworker pages' blueprint and who is asking — shared by ``pages``, ``pages_case`` and ``pages_task``.

Kept apart from ``pages`` so that the page modules import this one and nothing imports back.
"""
from __future__ import annotations

from flask import Blueprint

from engine.access import rules as access
from engine.bpmn.lanes import Actor
from engine.errors import Unauthenticated
from engine.web.auth import current_user
from engine.web.i18n import _

bp = Blueprint("pages", __name__, template_folder="templates")


def require_actor() -> Actor:
    """The logged-in user as an actor; otherwise the error handler sends them to the login page."""
    user = current_user()
    if user is None:
        raise Unauthenticated(_("Du må logge inn."))
    return access.actor_for(user)
