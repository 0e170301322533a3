"""Bytes stored per case of the real routine, running and finished, with its history (#15).

A simulated year of the real routine (``tests/routine/simulation.py``: every case driven through
the service with the real ``processes/`` and ``forms/``, the timer worker every simulated morning),
then per case: the stored workflow state (compressed, ``engine/bpmn/state_codec.py``), its JSON
size, and the history — the audit trail rows of the case (their JSON data plus a fixed row size).
Goals (issue 15): ≤ 8 KB running, ≤ 20 KB finished including history.

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


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
