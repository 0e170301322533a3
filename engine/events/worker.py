"""One tick of the webhook edge: deliver due outbox rows, then retry held inbound events.

Called by the in-process ticker (``engine.timers.scheduler``) and ``flask outbox deliver``. Never
raises: a failing receiver or a broken event is logged and the next tick tries again.
"""
from __future__ import annotations

import logging

from engine.events import inbox, outbox
from engine.extensions import db

log = logging.getLogger(__name__)


def tick() -> None:
    """Deliver what is due, then retry held inbound events (each part isolated from the other)."""
    try:
        outbox.deliver_due()
    except Exception:  # the scheduler keeps ticking; the backlog shows in the system panel
        db.session.rollback()
        log.exception("outbox tick failed")
    try:
        inbox.tick()
    except Exception:
        db.session.rollback()
        log.exception("inbox tick failed")
