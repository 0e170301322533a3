"""How the events capability joins every case change: it registers on the unit of work's hooks.

The outbox writes webhook rows *inside* the change's transaction (a rolled-back change emits
nothing); the inbox tries held inbound events *after* the commit (the case may now wait for one).
Registering here — instead of the unit of work importing us — keeps the dependency one way:
events → cases.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from engine.cases import projections, unit_of_work
from engine.events import inbox, outbox
from engine.store.webhooks import HELD, InboundEvent, WebhookSubscription


def any_subscription() -> Any:
    """Guard of ``outbox.enqueue``: is there an active subscription at all?  (Usually not.)

    Evaluated in the case's own UPDATE, in the same transaction as the rows ``enqueue`` would
    write, so a subscription activated meanwhile is seen exactly as the old SELECT saw it.
    """
    return sa.exists().where(WebhookSubscription.active.is_(True))


def any_held_event() -> Any:
    """Guard of ``inbox.deliver_held``: does the case have a held inbound event?  (Usually not.)

    An event held by another transaction after this UPDATE is delivered by the receiving request
    itself or the worker's next tick, as before when it arrived just after the SELECT.
    """
    return sa.exists().where(InboundEvent.case_id == projections.CASE_ROW_ID, InboundEvent.state == HELD)


def init_app(app: Flask) -> None:
    registry = unit_of_work.hooks(app)
    registry.guards[outbox.enqueue] = any_subscription
    registry.guards[inbox.deliver_held] = any_held_event
    if outbox.enqueue not in registry.on_changes:
        registry.on_changes.append(outbox.enqueue)
    if inbox.deliver_held not in registry.after_commit:
        registry.after_commit.append(inbox.deliver_held)
