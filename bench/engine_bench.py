"""Raw in-memory SpiffWorkflow vs. a naive build vs. the service, same 14-user-task workload, same run.

* raw: SpiffWorkflow in memory, nothing persisted (the floor).
* naive: the whole workflow serialized (SpiffWorkflow's own serializer, specs included) into one
  SQLite row after every step, ``synchronous=FULL`` — what a weekend prototype would do.
* bare commit: one small UPDATE + commit on a SQLite file with ``synchronous=FULL`` (the disk's floor).
* service: the real unit of work on SQLite ``synchronous=FULL`` (state, projections, audit, hooks);
  it also counts SQL statements per task, which — unlike time on a shared machine — does not move.
"""
from __future__ import annotations

import os
import sqlite3
import statistics
import tempfile
import time

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.parser import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from bench.workload import FORM, N_TASKS, bpmn


def _specs():
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_str(bpmn(), "bench.bpmn")
    return parser.get_spec("bench14"), parser.get_subprocess_specs("bench14")


def _run_case(spec, subs, save=None) -> None:
    wf = BpmnWorkflow(spec, subs)
    wf.do_engine_steps()
    while not wf.is_completed():
        task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
        task.data.update({"notat": "ok"})
        task.run()
        wf.do_engine_steps()
        if save:
            save(wf)


def raw(cases: int) -> dict:
    spec, subs = _specs()
    t0 = time.perf_counter()
    for _ in range(cases):
        _run_case(spec, subs)
    elapsed = time.perf_counter() - t0
    return {"cases_s": cases / elapsed, "us_task": elapsed / (cases * N_TASKS) * 1e6, "bytes": None}


def naive(cases: int) -> dict:
    """Serialize the whole workflow to SQLite (synchronous=FULL) after every step."""
    spec, subs = _specs()
    ser = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    con = sqlite3.connect(os.path.join(tempfile.mkdtemp(prefix="tilbolig-naive-"), "naive.db"), isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("CREATE TABLE wf (id INTEGER PRIMARY KEY, state TEXT)")
    sizes = []
    t0 = time.perf_counter()
    for i in range(cases):
        con.execute("INSERT INTO wf (id, state) VALUES (?, '')", (i,))

        def save(wf, i=i):
            state = ser.serialize_json(wf)
            con.execute("BEGIN")
            con.execute("UPDATE wf SET state = ? WHERE id = ?", (state, i))
            con.execute("COMMIT")
            sizes.append(len(state))
        _run_case(spec, subs, save)
    elapsed = time.perf_counter() - t0
    return {"cases_s": cases / elapsed, "us_task": elapsed / (cases * N_TASKS) * 1e6, "bytes": sizes[-1]}


def bare_commit(n: int = 300) -> float:
    """µs for one tiny UPDATE + durable commit (SQLite WAL, synchronous=FULL)."""
    con = sqlite3.connect(os.path.join(tempfile.mkdtemp(prefix="tilbolig-commit-"), "c.db"), isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
    con.execute("INSERT INTO t VALUES (1, 0)")
    t0 = time.perf_counter()
    for i in range(n):
        con.execute("BEGIN")
        con.execute("UPDATE t SET v = ? WHERE id = 1", (i,))
        con.execute("COMMIT")
    return (time.perf_counter() - t0) / n * 1e6


def service(cases: int) -> dict:
    os.environ["TILBOLIG_SQLITE_SYNCHRONOUS"] = "FULL"
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from engine import cases as case_uc
    from engine import create_app
    from engine.access import demo
    from engine.access.rules import actor_for
    from engine.extensions import db
    from engine.processes import deployments
    from engine.store.models import Case, User

    tmp = tempfile.mkdtemp(prefix="tilbolig-bench-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db", "TESTING": True})
    statements = [0]
    with app.app_context():
        upgrade(revision="heads")
        demo.seed_users("bench")
        deployments.deploy({"bench.bpmn": bpmn(), "notat.schema.json": FORM}, None)
        users = {u.username: actor_for(u) for u in db.session.scalars(sa.select(User))}
        lane_actor = {"bydel": users["kari.gamleoslo"], "institusjon": users["ingrid.bygdoy"],
                      "beboer": users["beboer.test"]}
        sa.event.listen(db.engine, "before_cursor_execute",
                        lambda *a: statements.__setitem__(0, statements[0] + 1))
        t0, c0 = time.perf_counter(), time.process_time()
        for i in range(cases):
            case = case_uc.open_case(users["kari.gamleoslo"], "bench14", "gamle-oslo", "bygdoy",
                                     {"name": f"Benk {i}", "username": "beboer.test"}, {})
            for _ in range(N_TASKS):
                task = case_uc.case_tasks(case)[0]
                case = case_uc.complete_task(lane_actor[task.lane], task.id, {"notat": "ok"})
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        sizes = [len(s) for s in db.session.scalars(sa.select(Case.state))]
    return {"cases_s": cases / elapsed, "us_task": elapsed / (cases * N_TASKS) * 1e6,
            "cpu_us_task": cpu / (cases * N_TASKS) * 1e6,
            "bytes": int(statistics.mean(sizes)), "statements": statements[0] / (cases * (N_TASKS + 1))}


def measure(cases: int = 60) -> dict[str, dict]:
    return {"raw": raw(cases), "naive": naive(cases), "commit": {"us": bare_commit()}, "service": service(cases)}


def main(cases: int = 60) -> dict[str, dict]:
    m = measure(cases)
    r, n, c, s = m["raw"], m["naive"], m["commit"]["us"], m["service"]
    floor = 1.6 * (r["us_task"] + c)
    print(f"\nEngine workload: {cases} cases × {N_TASKS} user tasks (µs per completed task)")
    print(f"{'':48} {'µs/task':>9} {'bytes':>8}   goal")
    print(f"{'raw SpiffWorkflow (memory)':48} {r['us_task']:9.0f} {'-':>8}   (the floor)")
    print(f"{'bare durable commit (SQLite WAL, FULL)':48} {c:9.0f} {'-':>8}   (the disk)")
    print(f"{'naive: whole workflow → SQLite every step':48} {n['us_task']:9.0f} {n['bytes']:8}   -")
    print(f"{'tilbolig service (SQLite, synchronous=FULL)':48} {s['us_task']:9.0f} {s['bytes']:8}   "
          f"≤ 1.6×(raw+commit) = {floor:.0f}: {'met' if s['us_task'] <= floor else 'NOT met'}")
    speedup = n["us_task"] / s["us_task"]
    print(f"{'service vs naive (× faster)':48} {speedup:9.2f} {'':8}   ≥ 1.5: {'met' if speedup >= 1.5 else 'NOT met'}")
    print(f"{'stored per finished case (state bytes)':48} {'':9} {s['bytes']:8}   ≤ 20 KB incl. history: "
          f"{'met (state only)' if s['bytes'] <= 20_000 else 'NOT met'}")
    print(f"{'service CPU time per task (no disk wait)':48} {s['cpu_us_task']:9.0f}")
    print(f"{'SQL statements per step (deterministic)':48} {s['statements']:9.1f}")
    return m


if __name__ == "__main__":
    main()
