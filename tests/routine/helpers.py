"""The real routine («Fra institusjon til bolig», ``processes/`` + ``forms/``) driven through the service.

Every step is a use case in its own transaction, as in production: a case opened by the bydel,
tasks completed by caseworkers of the lane's organisation (leaders for follow-ups, the resident for
own tasks), messages delivered, and the timer worker draining what is due — on whatever database
the test session uses (SQLite or PostgreSQL).  Time is moved by the caller with time-machine.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from engine import cases, clock
from engine.access.rules import actor_for
from engine.extensions import db
from engine.processes import deployments
from engine.store.models import AuditEvent, Case, OpenTask, Timer, User
from engine.timers import worker
from tests.process.examples import example, henvisning

ROOT = Path(__file__).resolve().parents[2]
OSLO = ZoneInfo("Europe/Oslo")
MAIN = "institusjon_til_bolig"

#: Who completes a task: lane (and leader role) → demo user.
ACTORS = {("bydel", None): "kari.gamleoslo", ("bydel", "leder"): "leder.gamleoslo",
          ("institusjon", None): "ingrid.bygdoy", ("institusjon", "leder"): "leder.bygdoy",
          ("beboer", None): "beboer.test"}


def oslo(day: str, hour: int = 8, minute: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=OSLO)


def deploy_routine() -> None:
    deployments.deploy(deployments.read_paths([str(ROOT / "processes"), str(ROOT / "forms")]), None)


class Routine:
    """Acts on cases of the real routine as the demo users would."""

    def __init__(self) -> None:
        users = {u.username: u for u in db.session.scalars(sa.select(User))}
        self.actors = {key: actor_for(users[name]) for key, name in ACTORS.items()}

    # -- acting -------------------------------------------------------------------------------
    def open(self, innflytting: str, name: str = "Ola Beboer") -> int:
        """The bydel registers a case with planned T0 = ``innflytting``."""
        case = cases.open_case(self.actors[("bydel", None)], MAIN, "gamle-oslo", "bygdoy",
                               {"name": name, "username": "beboer.test"}, henvisning(innflytting))
        return case.id

    def complete(self, case_id: int, element_id: str, **changes: Any) -> None:
        """Complete the open task ``element_id`` with the form's example answers (plus ``changes``)."""
        row = self.task(case_id, element_id)
        form = row.form.rsplit("/", 1)[-1]
        actor = self.actors[(row.lane, row.role)]
        cases.complete_task(actor, row.id, example(form, **changes))

    def offer(self, case_id: int, dato: str) -> None:
        """The housing office's «bolig_tilbudt», registered by the bydel."""
        cases.deliver_message(self.actors[("bydel", None)], case_id, "bolig_tilbudt",
                              {"dato": dato, "bolig": "Kommunal leilighet, Tøyen"})

    @staticmethod
    def run_timers() -> int:
        """One run of the timer worker; the number of timers fired."""
        return worker.drain().timers_fired

    # -- reading ------------------------------------------------------------------------------
    @staticmethod
    def tasks(case_id: int) -> dict[str, OpenTask]:
        rows = db.session.scalars(sa.select(OpenTask).where(OpenTask.case_id == case_id).order_by(OpenTask.created_at))
        return {r.element_id: r for r in rows}

    def task(self, case_id: int, element_id: str) -> OpenTask:
        found = self.tasks(case_id)
        assert element_id in found, f"{element_id} is not open; open: {sorted(found)}"
        return found[element_id]

    @staticmethod
    def events(case_id: int, *types: str) -> list[AuditEvent]:
        return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.case_id == case_id,
                                                                   AuditEvent.type.in_(types))
                                       .order_by(AuditEvent.id)))

    def escalations(self, case_id: int) -> Counter:
        """Leader follow-ups ever created in the case, by element id."""
        return Counter(e.element_id for e in self.events(case_id, "task.created") if (e.data or {}).get("role") == "leder")

    @staticmethod
    def deadlines(case_id: int) -> dict[str, datetime]:
        """The step each waiting deadline guards → its due time (UTC)."""
        rows = db.session.scalars(sa.select(Timer).where(Timer.case_id == case_id, Timer.kind == "deadline"))
        return {r.host_element_id: clock.as_utc(r.due_at) for r in rows if r.due_at is not None}

    @staticmethod
    def case(case_id: int) -> Case:
        db.session.expire_all()
        return db.session.get(Case, case_id)


