"""``POST /webhooks/inbound/<source>``: verify, store, answer 202; then try to deliver to the case.

Also wires the webhook edge into the app (``init_app``): settings, this blueprint (exempt from
CSRF — it is authenticated by its signature, not a browser session), the administrators' API
under ``/api/v1/webhooks`` and the ``flask webhooks`` / ``flask outbox`` commands.
"""
from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request

from engine.events import inbox
from engine.store.webhooks import HELD

bp = Blueprint("inbound", __name__, url_prefix="/webhooks/inbound")


@bp.post("/<source>")
def receive(source: str):
    if request.content_length is not None and request.content_length > 64 * 1024:
        from engine.errors import PayloadTooLarge
        raise PayloadTooLarge("Hendelsen er for stor (maks 64 KiB).")
    body = request.get_data(cache=False)
    event, created = inbox.receive(source, dict(request.headers), body)
    event_id, case_id, state = event.id, event.case_id, event.state
    if created and state == HELD and case_id:
        # After the commit that stored it: a failure here leaves it held for the worker.
        inbox.deliver_held(case_id)
        state = inbox.list_state(event_id)
    return jsonify({"id": event_id, "status": "accepted" if created else "duplicate", "state": state}), 202


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    csrf = app.extensions.get("csrf")
    if csrf is not None and hasattr(csrf, "exempt"):
        csrf.exempt(bp)
