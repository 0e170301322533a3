"""The in-service ticker: APScheduler calls :func:`engine.timer_worker.tick` every second.

APScheduler holds no jobs per timer — it only ticks; the ``timers`` table decides what is due, so
nothing is lost when the process stops, and timers that fell due while it was down fire on the
first tick, oldest first.  Started only when ``SCHEDULER_ENABLED`` (``make run`` sets it), only in
the process that serves requests (not in the werkzeug reloader's watcher, not in other ``flask``
commands), and never twice in one process.
"""
from __future__ import annotations

import atexit
import logging
import os
import sys
import threading
from datetime import UTC

import click
from flask import Flask

from engine.events import worker as events_worker
from engine.notify import worker as notify_worker
from engine.timers import worker as timer_worker

log = logging.getLogger(__name__)

_lock = threading.Lock()
_scheduler = None          # the one BackgroundScheduler of this process, if started


def init_app(app: Flask) -> None:
    if app.config.get("SCHEDULER_ENABLED") and _should_start(app):
        start(app)


def _should_start(app: Flask) -> bool:
    """Not in the reloader's watcher process, and not in a ``flask`` command other than ``run``."""
    if app.debug and os.environ.get("WERKZEUG_RUN_MAIN") != "true":
        return False
    if click.get_current_context(silent=True) is not None:
        words = [a for a in sys.argv[1:] if not a.startswith("-")]
        return "run" in words
    return True


def start(app: Flask):
    """Start ticking for ``app`` (idempotent per process); returns the scheduler."""
    global _scheduler
    from apscheduler.schedulers.background import BackgroundScheduler

    with _lock:
        if _scheduler is not None:
            return _scheduler
        name = timer_worker.worker_name("scheduler")
        seconds = float(app.config.get("SCHEDULER_TICK_SECONDS", 1.0))

        def job() -> None:
            with app.app_context():
                try:
                    timer_worker.tick(name)
                except Exception:  # noqa: BLE001 - keep ticking; the heartbeat shows the stall
                    log.exception("scheduler tick failed")

        scheduler = BackgroundScheduler(timezone="UTC", daemon=True)
        # first run at once: catch up on timers that fell due while the service was down
        scheduler.add_job(job, "interval", seconds=seconds, id="timer-tick", max_instances=1, coalesce=True,
                          next_run_time=_now())

        def webhook_job() -> None:
            # A job of its own: a slow webhook receiver must not delay timers.
            with app.app_context():
                events_worker.tick()   # deliver due outbox rows, retry held inbound events; never raises
                notify_worker.tick()   # deadlines, digests and the mail outbox (#17); never raises

        scheduler.add_job(webhook_job, "interval", seconds=seconds, id="outbox-tick", max_instances=1,
                          coalesce=True, next_run_time=_now())
        scheduler.start()
        _scheduler = scheduler
        atexit.register(stop)
        log.info("timer scheduler started (%s, every %ss)", name, seconds)
        return scheduler


def _now():
    from datetime import datetime
    return datetime.now(UTC)


def stop() -> None:
    """Stop the ticker of this process (tests, shutdown)."""
    global _scheduler
    with _lock:
        if _scheduler is not None:
            _scheduler.shutdown(wait=False)
            _scheduler = None


def running() -> bool:
    return _scheduler is not None
