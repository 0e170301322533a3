"""The inbox on PostgreSQL at 10k and 100k cases: the page's queries, timed on generated rows.

The projection rows are bulk-inserted directly (``COPY``), not produced by running the engine
100k times: the inbox reads only ``cases`` and ``open_tasks``, so what matters is their shape —
about ten open tasks per case across the three lanes, a spread of due dates, some overdue.  The
load runs with the counter triggers off and counts ``inbox_counters`` afresh after it (as
``flask inbox rebuild-counts`` does).  The numbers are measured both ways in the same run: read from
the counters (what the page does) and counted by the old grouped aggregate
(``inbox_counters.aggregate``, «before»).
Needs ``TILBOLIG_BENCH_PG`` (default: a local ``tilbolig_perf_inbox`` database, recreated).
"""
from __future__ import annotations

import io
import os
import random
import statistics
import time
import uuid
from datetime import timedelta

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/tilbolig_perf_inbox"
GOAL_MS = 20.0
TASKS_PER_CASE = 10


def _copy(conn, table: str, columns: list[str], rows) -> None:
    buf = io.StringIO()
    for r in rows:
        buf.write("\t".join("\\N" if v is None else str(v) for v in r) + "\n")
    buf.seek(0)
    raw = conn.connection.driver_connection
    with raw.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
        while chunk := buf.read(1 << 20):
            cp.write(chunk)


def generate(n_cases: int) -> None:
    """Fill ``cases`` and ``open_tasks`` with ``n_cases`` cases (inside an app context)."""
    import sqlalchemy as sa

    from engine import clock
    from engine.cases import inbox_counters
    from engine.extensions import db
    from engine.store.models import Organisation, ProcessVersion

    rnd = random.Random(15)
    orgs = {o.slug: (o.id, o.kind) for o in db.session.scalars(sa.select(Organisation))}
    bydeler = [i for i, k in orgs.values() if k == "bydel"]
    inst = [i for i, k in orgs.values() if k != "bydel"]
    pv = db.session.scalar(sa.select(ProcessVersion.id))
    now = clock.now()
    conn = db.session.connection()
    conn.execute(sa.text("TRUNCATE open_tasks, inbox_counters, access_log, cases RESTART IDENTITY CASCADE"))
    # A million rows through a row trigger each would take minutes: load without, then count afresh.
    conn.execute(sa.text("ALTER TABLE open_tasks DISABLE TRIGGER USER"))
    first = 1
    cases, tasks = [], []
    for cid in range(first, first + n_cases):
        b, i = rnd.choice(bydeler), rnd.choice(inst)
        status = "running" if rnd.random() < 0.9 else rnd.choice(["completed", "suspended", "error"])
        cases.append((cid, pv, status, b, i, None, f"Beboer {cid}", '{}', "{}", 1,
                      now.isoformat(), now.isoformat(), now.isoformat()))
        for k in range(TASKS_PER_CASE if status != "completed" else 0):
            lane = ("bydel", "institusjon", "beboer")[k % 3]
            org = b if lane == "bydel" else i if lane == "institusjon" else None
            due = now + timedelta(days=rnd.randint(-30, 120)) if rnd.random() < 0.7 else None
            overdue = now.isoformat() if due is not None and due < now and rnd.random() < 0.8 else None
            role = "leder" if rnd.random() < 0.05 else None
            tasks.append((str(uuid.UUID(int=rnd.getrandbits(128))), cid, f"steg_{k}", f"Steg {k}", lane, role,
                          org, (now - timedelta(days=rnd.randint(0, 60))).isoformat(),
                          due.isoformat() if due else None, overdue))
    _copy(conn, "cases", ["id", "process_version_id", "status", "bydel_id", "institution_id", "resident_user_id",
                          "resident_name", "anchors", "state", "version", "created_at", "updated_at",
                          "last_activity_at"], cases)
    _copy(conn, "open_tasks", ["id", "case_id", "element_id", "name", "lane", "role", "organisation_id",
                               "created_at", "due_at", "overdue_at"], tasks)
    conn.execute(sa.text("SELECT setval('cases_id_seq', (SELECT max(id) FROM cases))"))
    conn.execute(sa.text("ALTER TABLE open_tasks ENABLE TRIGGER USER"))
    inbox_counters.rebuild()
    db.session.commit()
    # What autovacuum does after a bulk load: statistics, and the visibility map index-only scans need.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as auto:
        auto.execute(sa.text("VACUUM ANALYZE cases"))
        auto.execute(sa.text("VACUUM ANALYZE open_tasks"))
        auto.execute(sa.text("VACUUM ANALYZE inbox_counters"))


#: Rows on one page of the inbox (``worklist.PAGE_SIZE`` where it exists; the page before #14 drew 1,000).
PAGE = 50
PAGE_GOAL_KB = 100.0


def _login(app):
    import re
    client = app.test_client()
    html = client.get("/logg-inn").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    r = client.post("/logg-inn", data={"username": "kari.gamleoslo", "password": "bench", "csrf_token": token})
    assert r.status_code == 302, r.status_code
    return client


