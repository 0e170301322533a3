"""Administrators end other people's access over the API: ``POST /api/v1/admin/users/<id>/revoke``
ends every session of the user now (and with ``deactivate`` locks the account and its API tokens).
Thin: the work and the audit event are in ``engine.access.sessions.revoke``; ``flask users revoke``
is the same from the terminal."""
from __future__ import annotations

from flask import Blueprint, Flask, jsonify

from engine.access import sessions
from engine.access import users as user_lookup
from engine.access.rules import require_role
from engine.bpmn import lanes
from engine.errors import NotFound
from engine.web import inputs
from engine.web.auth import require_actor

bp = Blueprint("users_api", __name__, url_prefix="/api/v1/admin/users")


@bp.post("/<int:user_id>/revoke")
def revoke_endpoint(user_id: int):
    actor = require_actor()
    require_role(actor, lanes.ADMINISTRATOR)
    body = inputs.body("Revoke")        # reason: 1–500 characters, deactivate: boolean (422 otherwise)
    reason, deactivate = body["reason"], body.get("deactivate", False)
    target = user_lookup.get(user_id)
    if target is None:
        raise NotFound("Fant ikke brukeren.")
    return jsonify(sessions.revoke(target, actor.user_id, reason.strip(), deactivate))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
