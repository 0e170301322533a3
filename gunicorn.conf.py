"""gunicorn settings for the web processes (``gunicorn -c gunicorn.conf.py 'engine:create_app()'``).

Web processes only serve requests: timers, the webhook outbox and held inbound events are the job
of ``flask worker`` processes (see the Procfile), so ``TILBOLIG_SCHEDULER_ENABLED`` stays off here.
Every setting can be overridden from the environment (``WEB_CONCURRENCY``, ``PORT``).
"""
from __future__ import annotations

import os
import shutil

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
#: Sync workers: a request is one short transaction; two per core is plenty for this service.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
#: Long enough for a slow PostgreSQL failover, short enough that a stuck request is recycled.
timeout = 30
graceful_timeout = 20
keepalive = 5
#: Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = 2000
max_requests_jitter = 200
#: Load the app in each worker, not the arbiter: no database connection is shared across fork.
preload_app = False
#: The app writes one JSON line per request with its X-Request-Id (engine/logs.py); gunicorn's own
#: access line would be a second, unstructured copy.
accesslog = None
errorlog = "-"
raw_env = ["TILBOLIG_SCHEDULER_ENABLED=false", "TILBOLIG_LOG_FORMAT=json", "TILBOLIG_ACCESS_LOG=true"]

#: /metrics sums the request histogram over every worker (prometheus_client multiprocess mode). The
#: variable must be set before a worker imports the client, so it is set here, in the arbiter.
PROMETHEUS_DIR = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR",
                                       os.path.join(os.getcwd(), "instance", "prometheus"))


def on_starting(server):
    """A fresh folder per start: samples of a previous run's processes must not be added in."""
    shutil.rmtree(PROMETHEUS_DIR, ignore_errors=True)
    os.makedirs(PROMETHEUS_DIR, exist_ok=True)


def child_exit(server, worker):
    """A worker that exits (max_requests, a crash) leaves its counters; live gauges are dropped."""
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)
