"""Drive one «Fra institusjon til bolig» case through the engine API with a faked clock.

``Case`` wraps ``ProcessEngine`` (engine/bpmn/runtime.py) and a time-machine traveller: every step
moves the clock to an Oslo date, wakes the case, and completes the open task by its element id with
a form payload that is first validated against the task's own schema. The stage functions below
walk the routine on time, so tests can stop anywhere and let one deadline pass.
"""
from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from jsonschema import Draft202012Validator

from engine.bpmn.catalog import Catalog, load_files
from engine.bpmn.runtime import ProcessEngine, TaskInfo
from tests.process.examples import example, henvisning

ROOT = Path(__file__).resolve().parents[2]
OSLO = ZoneInfo("Europe/Oslo")
MAIN = "institusjon_til_bolig"


def deployment_files() -> dict[str, bytes]:
    paths = [*sorted((ROOT / "processes").glob("*.bpmn")), *sorted((ROOT / "forms").glob("*.json"))]
    return {p.name: p.read_bytes() for p in paths}


@lru_cache(maxsize=1)
def catalog() -> Catalog:
    try:
        return load_files(deployment_files())
    except TypeError as exc:   # pragma: no cover - points at a known engine defect instead of a bare trace
        import pytest
        pytest.fail(f"engine/bpmn/catalog.py could not lint the gateway conditions ({exc}): _expressions() must "
                    "yield cond[0].args[0] (the expression text of a _BpmnCondition), not the object itself")


def oslo(day: str, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=OSLO)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text)


class Case:
    def __init__(self, traveller, data: dict | None = None) -> None:
        self.tm = traveller
        self.eng = ProcessEngine()
        self.bundle = catalog().bundle(MAIN)
        self.wf = self.eng.start(self.bundle, data or henvisning())

    # -- clock --------------------------------------------------------------------------------
    def goto(self, day: str, hour: int = 9, minute: int = 0) -> None:
        self.tm.move_to(oslo(day, hour, minute))
        self.eng.wake(self.wf)

    # -- reading ------------------------------------------------------------------------------
    def ready(self) -> list[TaskInfo]:
        return self.eng.ready_tasks(self.wf)

    def open(self) -> dict[str, str]:
        """element id -> lane of every open task."""
        return {t.element_id: t.lane for t in self.ready()}

    def task(self, element_id: str) -> TaskInfo:
        found = [t for t in self.ready() if t.element_id == element_id]
        assert found, f"{element_id} is not open; open: {sorted(self.open())}"
        return found[0]

    def leaders(self) -> list[TaskInfo]:
        return [t for t in self.ready() if t.role == "leder"]

    def deadlines(self) -> dict[str, datetime]:
        """host element id -> due (aware UTC) of every waiting deadline timer."""
        return {t.host_element_id: t.due for t in self.eng.waiting_timers(self.wf) if t.kind == "deadline"}

    def timers(self) -> dict[str, object]:
        return {t.element_id: t for t in self.eng.waiting_timers(self.wf)}

    def done(self) -> bool:
        return self.eng.is_completed(self.wf)

    # -- acting -------------------------------------------------------------------------------
    def complete(self, element_id: str, **changes) -> None:
        task = self.task(element_id)
        data = example(task.form, **changes)
        schema = self.bundle.form(task.form)
        errors = list(Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).iter_errors(data))
        assert not errors, f"{task.form}: {[e.message for e in errors]}"
        self.eng.complete(self.wf, task.id, data)

    def deliver(self, name: str, payload: dict) -> bool:
        return self.eng.deliver_message(self.wf, name, payload)


# -- the routine, on time (T0 = Monday 5 January 2026) ------------------------------------------
def oppstart(c: Case) -> None:
    c.goto("2026-01-05", 15)
    c.complete("innflytting_registrert")
    c.goto("2026-01-06")
    c.complete("samtykke")
    c.goto("2026-01-07")
    c.complete("livskvalitet")
    c.complete("bydelskontakter")
    c.goto("2026-01-12")
    c.complete("kartlegging")
    c.goto("2026-01-15")
    c.complete("plan_for_oppholdet")
    c.goto("2026-01-29")
    c.complete("forste_samarbeidsmote", motedato="2026-01-29")


def samarbeidsmote_mars(c: Case) -> None:
    c.goto("2026-03-30")
    c.complete("samarbeidsmote_institusjon", motedato="2026-03-30")


def evaluering_april(c: Case) -> None:
    c.goto("2026-04-01")
    c.complete("evaluer_plan", evaluering_dato="2026-04-01")


def statusrapport(c: Case) -> None:
    c.goto("2026-04-20")
    c.complete("statusrapport")
    c.goto("2026-04-22")
    c.complete("vurder_statusrapport")


def boligmote(c: Case) -> None:
    c.goto("2026-05-20")
    c.complete("boligmote")


def soknader(c: Case) -> None:
    c.goto("2026-05-25")
    c.complete("soknader")


def bolig_tilbudt(c: Case, dato: str = "2026-05-28") -> None:
    c.goto(dato)
    assert c.deliver("bolig_tilbudt", {"dato": dato, "bolig": "Kommunal leilighet"})


def utflyttingsmote(c: Case) -> None:
    c.goto("2026-06-01")
    c.complete("utflyttingsmote")


def forbered_utflytting(c: Case) -> None:
    c.goto("2026-06-05")
    c.complete("utflyttingsplan")
    c.complete("kriseplan")


def utflytting(c: Case) -> None:
    c.goto("2026-06-15")
    c.complete("utflytting", utflytting="2026-06-15")


STAGES = [oppstart, samarbeidsmote_mars, evaluering_april, statusrapport, boligmote, soknader, bolig_tilbudt, utflyttingsmote,
          forbered_utflytting, utflytting]


def run_until(c: Case, last) -> None:
    """Run the on-time stages up to and including ``last``."""
    for stage in STAGES:
        stage(c)
        if stage is last:
            return
    raise ValueError(last)
