"""Prometheus text exposition: cases by status, open/overdue tasks, timers due and late, request latency.

Gauges are read from the projections at scrape time (no state kept between scrapes except the
request-latency histogram, which is per process, as Prometheus expects).  Written by hand: the
format is small and a client library would be another dependency.
"""
from __future__ import annotations

import threading
from datetime import datetime

import sqlalchemy as sa

from engine import cases, clock
from engine.extensions import db
from engine.store import due_timers
from engine.store.models import Case, OpenTask, Timer

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
STATUSES = (cases.RUNNING, cases.COMPLETED, cases.ERROR, cases.SUSPENDED, cases.TERMINATED)


class Histogram:
    """A cumulative-bucket latency histogram keyed by (method, status class); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: dict[tuple[str, str], list[float]] = {}

    def observe(self, method: str, status: int, seconds: float) -> None:
        key = (method, f"{status // 100}xx")
        with self._lock:
            row = self._data.setdefault(key, [0.0] * (len(BUCKETS) + 2))   # buckets…, count, sum
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    row[i] += 1
            row[-2] += 1
            row[-1] += seconds

    def lines(self, name: str) -> list[str]:
        out = [f"# HELP {name} HTTP request latency in seconds.", f"# TYPE {name} histogram"]
        with self._lock:
            items = sorted(self._data.items())
        for (method, status), row in items:
            labels = f'method="{method}",status="{status}"'
            for i, bound in enumerate(BUCKETS):
                out.append(f'{name}_bucket{{{labels},le="{bound}"}} {int(row[i])}')
            out.append(f'{name}_bucket{{{labels},le="+Inf"}} {int(row[-2])}')
            out.append(f"{name}_count{{{labels}}} {int(row[-2])}")
            out.append(f"{name}_sum{{{labels}}} {row[-1]:.6f}")
        return out


def _gauge(name: str, help_text: str, samples: list[tuple[str, float]]) -> list[str]:
    out = [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
    out += [f"{name}{labels} {value:g}" for labels, value in samples]
    return out


def render(histogram: Histogram, now: datetime | None = None) -> str:
    """The whole exposition, one scrape."""
    now = now or clock.now()
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
    lines: list[str] = []
    lines += _gauge("tilbolig_cases", "Cases by status.",
                    [(f'{{status="{s}"}}', by_status.get(s, 0)) for s in STATUSES])
    lines += _gauge("tilbolig_open_tasks", "Open human tasks of active cases.", [("", open_tasks)])
    lines += _gauge("tilbolig_overdue_tasks", "Open tasks whose deadline has passed.", [("", overdue)])
    lines += _gauge("tilbolig_timers_due", "Timers due but not yet fired.", [("", timers_due)])
    lines += _gauge("tilbolig_timer_lateness_seconds", "How late the oldest due timer is.", [("", lateness)])
    lines += _gauge("tilbolig_timers_broken", "Timers whose due time could not be computed.", [("", broken)])
    lines += histogram.lines("tilbolig_http_request_duration_seconds")
    return "\n".join(lines) + "\n"