def _next_link(client) -> str | None:
    import html as html_lib
    import re
    m = re.search(r'<a href="([^"]+)" rel="next">', client.get("/innboks").get_data(as_text=True))
    return html_lib.unescape(m.group(1)) if m else None


def _time(fn, reps: int) -> tuple[float, float]:
    from engine.extensions import db
    ms = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t0) * 1000)
        db.session.rollback()
    ms.sort()
    return statistics.median(ms), ms[max(0, int(round(0.95 * len(ms))) - 1)]


def measure(sizes: tuple[int, ...] = (10_000, 100_000), reps: int = 20) -> list[tuple[str, float, float, float | None]]:
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from bench.workload import FORM, bpmn
    from engine import create_app
    from engine.access import demo
    from engine.access.rules import actor_for
    from engine.cases import inbox_counters, worklist
    from engine.extensions import db
    from engine.processes import deployments
    from engine.store.models import User

    url = os.environ.get("TILBOLIG_BENCH_PG", DEFAULT_URL)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    out = []
    with app.app_context():
        db.session.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.session.commit()
        upgrade(revision="heads")
        demo.seed_users("bench")
        deployments.deploy({"bench.bpmn": bpmn(), "notat.schema.json": FORM}, None)
        db.session.commit()
        actor = actor_for(db.session.scalar(sa.select(User).where(User.username == "kari.gamleoslo")))
        flt = worklist.InboxFilter()
        client = _login(app)
        for n in sizes:
            generate(n)
            n_rows = db.session.scalar(sa.text("SELECT count(*) FROM open_tasks"))
            label = f"{n // 1000}k cases / {n_rows // 1000}k tasks"
            n_counters = db.session.scalar(sa.text("SELECT count(*) FROM inbox_counters"))
            assert inbox_counters.summary(actor) == inbox_counters.aggregate(actor)
            db.session.rollback()
            print(f"{label}: {n_counters} counter rows", flush=True)
            for name, fn in (("inbox()", lambda: worklist.inbox(actor, flt, limit=PAGE)),
                             ("counts(), aggregate (before)", lambda: inbox_counters.aggregate(actor).counts),
                             ("counts(), counters", lambda: worklist.counts(actor)),
                             ("steps(), aggregate (before)", lambda: inbox_counters.aggregate(actor).steps),
                             ("steps(), counters", lambda: worklist.steps(actor))):
                p50, p95 = _time(fn, reps)
                out.append((f"{label} {name}", p50, p95, None))
            sizes_kb: list[float] = []

            def page() -> None:
                r = client.get("/innboks")
                assert r.status_code == 200, r.status_code
                sizes_kb.append(len(r.data) / 1024)
            counted = worklist.summary
            worklist.summary = inbox_counters.aggregate       # the page as it was: counted per page
            try:
                p50, p95 = _time(page, reps)
            finally:
                worklist.summary = counted
            out.append((f"{label} GET /innboks, aggregate (before)", p50, p95, statistics.median(sizes_kb)))
            sizes_kb.clear()
            p50, p95 = _time(page, reps)
            out.append((f"{label} GET /innboks (HTML)", p50, p95, statistics.median(sizes_kb)))
            nxt = _next_link(client)
            if nxt:
                p50, p95 = _time(lambda: client.get(nxt), reps)
                out.append((f"{label} GET /innboks, page 2 (keyset)", p50, p95, None))
    return out


def main() -> list[tuple[str, float, float, float | None]] | None:
    import sqlalchemy as sa

    from bench.timers import _ensure_database
    try:
        _ensure_database(os.environ.get("TILBOLIG_BENCH_PG", DEFAULT_URL))
    except sa.exc.OperationalError as exc:
        print(f"\nInbox on PostgreSQL: skipped, not reachable ({str(exc).splitlines()[0]})")
        return None
    sizes = tuple(int(x) for x in os.environ.get("TILBOLIG_BENCH_INBOX_SIZES", "10000,100000").split(","))
    rows = measure(sizes)
    print(f"\nInbox on PostgreSQL (one bydel caseworker, first page of {PAGE} rows; the HTML page "
          "through the Flask test client)")
    print(f"{'':62} {'p50 ms':>8} {'p95 ms':>8} {'KB':>6} {'goal':>12}")
    for name, p50, p95, kb in rows:
        size = f"{kb:6.0f}" if kb is not None else " " * 6
        goal = "" if kb is None else f" · ≤ {PAGE_GOAL_KB:g} KB {'met' if kb <= PAGE_GOAL_KB else 'NOT met'}"
        print(f"{name:62} {p50:8.1f} {p95:8.1f} {size} {'p95 ≤ ' + format(GOAL_MS, 'g') + ' ms':>12} "
              f"{'met' if p95 <= GOAL_MS else 'NOT met'}{goal}")
    return rows

if __name__ == "__main__":
    import sys
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main()
