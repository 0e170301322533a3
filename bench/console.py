"""The console's events page (#14 item 7): one page of 50 at 10,000 and 100,000 outbound deliveries
and inbound events, first page, a page deep in the list (keyset ``?før=``) and filtered by state.

Rows are inserted in bulk (no worker runs), most of them delivered as in a running service (1 % of
the outbound given up, 1 % waiting; 1 % of the inbound each held, failed, unmatched); each URL is fetched 30 times through the Flask test
client as a signed-in administrator, p50/p95 in milliseconds.  SQLite file by default;
``BENCH_DATABASE_URL=postgresql+psycopg://…`` for PostgreSQL.
"""
from __future__ import annotations

import os
import re
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SIZES = tuple(int(n) for n in os.environ.get("BENCH_CONSOLE_SIZES", "10000,100000").split(","))
RUNS = 30


def _fill(n: int) -> None:
    import sqlalchemy as sa

    from engine import clock
    from engine.extensions import db
    from engine.store.webhooks import InboundEvent, InboundSource, OutboxEvent, WebhookSubscription
    sub = WebhookSubscription(url="https://mottaker.example/hook", secret="x", event_types=["case.opened"],
                              description="bench", active=True)
    src = InboundSource(name="boligkontoret", secret="x", messages=["bolig_tilbudt"], active=True)
    db.session.add_all([sub, src])
    db.session.commit()
    now = clock.now()
    # 98 % delivered, 1 % given up, 1 % waiting; inbound 97 % delivered, 1 % each held, failed, unmatched
    out_states = ("delivered",) * 98 + ("dead", "pending")
    in_states = ("delivered",) * 97 + ("held", "failed", "unmatched")
    for start in range(0, n, 5000):
        rows = range(start, min(n, start + 5000))
        db.session.execute(sa.insert(OutboxEvent), [dict(
            subscription_id=sub.id, case_id=i, event_type="case.opened", msg_id=f"msg_{i}", body="{}",
            state=out_states[i % 100], attempts=1 if out_states[i % 100] != "delivered" else 0, next_attempt_at=now,
            created_at=now, last_error=None) for i in rows])
        db.session.execute(sa.insert(InboundEvent), [dict(
            source_id=src.id, webhook_id=f"evt_{i}", message_name="bolig_tilbudt", case_id=None,
            payload={}, state=in_states[i % 100], attempts=1,
            received_at=now) for i in rows])
        db.session.commit()


def _time(client, url: str) -> tuple[float, float]:
    samples = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        r = client.get(url)
        samples.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, (url, r.status_code)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    from bench.fresh import fresh_app
    print("\n## Console events page (ms per request, p50 / p95, 50 rows a page)\n")
    print("| rows of each kind | page | p50 | p95 |")
    print("|---|---|---|---|")
    for n in SIZES:
        app = fresh_app("tilbolig-console-")
        with app.app_context():
            _fill(n)
            client = app.test_client()
            html = client.get("/logg-inn").get_data(as_text=True)
            token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
            client.post("/logg-inn", data={"username": "admin", "password": "bench", "csrf_token": token})
            for label, url in (("out, newest", "/admin/events?retning=ut"),
                               ("out, deep (keyset)", f"/admin/events?retning=ut&før={n // 2}"),
                               ("out, dead only", "/admin/events?retning=ut&tilstand=dead"),
                               ("in, newest", "/admin/events?retning=inn"),
                               ("in, failed only, deep", f"/admin/events?retning=inn&tilstand=failed&før={n // 2}")):
                p50, p95 = _time(client, url)
                print(f"| {n:,} | {label} | {p50:.1f} | {p95:.1f} |")


if __name__ == "__main__":
    main()
