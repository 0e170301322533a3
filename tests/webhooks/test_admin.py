"""Subscriptions and sources: administrators only, through the API and the CLI."""
from __future__ import annotations

import sqlalchemy as sa

from engine.extensions import db
from engine.store.webhooks import InboundSource, WebhookSubscription
from tests.webhooks.helpers import SECRET


def test_subscriptions_crud_for_administrators_only(api, wh, receiver):
    admin = api("admin")
    body = {"url": receiver.url, "event_types": ["case.opened", "task.created"], "description": "Fagsystem"}
    assert api("kari.gamleoslo").post("/api/v1/webhooks/subscriptions", json=body).status_code == 403
    assert api(None).get("/api/v1/webhooks/subscriptions").status_code == 401
    r = admin.post("/api/v1/webhooks/subscriptions", json=body)
    assert r.status_code == 201 and r.json["secret"].startswith("whsec_")
    sub_id = r.json["id"]
    listed = admin.get("/api/v1/webhooks/subscriptions").json
    assert [s["id"] for s in listed] == [sub_id] and "secret" not in listed[0]
    r = admin.patch(f"/api/v1/webhooks/subscriptions/{sub_id}", json={"active": False, "event_types": ["case.closed"]})
    assert r.status_code == 200 and r.json["active"] is False and r.json["event_types"] == ["case.closed"]
    r = admin.patch(f"/api/v1/webhooks/subscriptions/{sub_id}", json={"rotate_secret": True})
    assert r.json["secret"].startswith("whsec_") and r.json["secret"] != body.get("secret")
    assert admin.patch(f"/api/v1/webhooks/subscriptions/{sub_id}", json={"event_types": ["case.exploded"]}).status_code == 422
    assert admin.patch(f"/api/v1/webhooks/subscriptions/{sub_id}", json={"colour": "red"}).status_code == 422
    assert db.session.get(WebhookSubscription, sub_id).event_types == ["case.closed"]   # refused edits changed nothing
    assert admin.post("/api/v1/webhooks/subscriptions", json={**body, "secret": "kort"}).status_code == 422
    assert admin.post("/api/v1/webhooks/subscriptions", json={**body, "event_types": []}).status_code == 422
    assert admin.delete(f"/api/v1/webhooks/subscriptions/{sub_id}").status_code == 204
    assert admin.delete(f"/api/v1/webhooks/subscriptions/{sub_id}").status_code == 404
    assert admin.get("/api/v1/webhooks/deliveries?state=bogus").status_code == 400


def test_cli_adds_and_lists_subscriptions_and_sources(ctx, wh, receiver):
    runner = ctx.test_cli_runner()
    r = runner.invoke(args=["webhooks", "add", receiver.url, "--events", "case.opened,task.created",
                            "--secret", SECRET])
    assert r.exit_code == 0, r.output
    assert "Abonnement 1" in r.output and SECRET in r.output
    r = runner.invoke(args=["webhooks", "list"])
    assert receiver.url in r.output and "case.opened, task.created" in r.output
    r = runner.invoke(args=["webhooks", "add", "http://10.0.0.1/", "--events", "case.opened"])
    assert r.exit_code == 1 and "ikke tillatt" in r.output
    r = runner.invoke(args=["webhooks", "add-source", "boligkontoret"])
    assert r.exit_code == 0 and "/webhooks/inbound/boligkontoret" in r.output and "whsec_" in r.output
    assert db.session.scalar(sa.select(InboundSource.messages)) == ["bolig_tilbudt"]
    assert runner.invoke(args=["webhooks", "add-source", "boligkontoret"]).exit_code == 1
    r = runner.invoke(args=["outbox", "deliver", "--once"])
    assert r.exit_code == 0 and "levert 0" in r.output
    assert runner.invoke(args=["webhooks", "dead"]).exit_code == 0
    assert runner.invoke(args=["webhooks", "inbound"]).exit_code == 0
