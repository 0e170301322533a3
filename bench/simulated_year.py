"""A simulated year of the real routine: 200 cases, random lateness per step (issue 12).

    .venv/bin/python bench/simulated_year.py [CASES] [SEED]     # BENCH_DATABASE_URL selects PostgreSQL

Every case is driven through the service (use cases, one transaction per step, the timer worker
every simulated morning) with the real ``processes/`` and ``forms/``.  The deadlines each case missed
are counted independently from its audit trail and PROCESS.md (``tests/routine/simulation.py``) and
compared with the leaders' follow-ups: the two counts must be equal, per case and per step.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main(cases: int = 200, seed: int = 2026) -> int:
    import time_machine

    from bench.fresh import fresh_app
    from tests.routine.helpers import Routine, deploy_routine, oslo
    from tests.routine.simulation import Year, report

    app = fresh_app("tilbolig-year-", SCHEDULER_ENABLED=False)
    with app.app_context():
        with time_machine.travel(oslo("2026-01-01"), tick=False) as traveller:
            deploy_routine()
            result = Year(Routine(), traveller, n=cases, seed=seed).run()
    print(report(result))
    for case_id, missed, escalated in result.mismatches[:10]:
        print(f"  case {case_id}: missed {dict(missed)} escalated {dict(escalated)}")
    equal = result.missed == result.escalated and not result.mismatches
    print("EQUAL" if equal else "NOT EQUAL")
    return 0 if equal else 1


if __name__ == "__main__":
    sys.exit(main(*(int(a) for a in sys.argv[1:3])))
