"""Webhook subscriptions and inbound sources: who gets our events, and who may send us theirs.

Administrators only (the web and CLI layers check the role).  A secret is shown once, when it is
created or rotated, and never listed afterwards.
"""
from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from engine import clock
from engine.errors import BadRequest, Conflict, NotFound, Unprocessable
from engine.events.outbox import setting
from engine.extensions import db
from engine.store.webhooks import InboundSource, OutboxEvent, WebhookSubscription
from webhooks import outbound, signing
from webhooks.targets import UnsafeTarget, check_url

_SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def _secret(secret: str | None) -> str:
    if secret is None:
        return signing.generate_secret()
    try:
        return signing.check_secret(secret)
    except ValueError as exc:
        raise Unprocessable(str(exc), {"secret": [str(exc)]}) from exc


def _url(url: Any) -> str:
    try:
        return check_url(url, bool(setting("WEBHOOK_ALLOW_LOOPBACK"))).url
    except UnsafeTarget as exc:
        raise Unprocessable(str(exc), {"url": [str(exc)]}) from exc


def _event_types(types: Any) -> list[str]:
    if isinstance(types, str):
        types = [t.strip() for t in types.split(",") if t.strip()]
    if not isinstance(types, list) or not types or not all(isinstance(t, str) for t in types):
        raise Unprocessable("Velg minst én hendelsestype.", {"event_types": ["Må være en ikke-tom liste."]})
    unknown = sorted(set(types) - set(outbound.PUBLIC_TYPES))
    if unknown:
        raise Unprocessable(f"Ukjente hendelsestyper: {', '.join(unknown)}",
                            {"event_types": [f"Tillatt: {', '.join(outbound.PUBLIC_TYPES)}"]})
    return sorted(set(types))


def create_subscription(url: Any, event_types: Any, secret: str | None = None, description: str | None = None,
                        active: bool = True) -> tuple[WebhookSubscription, str]:
    """Register an endpoint; returns the row and its secret (generated if not given)."""
    row = WebhookSubscription(url=_url(url), event_types=_event_types(event_types), secret=_secret(secret),
                              description=(description or None), active=bool(active))
    db.session.add(row)
    db.session.commit()
    return row, row.secret


def update_subscription(sub_id: int, changes: dict[str, Any]) -> tuple[WebhookSubscription, str | None]:
    """Change url, event types, description, active, or rotate the secret; all or nothing."""
    row = get_subscription(sub_id)
    allowed = {"url", "event_types", "description", "active", "secret", "rotate_secret"}
    unknown = set(changes) - allowed
    if unknown:
        raise BadRequest(f"Ukjente felt: {', '.join(sorted(unknown))}")
    new_secret = None
    values: dict[str, Any] = {}
    if "url" in changes:
        values["url"] = _url(changes["url"])
    if "event_types" in changes:
        values["event_types"] = _event_types(changes["event_types"])
    if "description" in changes:
        values["description"] = changes["description"] or None
    if "active" in changes:
        if not isinstance(changes["active"], bool):
            raise BadRequest("«active» må være true eller false.")
        values["active"] = changes["active"]
    if changes.get("rotate_secret") or "secret" in changes:
        new_secret = values["secret"] = _secret(changes.get("secret"))
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = clock.now()
    db.session.commit()
    return row, new_secret


def delete_subscription(sub_id: int) -> None:
    """Remove an endpoint and its queued events (delivered history goes with it)."""
    row = get_subscription(sub_id)
    db.session.execute(sa.delete(OutboxEvent).where(OutboxEvent.subscription_id == row.id))
    db.session.delete(row)
    db.session.commit()


def get_subscription(sub_id: int) -> WebhookSubscription:
    row = db.session.get(WebhookSubscription, sub_id)
    if row is None:
        raise NotFound("Fant ikke abonnementet.")
    return row


def list_subscriptions() -> list[WebhookSubscription]:
    return list(db.session.scalars(sa.select(WebhookSubscription).order_by(WebhookSubscription.id)))


def subscription_json(row: WebhookSubscription, secret: str | None = None) -> dict[str, Any]:
    counts = dict(db.session.execute(sa.select(OutboxEvent.state, sa.func.count()).where(
        OutboxEvent.subscription_id == row.id).group_by(OutboxEvent.state)).all())
    body = {"id": row.id, "url": row.url, "event_types": row.event_types, "description": row.description,
            "active": row.active, "created_at": clock.as_utc(row.created_at).isoformat(),
            "events": {state: counts.get(state, 0) for state in ("pending", "delivered", "dead")}}
    if secret:
        body["secret"] = secret
    return body


def add_source(name: str, secret: str | None = None, messages: list[str] | None = None) -> tuple[InboundSource, str]:
    """Register a system that may POST events to ``/webhooks/inbound/<name>``."""
    if not isinstance(name, str) or not _SOURCE_NAME.match(name):
        raise Unprocessable("Ugyldig kildenavn (a–z, 0–9, - og _).", {"name": ["Ugyldig."]})
    if db.session.scalar(sa.select(InboundSource.id).where(InboundSource.name == name)):
        raise Conflict(f"Kilden «{name}» finnes allerede.")
    msgs = sorted(set(messages or ["bolig_tilbudt"]))
    row = InboundSource(name=name, secret=_secret(secret), messages=msgs, active=True)
    db.session.add(row)
    db.session.commit()
    return row, row.secret


def list_sources() -> list[InboundSource]:
    """Every system that may send us events (the console's webhooks page; secrets are never shown)."""
    return list(db.session.scalars(sa.select(InboundSource).order_by(InboundSource.name)))
