"""The case page of one real-routine case in its stay (#14): the page, its print view and a drilled-down
diagram file, as the bydel reads them.

    .venv/bin/python bench/casepage.py [RUNS]     # BENCH_DATABASE_URL selects PostgreSQL

The case is walked through the service to «Vurder statusrapporten» (ten completed forms of the main
process and three called processes), then each page is fetched RUNS times with the Flask test client
(real templates, consent filtering, the access log written per read).  Prints median and p95 in ms.
"""
from __future__ import annotations

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


def main(runs: int = 50) -> None:
    import time_machine

    from bench.fresh import fresh_app
    from tests.routine.helpers import Routine, deploy_routine, oslo, to_statusrapport

    app = fresh_app("tilbolig-casepage-", SCHEDULER_ENABLED=False, WTF_CSRF_ENABLED=False)
    with app.app_context(), time_machine.travel(oslo("2026-01-05", 9), tick=False) as traveller:
        class Clock:
            def at(self, day: str, hour: int = 8, minute: int = 0) -> None:
                traveller.move_to(oslo(day, hour, minute))
        clock = Clock()
        deploy_routine()
        routine = Routine()
        case_id = routine.open("2026-01-05")
        to_statusrapport(routine, clock, case_id)
        clock.at("2026-04-21", 9)
        client = app.test_client()
        client.post("/logg-inn", data={"username": "kari.gamleoslo", "password": "bench"})
        rows = []
        for label, url in [("case page (GET /saker/<id>)", f"/saker/{case_id}"),
                           ("print view (?utskrift=1)", f"/saker/{case_id}?utskrift=1"),
                           ("called process drawing (diagram.bpmn?prosess=)", f"/saker/{case_id}/diagram.bpmn?prosess=boligavklaring")]:
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                r = client.get(url)
                times.append((time.perf_counter() - t0) * 1000)
                assert r.status_code == 200, (url, r.status_code)
            rows.append((label, runs, statistics.median(times), _pct(times, 0.95)))
    print(f"\nCase page, real routine, a case in its stay ({app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]})")
    print(f"{'operation':52} {'n':>4} {'median ms':>10} {'p95 ms':>8}")
    for label, n, med, p95 in rows:
        print(f"{label:52} {n:>4} {med:>10.1f} {p95:>8.1f}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
