"""``livskvalitet_aar`` through the engine alone: one registration per resident, the 31 May and 30 June
deadlines, the report that ends the year — and the committed diagram is the generator's output."""
from __future__ import annotations

import sys
from datetime import UTC, datetime

from engine.bpmn.runtime import ProcessEngine
from tests.process.case import ROOT, catalog, oslo


def _start(residents: list[dict]) -> tuple[ProcessEngine, object]:
    eng = ProcessEngine()
    wf = eng.start(catalog().bundle("livskvalitet_aar"), {
        "aar": 2027, "maling_frist": "2027-05-31", "rapport_fra": "2027-06-01", "rapport_frist": "2027-06-30",
        "beboere": residents})
    return eng, wf


def _open(eng, wf) -> list[tuple[str, str | None]]:
    return sorted((t.element_id, t.role) for t in eng.ready_tasks(wf))


def test_one_registration_per_resident_then_the_report(clock):
    clock.move_to(oslo("2027-01-01", 0, 1))
    eng, wf = _start([{"sak_id": 11, "navn": "A"}, {"sak_id": 12, "navn": "B"}, {"sak_id": 13, "navn": "C"}])
    regs = eng.ready_tasks(wf)
    assert [t.element_id for t in regs] == ["registrer_livskvalitet"] * 3
    assert sorted(eng.task_data(wf, t.id)["beboer"]["sak_id"] for t in regs) == [11, 12, 13]
    due = {t.deadline_key: t.due for t in eng.waiting_timers(wf) if t.kind == "deadline"}
    assert due == {"livskvalitet": datetime(2027, 5, 31, 22, 0, tzinfo=UTC)}
    eng.complete(wf, regs[0].id, {"maling_status": "avslatt", "livskvalitet_dato": "2027-02-01"})
    # 31 May passes: the leader follows up, the report opens (1 June), the open registrations stay open
    clock.move_to(oslo("2027-06-01", 0, 1))
    eng.wake(wf)
    assert _open(eng, wf) == [("leder_registrer_livskvalitet", "leder"), ("rapporter_velferdsetaten", "leder"),
                              ("registrer_livskvalitet", None), ("registrer_livskvalitet", None)]
    due = {t.deadline_key: t.due for t in eng.waiting_timers(wf) if t.kind == "deadline"}
    assert due == {"livskvalitet_rapport": datetime(2027, 6, 30, 22, 0, tzinfo=UTC)}
    clock.move_to(oslo("2027-07-01", 0, 1))
    eng.wake(wf)
    assert ("leder_rapporter_velferdsetaten", "leder") in _open(eng, wf)
    report = next(t for t in eng.ready_tasks(wf) if t.element_id == "rapporter_velferdsetaten")
    eng.complete(wf, report.id, {"bekreftet": True})
    assert eng.is_completed(wf) and eng.ready_tasks(wf) == []     # terminate: the year is closed


def test_a_bydel_with_nobody_in_scope_still_reports(clock):
    clock.move_to(oslo("2027-01-01", 0, 1))
    eng, wf = _start([])
    assert eng.ready_tasks(wf) == []
    clock.move_to(oslo("2027-06-01", 0, 1))
    eng.wake(wf)
    assert _open(eng, wf) == [("rapporter_velferdsetaten", "leder")]


def test_the_committed_diagram_is_what_the_generator_writes():
    sys.path.insert(0, str(ROOT / "tools" / "bpmn-gen"))
    try:
        from p_livskvalitet import livskvalitet_aar
    finally:
        sys.path.pop(0)
    assert livskvalitet_aar().to_xml() == (ROOT / "processes" / "livskvalitet-aar.bpmn").read_text(encoding="utf-8")
