"""Raw in-memory SpiffWorkflow vs. the service layer, same 14-user-task workload, same run.

The service layer persists every step to a SQLite file with ``synchronous=FULL`` (one fsync per
commit): state, open-task and timer projections, audit events and access log in one transaction.
"""
from __future__ import annotations

import os
import statistics
import tempfile
import time

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.spiff.parser import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from bench.workload import FORM, N_TASKS, bpmn


def raw(cases: int) -> dict:
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_str(bpmn(), "bench.bpmn")
    spec, subs = parser.get_spec("bench14"), parser.get_subprocess_specs("bench14")
    t0 = time.perf_counter()
    for _ in range(cases):
        wf = BpmnWorkflow(spec, subs)
        wf.do_engine_steps()
        while not wf.is_completed():
            task = wf.get_tasks(state=TaskState.READY, manual=True)[0]
            task.data.update({"notat": "ok"})
            task.run()
            wf.do_engine_steps()
    elapsed = time.perf_counter() - t0
    return {"cases_s": cases / elapsed, "us_task": elapsed / (cases * N_TASKS) * 1e6, "bytes": None}


def service(cases: int) -> dict:
    os.environ["TILBOLIG_SQLITE_SYNCHRONOUS"] = "FULL"
    from flask_migrate import upgrade

    from engine import cases as case_uc
    from engine import create_app
    from engine.access import demo
    from engine.processes import deployments
    from engine.access.rules import actor_for
    from engine.extensions import db
    from engine.store.models import Case, User
    import sqlalchemy as sa

    tmp = tempfile.mkdtemp(prefix="tilbolig-bench-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db", "TESTING": True})
    with app.app_context():
        upgrade(revision="heads")
        demo.seed_users("bench")
        deployments.deploy({"bench.bpmn": bpmn(), "notat.schema.json": FORM}, None)
        users = {u.username: actor_for(u) for u in db.session.scalars(sa.select(User))}
        lane_actor = {"bydel": users["kari.gamleoslo"], "institusjon": users["ingrid.bygdoy"],
                      "beboer": users["beboer.test"]}
        t0 = time.perf_counter()
        for i in range(cases):
            case = case_uc.open_case(users["kari.gamleoslo"], "bench14", "gamle-oslo", "bygdoy",
                                     {"name": f"Benk {i}", "username": "beboer.test"}, {})
            for _ in range(N_TASKS):
                task = case_uc.case_tasks(case)[0]
                case = case_uc.complete_task(lane_actor[task.lane], task.id, {"notat": "ok"})
        elapsed = time.perf_counter() - t0
        sizes = [len(s) for s in db.session.scalars(sa.select(Case.state))]
    return {"cases_s": cases / elapsed, "us_task": elapsed / (cases * N_TASKS) * 1e6,
            "bytes": int(statistics.mean(sizes))}


def main(cases: int = 100) -> list[tuple]:
    r = raw(cases)
    s = service(cases)
    rows = [("raw SpiffWorkflow (memory)", r), ("tilbolig service (SQLite, synchronous=FULL)", s)]
    print(f"\nEngine workload: {cases} cases × {N_TASKS} user tasks")
    print(f"{'':46} {'cases/s':>10} {'µs/task':>10} {'bytes/case':>11}")
    for name, m in rows:
        print(f"{name:46} {m['cases_s']:10.1f} {m['us_task']:10.0f} {m['bytes'] or '-':>11}")
    print(f"service / raw throughput: {s['cases_s'] / r['cases_s']:.2f} (target ≥ 0.33)")
    return rows


if __name__ == "__main__":
    main()
