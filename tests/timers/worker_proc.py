"""A timer worker in its own process, for the multi-process PostgreSQL tests.

``python -m tests.timers.worker_proc URL drain NAME [BATCH]`` fires everything due and prints
``FIRED n FAILED m``.  ``python -m tests.timers.worker_proc URL hang NAME [BATCH]`` claims a batch,
fires the first case's timer inside its transaction, prints ``HOLDING case_id`` and then waits
forever with its claims and row locks held (to be killed).
"""
from __future__ import annotations

import sys
import threading


def main(url: str, mode: str, name: str, batch: str = "20") -> None:
    from engine import create_app
    from engine.timers import worker as timer_worker

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SCHEDULER_ENABLED": False, "TESTING": True,
                      "TIMER_CLAIM_BATCH": int(batch)})
    with app.app_context():
        if mode == "hang":
            from engine.cases import projections
            original = projections.project_timers

            def project_then_hang(engine, case, wf, now, **kwargs):
                events = original(engine, case, wf, now, **kwargs)
                print(f"HOLDING {case.id}", flush=True)
                threading.Event().wait()      # hold the open transaction until the test kills us
                return events
            projections.project_timers = project_then_hang
        print("READY", flush=True)
        result = timer_worker.drain()
        timer_worker.beat(name, result.timers_fired)
        print(f"FIRED {result.timers_fired} FAILED {len(result.failed)}", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:5])