def start_phase_on_time(r: Routine, clock: Any, case_id: int) -> None:
    """T0 = 5 January 2026: the start phase done on time (as ``tests/process/case.oppstart``)."""
    for day, element, changes in [
            ("2026-01-05", "innflytting_registrert", {"innflytting": "2026-01-05"}),
            ("2026-01-06", "samtykke", {}), ("2026-01-07", "livskvalitet", {}), ("2026-01-07", "bydelskontakter", {}),
            ("2026-01-12", "kartlegging", {}), ("2026-01-15", "plan_for_oppholdet", {"plan_startet": "2026-01-15"}),
            ("2026-01-29", "forste_samarbeidsmote", {"motedato": "2026-01-29"})]:
        clock.at(day, 10)
        r.run_timers()
        r.complete(case_id, element, **changes)


def to_statusrapport(r: Routine, clock: Any, case_id: int) -> None:
    """The start phase on time, the plan evaluated on 1 April and the statusrapport written on 20 April
    2026: the bydel's «Vurder statusrapporten» is open."""
    start_phase_on_time(r, clock, case_id)
    for day, element, changes in [("2026-04-01", "evaluer_plan", {"evaluering_dato": "2026-04-01"}),
                                  ("2026-04-20", "statusrapport", {})]:
        clock.at(day, 10)
        r.run_timers()
        r.complete(case_id, element, **changes)


def to_boligmote(r: Routine, clock: Any, case_id: int) -> None:
    """To the statusrapport, then assessed on 22 April and the boligmøte held by 20 May 2026."""
    to_statusrapport(r, clock, case_id)
    for day, element, changes in [("2026-04-22", "vurder_statusrapport", {}),
                                  ("2026-05-20", "boligmote", {"boligmote_dato": "2026-05-20"})]:
        clock.at(day, 10)
        r.run_timers()
        r.complete(case_id, element, **changes)


def offered_with_moving_day(r: Routine, clock: Any, case_id: int) -> None:
    """After the boligmøte: an offer on 22 May, the utflyttingsmøte on 1 June planning the move for
    15 June 2026, and the kriseplan made on 5 June (what Min side tells the resident)."""
    clock.at("2026-05-22", 10)
    r.offer(case_id, "2026-05-22")
    clock.at("2026-06-01", 10)
    r.run_timers()
    r.complete(case_id, "utflyttingsmote", utflyttingsmote_dato="2026-06-01", planlagt_utflytting="2026-06-15")
    clock.at("2026-06-05", 10)
    r.complete(case_id, "kriseplan")


def to_moving_out(r: Routine, clock: Any, case_id: int, overgangsavtale: dict | None = None) -> None:
    """From the start phase to T1 = 15 June 2026, on time, with an offer on 28 May."""
    for day, action in [
            ("2026-03-30", lambda: r.complete(case_id, "samarbeidsmote_institusjon", motedato="2026-03-30")),
            ("2026-04-01", lambda: r.complete(case_id, "evaluer_plan", evaluering_dato="2026-04-01")),
            ("2026-04-20", lambda: r.complete(case_id, "statusrapport")),
            ("2026-04-22", lambda: r.complete(case_id, "vurder_statusrapport")),
            ("2026-05-20", lambda: r.complete(case_id, "boligmote", boligmote_dato="2026-05-20")),
            ("2026-05-25", lambda: r.complete(case_id, "soknader")),
            ("2026-05-28", lambda: r.offer(case_id, "2026-05-28")),
            ("2026-06-01", lambda: r.complete(case_id, "utflyttingsmote", utflyttingsmote_dato="2026-06-01",
                                              planlagt_utflytting="2026-06-15")),
            ("2026-06-05", lambda: r.complete(case_id, "utflyttingsplan", **(
                {"overgangsavtale": overgangsavtale} if overgangsavtale else {}))),
            ("2026-06-05", lambda: r.complete(case_id, "kriseplan")),
            ("2026-06-15", lambda: r.complete(case_id, "utflytting", utflytting="2026-06-15"))]:
        clock.at(day, 10)
        r.run_timers()
        action()
