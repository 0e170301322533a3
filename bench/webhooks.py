"""Outbound webhooks: deliveries per second to a local receiver, and commit → delivery latency.

A real HTTP receiver (``http.server``, HTTP/1.1 keep-alive) runs on 127.0.0.1 in this process.
1. Throughput: open cases with no worker running (each case queues ``case.opened`` and
   ``task.created``), then time ``outbox.deliver_due`` draining the queue — one worker, then four.
2. Latency: a worker polls the outbox every 10 ms while cases are opened at a steady rate; the
   time from the commit of the change to the receiver having the signed event, p50/p99.
3. Inbound: time to answer 202 for a signed event (verify, de-duplicate, store), for an event
   matching no case and for one whose case is not waiting yet (a delivery attempt, then held).
SQLite file by default; ``BENCH_DATABASE_URL=postgresql+psycopg://…`` for PostgreSQL.
"""
from __future__ import annotations

import json
import os
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.workload import FORM, bpmn  # noqa: E402


class _Receiver:
    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}       # webhook-id → perf_counter at receipt
        self.bodies: dict[str, dict] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                now = time.perf_counter()
                with receiver.lock:
                    receiver.arrivals[self.headers["webhook-id"]] = now
                    receiver.bodies[self.headers["webhook-id"]] = json.loads(body)
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


def clock_now():
    from engine import clock
    return clock.now()


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main(cases: int = 300, latency_cases: int = 200) -> list[tuple]:
    import sqlalchemy as sa

    from engine import cases as case_uc
    from bench.fresh import fresh_app
    from engine.processes import deployments
    from engine.events import outbox
    from engine.events import subscriptions
    from engine.access.rules import actor_for
    from engine.extensions import db
    from engine.store.models import User
    from engine.store.webhooks import OutboxEvent

    app = fresh_app("tilbolig-wh-", WEBHOOK_ALLOW_LOOPBACK=True)
    receiver = _Receiver()
    rows: list[tuple] = []
    with app.app_context():
        deployments.deploy({"bench.bpmn": bpmn(), "notat.schema.json": FORM}, None)
        kari = actor_for(db.session.scalar(sa.select(User).where(User.username == "kari.gamleoslo")))
        subscriptions.create_subscription(receiver.url, ["case.opened", "task.created"])

        def open_one(i: int):
            return case_uc.open_case(kari, "bench14", "gamle-oslo", "bygdoy", {"name": f"Benk {i}"}, {})

        # 1. throughput, one worker then four
        for workers in (1, 4):
            for i in range(cases):
                open_one(i)
            queued = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEvent)
                                       .where(OutboxEvent.state == "pending"))
            db.session.remove()

            def drain():
                with app.app_context():
                    while outbox.deliver_due(limit=500).attempted:
                        pass
                    db.session.remove()
            t0 = time.perf_counter()
            threads = [threading.Thread(target=drain) for _ in range(workers)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.perf_counter() - t0
            delivered = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEvent)
                                          .where(OutboxEvent.state == "delivered"))
            db.session.execute(sa.delete(OutboxEvent))
            db.session.commit()
            rows.append((f"throughput, {workers} worker(s)", f"{queued} events", f"{delivered / elapsed:,.0f} /s",
                         f"{elapsed:.2f} s"))

        # 2. commit → delivery latency with a worker polling every 10 ms
        stop = threading.Event()

        def poller():
            with app.app_context():
                while not stop.is_set():
                    if not outbox.deliver_due(limit=100).attempted:
                        time.sleep(0.01)
                db.session.remove()
        committed: dict[int, float] = {}
        worker = threading.Thread(target=poller)
        worker.start()
        for i in range(latency_cases):
            case = open_one(i)
            committed[case.id] = time.perf_counter()      # open_case has committed when it returns
            time.sleep(0.02)
        deadline = time.perf_counter() + 10
        while time.perf_counter() < deadline:
            with receiver.lock:
                got = sum(1 for b in receiver.bodies.values() if b["type"] == "case.opened"
                          and b["data"]["case_id"] in committed)
            if got >= latency_cases:
                break
            time.sleep(0.05)
        stop.set()
        worker.join()
        with receiver.lock:
            lat = [(receiver.arrivals[mid] - committed[b["data"]["case_id"]]) * 1000
                   for mid, b in receiver.bodies.items()
                   if b["type"] == "case.opened" and b["data"]["case_id"] in committed]
        rows.append(("commit → delivery p50", f"{len(lat)} events", f"{statistics.median(lat):.1f} ms", "poll 10 ms"))
        rows.append(("commit → delivery p99", f"{len(lat)} events", f"{_pct(lat, 99):.1f} ms", "poll 10 ms"))
        # 3. inbound: verify + de-duplicate + store + 202 (unmatched), and with a delivery attempt (held)
        from webhooks import signing
        source, secret = subscriptions.add_source("bench", None, ["bolig_tilbudt"])
        client = app.test_client()
        # A process that catches «bolig_tilbudt» (every inbound event is checked against its schema at the door).
        fixtures = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests")
        venter = {n: open(os.path.join(fixtures, d, n), "rb").read()
                  for d, n in (("webhooks/fixtures", "venter_pa_bolig.bpmn"), ("fixtures", "enkel.schema.json"))}
        deployments.deploy(venter, None)
        some_case = case_uc.open_case(kari, "venter_pa_bolig", "gamle-oslo", "bygdoy", {"name": "Benk"}, {}).id
        for label, target in (("unmatched", {"external_ref": "FINNES-IKKE"}), ("held", {"case_id": some_case})):
            times = []
            for i in range(200):
                body = json.dumps({"type": "bolig_tilbudt", "data": {"dato": "2026-05-01"}, **target})
                headers = signing.sign_headers(secret, f"evt_{label}_{i}", clock_now(), body)
                t0 = time.perf_counter()
                r = client.post("/webhooks/inbound/bench", data=body, headers=headers)
                times.append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 202 and r.json["state"] == label, r.json
            rows.append((f"inbound 202 p50 ({label})", "200 events", f"{statistics.median(times):.1f} ms", ""))
            rows.append((f"inbound 202 p99 ({label})", "200 events", f"{_pct(times, 99):.1f} ms", ""))
    receiver.server.shutdown()
    db_name = "SQLite (WAL, synchronous=NORMAL)" if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else "PostgreSQL"
    print(f"\nWebhooks to a local receiver on 127.0.0.1 — {db_name}")
    print(f"{'':30} {'workload':>12} {'result':>12} {'note':>12}")
    for name, work, result, note in rows:
        print(f"{name:30} {work:>12} {result:>12} {note:>12}")
    return rows


if __name__ == "__main__":
    main()
