"""Fixtures for the webhook edge: loopback allowed, a receiver thread, the waiting fixture process."""
from __future__ import annotations

import pytest

from tests.webhooks.helpers import SECRET, Receiver, deploy_fixture


@pytest.fixture()
def wh(ctx):
    """Webhook settings for tests: loopback targets allowed, fast but real backoff numbers."""
    saved = {k: ctx.config.get(k) for k in ("WEBHOOK_ALLOW_LOOPBACK", "WEBHOOK_MAX_ATTEMPTS", "WEBHOOK_BACKOFF_BASE")}
    ctx.config.update(WEBHOOK_ALLOW_LOOPBACK=True, WEBHOOK_MAX_ATTEMPTS=8, WEBHOOK_BACKOFF_BASE=10.0)
    yield ctx
    ctx.config.update(saved)


@pytest.fixture()
def receiver():
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture()
def venter(ctx, users):
    """The fixture process: a task, then a wait for «bolig_tilbudt», then a task."""
    return deploy_fixture()


@pytest.fixture()
def subscribe(wh, api):
    """``subscribe(receiver, [types])`` registers the receiver through the admin API."""
    from webhooks.outbound import PUBLIC_TYPES

    def make(receiver: Receiver, types=PUBLIC_TYPES) -> dict:
        r = api("admin").post("/api/v1/webhooks/subscriptions",
                              json={"url": receiver.url, "event_types": list(types), "secret": SECRET})
        assert r.status_code == 201, r.json
        return r.json
    return make
