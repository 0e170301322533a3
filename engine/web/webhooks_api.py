"""Administrators' webhook API under ``/api/v1/webhooks``: subscriptions, dead letters, inbound events."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from engine.access.rules import require_role
from engine.bpmn.lanes import ADMINISTRATOR
from engine.errors import BadRequest
from engine.events import inbox, outbox, subscriptions
from engine.web.auth import require_actor

bp = Blueprint("webhooks_admin", __name__, url_prefix="/api/v1/webhooks")

_OUT_STATES = ("pending", "delivered", "dead")
_IN_STATES = ("held", "delivered", "unmatched", "failed")


@bp.before_request
def _administrators_only() -> None:
    require_role(require_actor(), ADMINISTRATOR)


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("Forventet et JSON-objekt i forespørselen.")
    return body


def _state(allowed: tuple[str, ...], default: str | None) -> str | None:
    state = request.args.get("state", default)
    if state in ("", "all"):
        return None
    if state is not None and state not in allowed:
        raise BadRequest(f"Ukjent tilstand «{state}». Tillatt: {', '.join(allowed)}, all.")
    return state


def _limit() -> int:
    try:
        return max(1, min(int(request.args.get("limit", 100)), 500))
    except ValueError as exc:
        raise BadRequest("«limit» må være et heltall.") from exc


@bp.post("/subscriptions")
def create_subscription():
    body = _body()
    secret = body.get("secret")
    if secret is not None and not isinstance(secret, str):
        raise BadRequest("«secret» må være en tekst.")
    row, secret = subscriptions.create_subscription(body.get("url"), body.get("event_types"), secret,
                                                    body.get("description"), body.get("active", True) is not False)
    return jsonify(subscriptions.subscription_json(row, secret)), 201


@bp.get("/subscriptions")
def list_subscriptions():
    return jsonify([subscriptions.subscription_json(r) for r in subscriptions.list_subscriptions()])


@bp.patch("/subscriptions/<int:sub_id>")
def update_subscription(sub_id: int):
    row, secret = subscriptions.update_subscription(sub_id, _body())
    return jsonify(subscriptions.subscription_json(row, secret))


@bp.delete("/subscriptions/<int:sub_id>")
def delete_subscription(sub_id: int):
    subscriptions.delete_subscription(sub_id)
    return "", 204


@bp.get("/deliveries")
def list_deliveries():
    rows = outbox.list_events(_state(_OUT_STATES, "dead"), request.args.get("subscription_id", type=int),
                              request.args.get("case_id", type=int), _limit())
    return jsonify([outbox.event_json(r) for r in rows])


@bp.post("/deliveries/<int:event_id>/redeliver")
def redeliver(event_id: int):
    return jsonify(outbox.event_json(outbox.redeliver(event_id)))


@bp.get("/inbound")
def list_inbound():
    return jsonify([inbox.event_json(e) for e in inbox.list_events(_state(_IN_STATES, "unmatched"), _limit())])


@bp.post("/inbound/<int:event_id>/assign")
def assign_inbound(event_id: int):
    return jsonify(inbox.event_json(inbox.assign(event_id, _body().get("case_id"))))
