"""How the events capability joins every case change: it registers on the unit of work's hooks.

The outbox writes webhook rows *inside* the change's transaction (a rolled-back change emits
nothing); the inbox tries held inbound events *after* the commit (the case may now wait for one).
Registering here — instead of the unit of work importing us — keeps the dependency one way:
events → cases.
"""
from __future__ import annotations

from flask import Flask

from engine.cases import unit_of_work
from engine.events import inbox, outbox


def init_app(app: Flask) -> None:
    registry = unit_of_work.hooks(app)
    if outbox.enqueue not in registry.on_changes:
        registry.on_changes.append(outbox.enqueue)
    if inbox.deliver_held not in registry.after_commit:
        registry.after_commit.append(inbox.deliver_held)
