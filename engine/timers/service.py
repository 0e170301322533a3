"""``flask worker`` as one process: timers, webhook outbox, held inbound events and the mail outbox.

The timer loop (``engine.timers.worker.run``) keeps the main thread; webhook delivery runs in a
thread of its own with its own app context and session, so a slow webhook receiver never delays
a timer (the same split as the in-process scheduler).  Nothing important lives in this process's
memory: every claim is a database row (``SKIP LOCKED`` on PostgreSQL), so N of these may run
against one database, and a worker killed with ``kill -9`` loses nothing that was committed.
"""
from __future__ import annotations

import logging
import threading
import uuid

from flask import Flask, current_app

from engine import logs
from engine.events import worker as events_worker
from engine.notify import worker as notify_worker
from engine.timers import worker as timer_worker

log = logging.getLogger(__name__)


def _events_loop(app: Flask, tick_seconds: float, stop: threading.Event) -> None:
    """Deliver due outbox rows and retry held inbound events every tick until ``stop``."""
    while not stop.is_set():
        with app.app_context(), logs.bound(job_id=f"{threading.current_thread().name}:{uuid.uuid4().hex[:12]}"):
            events_worker.tick()          # never raises; failures are logged and retried next tick
            notify_worker.tick()          # deadlines, digests, the mail outbox (#17); never raises
        stop.wait(tick_seconds)


def run(worker: str, tick_seconds: float = 1.0, once: bool = False,
        stop: threading.Event | None = None) -> int:
    """Run timers and webhook delivery until ``stop`` (or Ctrl-C); ``once``: one pass of each.

    Returns the number of timers fired.
    """
    if once:
        fired = timer_worker.run(worker, tick_seconds, once=True)
        events_worker.tick()
        notify_worker.tick()
        return fired
    app = current_app._get_current_object()   # type: ignore[attr-defined]
    stop = stop or threading.Event()
    events = threading.Thread(target=_events_loop, args=(app, tick_seconds, stop), name=f"{worker}-events",
                              daemon=True)
    events.start()
    try:
        return timer_worker.run(worker, tick_seconds, stop=stop)
    finally:
        stop.set()
        events.join(timeout=tick_seconds + 5)
