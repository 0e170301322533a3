"""One tick of notifications: find deadlines and digests that are due, then send the mail outbox.

Called by the worker (``flask worker``'s events thread and the in-process scheduler) next to the
webhook outbox, and by ``flask mail send-due``.  Never raises: a failure is logged and the next
tick tries again (every step's state is in the database).
"""
from __future__ import annotations

import logging

from engine.extensions import db
from engine.notify import delivery

log = logging.getLogger(__name__)


def tick() -> None:
    """Scan and send (each part isolated from the other)."""
    try:
        from engine.notify import scan
        scan.run_due()
    except Exception:  # the worker keeps ticking
        db.session.rollback()
        log.exception("notification scan failed")
    try:
        delivery.deliver_due()
    except Exception:
        db.session.rollback()
        log.exception("mail delivery failed")
