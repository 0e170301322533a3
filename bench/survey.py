"""The yearly livskvalitet survey (issue 16): what one bydel's instance costs as its residents grow.

    .venv/bin/python bench/survey.py [N ...]        # BENCH_DATABASE_URL selects PostgreSQL

For each N, a fresh database gets N routine cases in Bydel Gamle Oslo that are in scope on 1 January
(minimal case rows: the scope reads only the case row), then: the start of the year (all 15
bydeler), the mean time of one registration (a step of the instance with N registrations), the
instance's saved state, the bydel's progress page read, and the leader's report (counts frozen).
"""
from __future__ import annotations

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SIZES = (25, 100, 300)
REGISTRATIONS = 20


def _one(n: int) -> dict:
    import sqlalchemy as sa
    import time_machine

    from bench.fresh import fresh_app
    from engine import cases, clock, survey
    from engine.access import users as lookup
    from engine.access.rules import actor_for
    from engine.extensions import db
    from engine.processes import deployments
    from engine.store.models import Case, OpenTask, Organisation
    from tests.routine.helpers import deploy_routine, oslo

    app = fresh_app("tilbolig-survey-", SCHEDULER_ENABLED=False)
    out: dict = {"n": n}
    with app.app_context(), time_machine.travel(oslo("2027-01-01", 0, 1), tick=False) as tm:
        deploy_routine()
        pv = deployments.latest_version("institusjon_til_bolig")
        bydel = db.session.scalar(sa.select(Organisation).where(Organisation.slug == "gamle-oslo"))
        inst = db.session.scalar(sa.select(Organisation.id).where(Organisation.slug == "bygdoy"))
        now = clock.now()
        db.session.execute(sa.insert(Case), [dict(
            process_version_id=pv.id, status="running", bydel_id=bydel.id, institution_id=inst,
            resident_name=f"Beboer {i}", state="{}", version=1, anchors={"innflytting": "2026-10-01"},
            created_at=now, updated_at=now, last_activity_at=now) for i in range(n)])
        db.session.commit()
        t = time.perf_counter()
        survey.start_year(2027)
        out["start_s"] = time.perf_counter() - t
        instance = survey.survey_cases(2027)[bydel.id]
        out["state_kb"] = len(db.session.get(Case, instance.id).state) / 1024
        kari = actor_for(lookup.by_username("kari.gamleoslo"))
        tm.move_to(oslo("2027-03-01", 10))
        tasks = list(db.session.scalars(sa.select(OpenTask.id).where(OpenTask.case_id == instance.id)))
        times = []
        for tid in tasks[:REGISTRATIONS]:
            t = time.perf_counter()
            cases.complete_task(kari, tid, {"maling_status": "gjennomfort", "livskvalitet_dato": "2027-03-01",
                                            "livet_samlet": 5})
            times.append(time.perf_counter() - t)
        out["register_ms"] = statistics.mean(times) * 1000
        t = time.perf_counter()
        progress = survey.bydel_progress(kari, 2027)
        out["progress_ms"] = (time.perf_counter() - t) * 1000
        assert progress.done == min(n, REGISTRATIONS)
        tm.move_to(oslo("2027-06-02", 9))
        cases.wake_case(instance.id)
        (report,) = db.session.scalars(sa.select(OpenTask.id).where(
            OpenTask.case_id == instance.id, OpenTask.element_id == "rapporter_velferdsetaten"))
        t = time.perf_counter()
        cases.complete_task(actor_for(lookup.by_username("leder.gamleoslo")), report, {"bekreftet": True})
        out["report_ms"] = (time.perf_counter() - t) * 1000
    return out


def main(sizes: tuple[int, ...] = SIZES) -> None:
    rows = [_one(n) for n in sizes]
    print("\nlivskvalitet survey: one bydel's instance (issue 16)")
    print("| residents | start of the year (15 bydeler) | state | one registration | progress read | report |")
    print("|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['n']} | {r['start_s']:.2f} s | {r['state_kb']:.0f} KB | {r['register_ms']:.0f} ms | "
              f"{r['progress_ms']:.0f} ms | {r['report_ms']:.0f} ms |")


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or SIZES)
