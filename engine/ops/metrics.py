"""Prometheus metrics: cases by status, open/overdue tasks, timers due and late, request latency.

Gauges are read from the projections at scrape time, so every process answers the same and no
state is kept between scrapes. The request-latency histogram is the one thing kept in process
memory; with several gunicorn workers a scrape reaches one of them, so it is kept through
``prometheus_client``'s multiprocess mode when ``PROMETHEUS_MULTIPROC_DIR`` is set (gunicorn.conf.py
sets it and marks dead workers): every process writes its samples to that folder and a scrape adds
them up (#15). Without the variable (``make run``, tests) the histogram is this process's own.
The client library replaced a hand-written exposition when multiprocess mode became necessary —
aggregating histograms across processes by hand is the job it already does right.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from engine import cases, clock
from engine.extensions import db
from engine.store import due_timers
from engine.store.models import Case, OpenTask, Timer

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
STATUSES = (cases.RUNNING, cases.COMPLETED, cases.ERROR, cases.SUSPENDED, cases.TERMINATED)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

#: this process's own registry (the library's global one is left alone: tests build many apps)
_REGISTRY = CollectorRegistry(auto_describe=True)
REQUEST_SECONDS = Histogram("tilbolig_http_request_duration_seconds", "HTTP request latency in seconds.",
                            ["method", "status"], buckets=BUCKETS, registry=_REGISTRY)


def observe(method: str, status: int, seconds: float) -> None:
    """Record one request (status by class: 2xx, 4xx …, so the label set stays small)."""
    REQUEST_SECONDS.labels(method=method, status=f"{status // 100}xx").observe(seconds)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class _ProjectionGauges:
    """The gauges of one scrape, read from the projections (the same in every process)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def collect(self) -> Iterator[Metric]:
        now = self.now
        by_status = dict(db.session.execute(sa.select(Case.status, sa.func.count()).group_by(Case.status)).all())
        active = Case.status.in_(cases.ACTIVE)
        open_tasks = db.session.scalar(sa.select(sa.func.count()).select_from(OpenTask).join(Case).where(active)) or 0
        overdue = db.session.scalar(sa.select(sa.func.count()).select_from(OpenTask).join(Case)
                                    .where(active, OpenTask.overdue_at.is_not(None))) or 0
        timers_due, oldest = due_timers.overdue_stats(now)
        lateness = (now - clock.as_utc(oldest)).total_seconds() if oldest else 0.0
        broken = db.session.scalar(sa.select(sa.func.count()).select_from(Timer).join(Case, Case.id == Timer.case_id)
                                   .where(active, Timer.broken_reason.is_not(None))) or 0
        db.session.commit()
        family = GaugeMetricFamily("tilbolig_cases", "Cases by status.", labels=["status"])
        for s in STATUSES:
            family.add_metric([s], by_status.get(s, 0))
        yield family
        for name, text, value in [
                ("tilbolig_open_tasks", "Open human tasks of active cases.", open_tasks),
                ("tilbolig_overdue_tasks", "Open tasks whose deadline has passed.", overdue),
                ("tilbolig_timers_due", "Timers due but not yet fired.", timers_due),
                ("tilbolig_timer_lateness_seconds", "How late the oldest due timer is.", lateness),
                ("tilbolig_timers_broken", "Timers whose due time could not be computed.", broken)]:
            yield GaugeMetricFamily(name, text, value=value)


def render(now: datetime | None = None) -> str:
    """The whole exposition, one scrape: projection gauges + the latency histogram of every process."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ProjectionGauges(now or clock.now()))
    if multiprocess_dir():
        MultiProcessCollector(registry)          # every worker's samples, summed
    else:
        registry.register(REQUEST_SECONDS)
    return generate_latest(registry).decode()
