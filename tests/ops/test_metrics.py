"""/metrics: Prometheus text for administrators (token) or localhost only."""
from __future__ import annotations

from datetime import datetime, timezone

from tests.ops.helpers import errored, to_plan

REMOTE = {"REMOTE_ADDR": "10.0.0.7"}


def _value(text: str, sample: str) -> float:
    line = next(ln for ln in text.splitlines() if ln.startswith(sample + " "))
    return float(line.split()[-1])


def test_metrics_for_administrators_and_localhost_only(api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    assert api(None).get("/metrics", environ_base=REMOTE).status_code == 401
    assert api("kari.gamleoslo").get("/metrics", environ_base=REMOTE).status_code == 403
    assert api("admin").get("/metrics", environ_base=REMOTE).status_code == 200
    assert api(None).get("/metrics").status_code == 200                          # 127.0.0.1
    r = api(None).get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})   # via a proxy: not local
    assert r.status_code == 401


def test_metrics_count_cases_tasks_timers_and_latency(api, tre_baner, clock_at):
    traveller = clock_at(2026, 3, 1, 9)
    errored(api)
    to_plan(api)
    traveller.move_to(datetime(2026, 3, 16, 0, 0, 30, tzinfo=timezone.utc))
    r = api("admin").get("/metrics", environ_base=REMOTE)
    text = r.get_data(as_text=True)
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert _value(text, 'tilbolig_cases{status="error"}') == 1
    assert _value(text, 'tilbolig_cases{status="running"}') == 1
    assert _value(text, "tilbolig_open_tasks") == 2          # samtykke (errored case) + plan
    assert _value(text, "tilbolig_overdue_tasks") == 0
    assert _value(text, "tilbolig_timers_due") == 1
    assert _value(text, "tilbolig_timer_lateness_seconds") == 3630   # due 2026-03-15T23:00Z
    assert "# TYPE tilbolig_http_request_duration_seconds histogram" in text
    assert _value(text, 'tilbolig_http_request_duration_seconds_count{method="POST",status="2xx"}') >= 3
