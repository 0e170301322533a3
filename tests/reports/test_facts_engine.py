"""The projection writes the right facts: two cases of one resident driven through the real routine.

Case A moves to a dwelling on 15 June 2026 with the samtykke done eight days late; case B, the same
resident back at the institution on 1 September, misses the plan's deadline and ends early
(«avbrutt»).  The facts are read straight from the tables the report uses.
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from engine import cases
from engine.extensions import db
from engine.store.report_facts import CaseFact, DeadlineRecord, MeetingRecord
from tests.process.examples import henvisning
from tests.routine.helpers import MAIN, to_moving_out


def _open(routine, t0: str) -> int:
    data = {**henvisning(t0), "beboer_fodselsdato": "1980-02-03"}
    return cases.open_case(routine.actors[("bydel", None)], MAIN, "gamle-oslo", "bygdoy",
                           {"name": "Ola Beboer", "username": "beboer.test"}, data).id


def _records(case_id: int) -> dict[str, tuple]:
    rows = db.session.scalars(sa.select(DeadlineRecord).where(DeadlineRecord.case_id == case_id)
                              .order_by(DeadlineRecord.deadline_key, DeadlineRecord.seq))
    return {f"{r.deadline_key}#{r.seq}": (r.due_date.isoformat(), r.state, r.days_late) for r in rows}


def _rollup() -> dict:
    from engine.store.report_facts import DeadlineRollup
    return {tuple(r[:6]): r[6] for r in db.session.execute(sa.select(
        DeadlineRollup.deadline_key, DeadlineRollup.bydel_id, DeadlineRollup.institution_id, DeadlineRollup.due_month,
        DeadlineRollup.state, DeadlineRollup.days_late, DeadlineRollup.n)) if r[6]}


def _counted() -> dict:
    d = DeadlineRecord
    out: dict = {}
    for r in db.session.scalars(sa.select(d)):
        k = (r.deadline_key, r.bydel_id, r.institution_id, r.due_month, r.state, r.days_late or 0)
        out[k] = out.get(k, 0) + 1
    return out


def test_the_projection_records_every_deadline_milestone_meeting_and_the_readmission(routine, clock):
    # given case A: the start phase with the samtykke given on 20 January (due 12 January)
    clock.at("2026-01-05", 9)
    a = _open(routine, "2026-01-05")
    for day, element, changes in [
            ("2026-01-05", "innflytting_registrert", {"innflytting": "2026-01-05"}),
            ("2026-01-07", "bydelskontakter", {}),
            ("2026-01-12", "kartlegging", {}), ("2026-01-15", "plan_for_oppholdet", {"plan_startet": "2026-01-15"}),
            ("2026-01-20", "samtykke", {"samtykke_dato": "2026-01-20", "samtykke_gyldig_til": "2027-01-20"}),
            ("2026-01-20", "livskvalitet", {}),
            ("2026-01-29", "forste_samarbeidsmote", {"motedato": "2026-01-29", "bydelen_deltok": False})]:
        clock.at(day, 10)
        routine.run_timers()
        routine.complete(a, element, **changes)
    # … on to T1 = 15 June, sluttrapport, oppfølgingsmøte, the institution's part ends
    to_moving_out(routine, clock, a, {"behov": False})
    clock.at("2026-07-01", 10)
    routine.complete(a, "sluttrapport")
    clock.at("2026-07-10", 10)
    routine.complete(a, "oppfolgingsmote", oppfolgingsmote_dato="2026-07-10")
    clock.at("2026-07-14", 0, 5)
    routine.run_timers()

    # when the same resident comes back on 1 September (case B), misses the plan and leaves early
    clock.at("2026-09-01", 9)
    b = _open(routine, "2026-09-01")
    for day, element, changes in [
            ("2026-09-01", "innflytting_registrert", {"innflytting": "2026-09-01"}),
            ("2026-09-02", "samtykke", {"samtykke_dato": "2026-09-02", "samtykke_gyldig_til": "2027-09-02"}),
            ("2026-09-03", "bydelskontakter", {}), ("2026-09-10", "kartlegging", {})]:
        clock.at(day, 10)
        routine.run_timers()
        routine.complete(b, element, **changes)
    clock.at("2026-09-20", 10)
    routine.run_timers()                        # the plan's deadline (15 September) has passed
    cases.deliver_message(routine.actors[("bydel", None)], b, "opphold_avsluttet", {"arsak": "avbrutt", "dato": "2026-09-20"})
    clock.at("2026-09-25", 10)
    routine.complete(b, "sluttrapport_uten_bolig", avslutningstype="avbrutt", sluttrapport_dato="2026-09-25")

    # then A's deadlines: all kept on time except the samtykke, 8 days late (due 12 Jan, given 20 Jan)
    on_time = {k: v for k, v in _records(a).items() if v[1] == "on_time"}
    assert _records(a) == {**on_time, "samtykke#1": ("2026-01-12", "late", 8)}
    assert sorted(k.split("#")[0] for k in on_time) == sorted(
        ["innflytting", "bydelskontakter", "plan_for_oppholdet", "kartlegging", "forste_samarbeidsmote", "evaluering",
         "statusrapport", "boligmote", "soknader", "utflyttingsmote", "utflyttingsplan", "kriseplan", "sluttrapport",
         "oppfolgingsmote"])
    assert on_time["plan_for_oppholdet#1"][0] == "2026-01-19" and on_time["oppfolgingsmote#1"][0] == "2026-07-13"
    # B: the plan missed (never done), the steps after the early end no longer needed, the sluttrapport kept
    assert _records(b) == {
        "innflytting#1": ("2026-09-01", "on_time", None), "samtykke#1": ("2026-09-08", "on_time", None),
        "bydelskontakter#1": ("2026-09-08", "on_time", None), "kartlegging#1": ("2026-09-29", "on_time", None),
        "plan_for_oppholdet#1": ("2026-09-15", "missed", None),
        "forste_samarbeidsmote#1": ("2026-09-29", "void", None), "statusrapport#1": ("2027-01-01", "void", None),
        "boligmote#1": ("2027-02-01", "void", None), "soknader#1": ("2027-03-01", "void", None),
        "sluttrapport#1": ("2026-10-11", "on_time", None)}
    # the rollup the city view reads counts exactly the rows, bucket by bucket
    assert _rollup() == _counted()
    # and the milestones: T0, offer, T1, the ending, the transition (4 weeks), the follow-up, the readmission
    fa, fb = (db.session.get(CaseFact, a), db.session.get(CaseFact, b))
    assert (fa.t0, fa.offer_on, fa.t1, fa.ending) == (date(2026, 1, 5), date(2026, 5, 28), date(2026, 6, 15), "bolig")
    assert (fa.stay_days, fa.offer_days, fa.transition_days, fa.followup_days) == (161, 18, 28, -14)
    assert (fb.t0, fb.t1, fb.ending, fb.stay_days) == (date(2026, 9, 1), date(2026, 9, 20), "avbrutt", 19)
    assert fa.resident_link == fb.resident_link and len(fa.resident_link) == 64
    assert "Ola" not in fa.resident_link and "1980" not in fa.resident_link
    assert fa.readmit_within == 1 and fb.readmit_within is None
    # the meetings held, with the bydel absent from the first samarbeidsmøte as the form said
    meetings = [(m.meeting, m.held_on.isoformat(), m.bydel_attended, m.institution_attended)
                for m in db.session.scalars(sa.select(MeetingRecord).order_by(MeetingRecord.held_on))]
    assert meetings == [("forste_samarbeidsmote", "2026-01-29", False, True), ("samarbeidsmote", "2026-03-30", True, True),
                        ("boligmote", "2026-05-20", True, True), ("utflyttingsmote", "2026-06-01", True, True),
                        ("oppfolgingsmote", "2026-07-10", True, True)]


def test_backfill_rebuilds_milestones_meetings_and_missed_deadlines_from_the_audit_trail(routine, clock):
    # given a case moved out through the real routine, with its facts wiped (as before the upgrade)
    from engine.reports import backfill, facts, readmission
    clock.at("2026-01-05", 9)
    a = _open(routine, "2026-01-05")
    clock.at("2026-01-20", 10)
    routine.run_timers()                       # innflytting, samtykke, bydelskontakter and plan pass their deadlines
    for element, changes in [("innflytting_registrert", {"innflytting": "2026-01-05"}),
                             ("samtykke", {"samtykke_dato": "2026-01-20", "samtykke_gyldig_til": "2027-01-20"}),
                             ("bydelskontakter", {})]:
        routine.complete(a, element, **changes)   # … and three of them are then done, late
    clock.at("2026-01-29", 10)
    routine.complete(a, "forste_samarbeidsmote", motedato="2026-01-29")
    before = _records(a)
    assert before["samtykke#1"] == ("2026-01-12", "late", 8) and before["plan_for_oppholdet#1"][1] == "missed"
    fact_before = db.session.get(CaseFact, a)
    expected_fact = {c: getattr(fact_before, c) for c in CaseFact.__table__.columns.keys()}  # noqa: SIM118
    meetings_before = db.session.scalar(sa.select(sa.func.count()).select_from(MeetingRecord))
    for model in (DeadlineRecord, MeetingRecord, CaseFact):
        db.session.execute(sa.delete(model))
    db.session.commit()
    # when the backfill runs (twice: it is idempotent)
    link = readmission.make_link(readmission.link_key("test"))
    assert backfill.backfill(link) == {"cases": 1, "skipped": 0}
    assert backfill.backfill(link) == {"cases": 0, "skipped": 1}
    # then milestones and meetings are as the hook wrote them; missed deadlines are back, late, with their days
    db.session.expire_all()
    fact = db.session.get(CaseFact, a)
    assert {c: getattr(fact, c) for c in CaseFact.__table__.columns.keys()}  # noqa: SIM118 == expected_fact
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MeetingRecord)) == meetings_before
    late_before = {k: v for k, v in before.items() if v[1] in ("late", "missed", "open")}
    assert late_before and _records(a) == late_before
    assert _rollup() == _counted()
