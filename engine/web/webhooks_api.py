"""Administrators' webhook API under ``/api/v1/webhooks``: subscriptions, dead letters, inbound events."""
from __future__ import annotations

from flask import Blueprint, jsonify

from engine.access.rules import require_role
from engine.bpmn.lanes import ADMINISTRATOR
from engine.events import inbox, outbox, subscriptions
from engine.web import inputs
from engine.web.auth import require_actor

bp = Blueprint("webhooks_admin", __name__, url_prefix="/api/v1/webhooks")

@bp.before_request
def _administrators_only() -> None:
    require_role(require_actor(), ADMINISTRATOR)


def _state(key: str) -> str | None:
    """``?state=`` strictly as the schema allows; ``all`` means no filter."""
    state = inputs.query(key)
    return None if state == "all" else state


@bp.post("/subscriptions")
def create_subscription():
    body = inputs.body("NewSubscription")
    secret = body.get("secret")
    row, secret = subscriptions.create_subscription(body.get("url"), body.get("event_types"), secret,
                                                    body.get("description"), body.get("active", True) is not False)
    return jsonify(subscriptions.subscription_json(row, secret)), 201


@bp.get("/subscriptions")
def list_subscriptions():
    return jsonify([subscriptions.subscription_json(r) for r in subscriptions.list_subscriptions()])


@bp.patch("/subscriptions/<int:sub_id>")
def update_subscription(sub_id: int):
    row, secret = subscriptions.update_subscription(sub_id, inputs.body("SubscriptionChange"))
    return jsonify(subscriptions.subscription_json(row, secret))


@bp.delete("/subscriptions/<int:sub_id>")
def delete_subscription(sub_id: int):
    subscriptions.delete_subscription(sub_id)
    return "", 204


@bp.get("/deliveries")
def list_deliveries():
    rows = outbox.list_events(_state("outbox_state"), inputs.query("subscription_id"), inputs.query("case_id"),
                              inputs.query("limit"))
    return jsonify([outbox.event_json(r) for r in rows])


@bp.post("/deliveries/<int:event_id>/redeliver")
def redeliver(event_id: int):
    return jsonify(outbox.event_json(outbox.redeliver(event_id, require_actor().user_id)))


@bp.get("/inbound")
def list_inbound():
    return jsonify([inbox.event_json(e) for e in inbox.list_events(_state("inbound_state"), inputs.query("limit"))])


@bp.post("/inbound/<int:event_id>/assign")
def assign_inbound(event_id: int):
    return jsonify(inbox.event_json(inbox.assign(event_id, inputs.body("AssignInbound")["case_id"])))
