"""gunicorn settings for the web processes (``gunicorn -c gunicorn.conf.py 'engine:create_app()'``).

Web processes only serve requests: timers, the webhook outbox and held inbound events are the job
of ``flask worker`` processes (see the Procfile), so ``TILBOLIG_SCHEDULER_ENABLED`` stays off here.
Every setting can be overridden from the environment (``WEB_CONCURRENCY``, ``PORT``).
"""
from __future__ import annotations

import os

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
accesslog = "-"
errorlog = "-"
raw_env = ["TILBOLIG_SCHEDULER_ENABLED=false"]
