"""Throughput with 1 and 8 concurrent clients, SQLite (WAL, synchronous=FULL) and PostgreSQL (#15).

Each client is a process of its own (its own app, connection pool and warm workflows, as gunicorn
workers are), completing every task of its own cases — the 14-task bench workload — through the
service's use cases. Reported: completed tasks per second for all clients together, and that as a
share of raw in-memory SpiffWorkflow on one thread in the same run (the issue's goal: 8 clients on
PostgreSQL ≥ ⅓ of raw).

Group commit: PostgreSQL flushes the WAL once for all transactions waiting to commit at that
moment, so concurrent clients share fsyncs without any setting (``commit_delay`` stays 0: it would
only add latency at low load). SQLite has one writer at a time and no group commit; each commit is
its own fsync with ``synchronous=FULL``. We keep it so: SQLite is the embedded single-machine
default, and trading durability (``synchronous=NORMAL`` in WAL mode can lose the last commits on a
power cut) is not ours to make — ``TILBOLIG_SQLITE_SYNCHRONOUS`` lets an operator choose.

    .venv/bin/python -m bench.concurrency        # TILBOLIG_BENCH_PG selects the PostgreSQL server
"""
from __future__ import annotations

import multiprocessing as mp
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

PG = os.environ.get("TILBOLIG_BENCH_PG_CONCURRENCY",
                    "postgresql+psycopg://postgres@127.0.0.1:5432/tb_concurrency_bench")
CASES_PER_CLIENT = int(os.environ.get("TILBOLIG_BENCH_CASES_PER_CLIENT", "6"))
CLIENTS = (1, 8)


def _app(url: str):
    from engine import create_app
    os.environ["TILBOLIG_SQLITE_SYNCHRONOUS"] = "FULL"
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "SCHEDULER_ENABLED": False})


def _prepare(url: str, cases: int) -> list[int]:
    """An empty migrated database with the workload deployed and ``cases`` cases opened."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from bench.workload import FORM, bpmn
    from engine import cases as case_uc
    from engine.access import demo
    from engine.access.rules import actor_for
    from engine.extensions import db
    from engine.processes import deployments
    from engine.store.models import User

    app = _app(url)
    with app.app_context():
        if not url.startswith("sqlite"):
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade()
        demo.seed_users("bench")
        deployments.deploy({"bench.bpmn": bpmn(), "notat.schema.json": FORM}, None)
        kari = actor_for(db.session.scalar(sa.select(User).where(User.username == "kari.gamleoslo")))
        ids = [case_uc.open_case(kari, "bench14", "gamle-oslo", "bygdoy",
                                 {"name": f"Benk {i}", "username": "beboer.test"}, {}).id for i in range(cases)]
        db.engine.dispose()
    return ids


def _client(url: str, case_ids: list[int], ready, go, out) -> None:
    """One client process: wait for the start signal, complete every task of its cases."""
    import sqlalchemy as sa

    from engine import cases as case_uc
    from engine.access.rules import actor_for
    from engine.extensions import db
    from engine.store.models import Case, User

    app = _app(url)
    with app.app_context():
        users = {u.username: actor_for(u) for u in db.session.scalars(sa.select(User))}
        by_lane = {"bydel": users["kari.gamleoslo"], "institusjon": users["ingrid.bygdoy"],
                   "beboer": users["beboer.test"]}
        db.session.rollback()
        ready.release()
        go.wait()
        done = 0
        for case_id in case_ids:
            case = db.session.get(Case, case_id)
            while tasks := case_uc.case_tasks(case):
                case = case_uc.complete_task(by_lane[tasks[0].lane], tasks[0].id, {"notat": "ok"})
                done += 1
        out.put(done)


def _run(url: str, clients: int) -> float:
    """Completed tasks per second with ``clients`` concurrent client processes."""
    ids = _prepare(url, clients * CASES_PER_CLIENT)
    ctx = mp.get_context("fork")
    ready, go, out = ctx.Semaphore(0), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_client, args=(url, ids[i::clients], ready, go, out)) for i in range(clients)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.acquire()
    t0 = time.perf_counter()
    go.set()
    done = sum(out.get() for _ in procs)
    elapsed = time.perf_counter() - t0
    for p in procs:
        p.join()
    return done / elapsed


def main() -> dict:
    import sqlalchemy as sa

    from bench.engine_bench import raw
    from bench.timers import _ensure_database
    from bench.workload import N_TASKS

    raw_tps = 1e6 / raw(30)["us_task"]
    print(f"\nConcurrent clients (processes), bench workload ({N_TASKS} tasks × {CASES_PER_CLIENT} cases per client)")
    print(f"  raw SpiffWorkflow in memory, one thread: {raw_tps:,.0f} tasks/s")
    print(f"  {'database':28} {'clients':>7} {'tasks/s':>9} {'of raw':>7}   goal")
    rows = {}
    targets = [("SQLite (WAL, FULL)", f"sqlite:///{tempfile.mkdtemp(prefix='tilbolig-conc-')}/c.db")]
    try:
        _ensure_database(PG)
        targets.append(("PostgreSQL", PG))
    except sa.exc.OperationalError as exc:
        print(f"  PostgreSQL skipped: not reachable ({str(exc).splitlines()[0]})")
    for label, url in targets:
        for clients in CLIENTS:
            if url.startswith("sqlite"):   # a fresh file per run
                url = f"sqlite:///{tempfile.mkdtemp(prefix='tilbolig-conc-')}/c.db"
            tps = _run(url, clients)
            rows[(label, clients)] = tps
            goal = ""
            if label == "PostgreSQL" and clients == 8:
                goal = f"≥ ⅓ of raw ({raw_tps / 3:,.0f}): {'met' if tps >= raw_tps / 3 else 'NOT met'}"
            print(f"  {label:28} {clients:>7} {tps:>9,.0f} {tps / raw_tps:>7.2f}   {goal}")
    print(f"  cores: {os.cpu_count()}; load average {os.getloadavg()[0]:.1f} at the end")
    return {"raw": raw_tps, "rows": rows}


if __name__ == "__main__":
    main()
