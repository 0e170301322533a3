"""Bytes stored per case of the real routine, running and finished, with its history (#15).

A simulated year of the real routine (``tests/routine/simulation.py``: every case driven through
the service with the real ``processes/`` and ``forms/``, the timer worker every simulated morning),
then per case: the stored workflow state (compressed, ``engine/bpmn/state_codec.py``), its JSON
size, and the history — the audit trail rows of the case (their JSON data plus a fixed row size).
Goals (issue 15): ≤ 8 KB running, ≤ 20 KB finished including history.

Then one case at three points (registration, after the start phase, T1): its state stored as
format 2 (SpiffWorkflow's own layout, zstd-3; what every row before format 3 was) and as format 3
(``compact_state``), with the CPU time to dump and to restore each — interleaved, same process, the
task-id cache emptied before each restore, as in a web worker that has not seen the case.

    .venv/bin/python -m bench.storage [CASES]      # BENCH_DATABASE_URL selects PostgreSQL
"""
from __future__ import annotations

import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

ROW_OVERHEAD = 64   # bytes of an audit row besides its JSON (ids, type, timestamps), roughly


def main(cases: int = 40, seed: int = 2026) -> dict:
    import sqlalchemy as sa
    import time_machine

    from bench.fresh import fresh_app
    from engine.bpmn import state_codec
    from engine.extensions import db
    from engine.store.models import AuditEvent, Case
    from tests.routine.helpers import MAIN, Routine, deploy_routine, oslo
    from tests.routine.simulation import Year

    app = fresh_app("tilbolig-storage-", SCHEDULER_ENABLED=False)
    with app.app_context():
        with time_machine.travel(oslo("2026-01-01"), tick=False) as traveller:
            deploy_routine()
            Year(Routine(), traveller, n=cases, seed=seed).run()
        history: dict[int, int] = {}
        for case_id, data in db.session.execute(sa.select(AuditEvent.case_id, AuditEvent.data)):
            history[case_id] = history.get(case_id, 0) + ROW_OVERHEAD + len(json.dumps(data or {}))
        rows = db.session.execute(sa.select(Case.id, Case.status, Case.state).join(Case.process_version)
                                  .where(Case.process_version.has(process_key=MAIN))).all()
    groups: dict[str, list[tuple[int, int, int]]] = {"running": [], "finished": []}
    for case_id, status, blob in rows:
        key = "finished" if status in ("completed", "terminated") else "running"
        groups[key].append((len(blob), len(state_codec.decode_text(blob)), history.get(case_id, 0)))
    print(f"\nStored per case, the real routine after a simulated year ({cases} cases)")
    print(f"  {'':10} {'cases':>5} {'state':>9} {'(as JSON)':>10} {'history':>9} {'total':>9}   goal")
    out = {}
    for key, goal in (("running", 8_000), ("finished", 20_000)):
        g = groups[key]
        if not g:
            print(f"  {key:10} {0:>5}   none in this run")
            continue
        state, text, hist = (statistics.median(x[i] for x in g) for i in range(3))
        total = state + hist if key == "finished" else state
        out[key] = {"state": state, "json": text, "history": hist, "total": total}
        what = "incl. history" if key == "finished" else "state"
        print(f"  {key:10} {len(g):>5} {state:>9,.0f} {text:>10,.0f} {hist:>9,.0f} {total:>9,.0f}   "
              f"≤ {goal // 1000} KB ({what}): {'met' if total <= goal else 'NOT met'}")
    print("  (medians; history = audit rows of the case: their JSON + ~64 bytes a row)")
    return out


def points(rounds: int = 30) -> dict:
    """Bytes, dump and restore CPU time of one routine case's state at three points, format 2 vs 3."""
    import time

    import time_machine

    from bench.fresh import fresh_app
    from engine.bpmn import state_codec, task_codec
    from engine.processes import deployments
    from engine.processes.runtime_state import state as engine_state
    from tests.routine.conftest import Clock
    from tests.routine.helpers import Routine, deploy_routine, oslo, start_phase_on_time, to_moving_out

    app = fresh_app("tilbolig-points-", SCHEDULER_ENABLED=False)
    stored: dict[str, bytes] = {}
    with app.app_context(), time_machine.travel(oslo("2026-01-01"), tick=False) as traveller:
        deploy_routine()
        r, clock = Routine(), Clock(traveller)
        clock.at("2026-01-05", 9)
        case_id = r.open("2026-01-05")
        stored["registration"] = bytes(r.case(case_id).state)
        start_phase_on_time(r, clock, case_id)
        stored["after start phase"] = bytes(r.case(case_id).state)
        to_moving_out(r, clock, case_id)
        stored["T1"] = bytes(r.case(case_id).state)
        engine = engine_state().engine
        bundle = deployments.bundle_for(r.case(case_id).process_version_id)

    def cpu_ms(fn, cold: bool = False) -> float:
        if cold:
            task_codec._IDS.clear()
        t0 = time.process_time()
        fn()
        return (time.process_time() - t0) * 1000

    print(f"\nOne routine case's state, format 2 → format 3 (median CPU ms of {rounds}, interleaved)")
    print(f"  {'':18} {'bytes':>16} {'(JSON)':>8} {'dump ms':>14} {'restore ms':>14}")
    out = {}
    for point, blob in stored.items():
        wf = engine.restore(bundle, blob)
        two = state_codec.encode_text(engine.dump_json(wf))
        three = engine.dump(wf)
        times: dict[str, list[float]] = {k: [] for k in ("d2", "d3", "r2", "r3")}
        for _ in range(rounds):
            times["d2"].append(cpu_ms(lambda: state_codec.encode_text(engine.dump_json(wf))))   # noqa: B023
            times["d3"].append(cpu_ms(lambda: engine.dump(wf)))                                 # noqa: B023
            times["r2"].append(cpu_ms(lambda: engine.restore(bundle, two), cold=True))          # noqa: B023
            times["r3"].append(cpu_ms(lambda: engine.restore(bundle, three), cold=True))        # noqa: B023
        m = {k: statistics.median(v) for k, v in times.items()}
        out[point] = {"bytes2": len(two), "bytes3": len(three), **m}
        print(f"  {point:18} {len(two):>7,} → {len(three):>6,} {len(state_codec.decode_text(two)):>8,} "
              f"{m['d2']:>6.2f} → {m['d3']:>5.2f} {m['r2']:>6.2f} → {m['r3']:>5.2f}")
    print(f"  (load average {os.getloadavg()[0]:.1f})")
    return out


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
    points()
