"""A simulated year of the routine: many cases, random lateness per step, and an independent count
of the deadlines they missed, to compare with the escalations the service made.

Each simulated day at 08:00 in Oslo: the timer worker runs (as it would have all night), offers that
arrive that day are delivered, and every open task whose planned day has come is completed.  When a
task is first seen open its day is drawn: on time (before its deadline's last day), late (after it)
or never.  The deadlines a case missed are then counted from the audit trail's completion dates and
the rules of PROCESS.md, computed here with ``dateutil`` alone — not with the service's own code — and
compared, per case and per step, with the leaders' follow-ups.  Used by
``tests/routine/test_simulated_year.py`` (20 cases) and ``bench/simulated_year.py`` (200 cases).
"""
from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import holidays
import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from engine import clock
from engine.extensions import db
from engine.store.models import OpenTask
from tests.routine.helpers import OSLO, Routine, oslo

#: Deadlines counted from T0 (PROCESS.md): step element id → (months, days).
FROM_T0 = {"innflytting_registrert": (0, 0), "samtykke": (0, 7), "bydelskontakter": (0, 7),
           "plan_for_oppholdet": (0, 14), "kartlegging": (0, 28), "forste_samarbeidsmote": (0, 28),
           "statusrapport": (4, 0), "boligmote": (5, 0), "soknader": (6, 0)}
#: A dwelling offered on or before the last day makes these unnecessary.
SETTLED_BY_OFFER = {"statusrapport", "boligmote", "soknader"}
#: The leader's follow-up for each step (a watch names it after its key, a boundary after its host).
FOLLOW_UP = {"leder_innflytting": "innflytting_registrert", **{f"leder_{s}": s for s in FROM_T0 if s != "innflytting_registrert"},
             "leder_evaluer_plan": "evaluer_plan", "leder_utflyttingsmote": "utflyttingsmote",
             "leder_utflyttingsplan": "utflyttingsplan", "leder_kriseplan": "kriseplan",
             "leder_sluttrapport": "sluttrapport", "leder_oppfolgingsmote": "oppfolgingsmote"}
NO_HOLIDAYS = holidays.country_holidays("NO", years=range(2025, 2029))


def _working_day(d: date) -> date:
    while d.weekday() >= 5 or d in NO_HOLIDAYS:
        d += timedelta(days=1)
    return d


@dataclass
class SimCase:
    """One simulated case: its random plan and what happened."""

    id: int
    t0: date                              # planned T0
    registered: date
    t0_actual: date                       # what the institution registers
    offer: date | None
    rng: random.Random
    planned_t1: date | None = None
    scheduled: dict[str, date | None] = field(default_factory=dict)    # open task id → day to complete


@dataclass
class Result:
    cases: int
    missed: Counter
    escalated: Counter
    mismatches: list[tuple[int, Counter, Counter]]
    completed_tasks: int
    seconds: float


class Year:
    """Runs ``n`` cases through a simulated year (seeded, so a failure can be replayed)."""

    def __init__(self, routine: Routine, traveller: Any, n: int, seed: int = 12, start: date = date(2026, 1, 1),
                 days: int = 365, p_late: float = 0.25, p_never: float = 0.04) -> None:
        self.r, self.tm, self.n, self.start, self.days = routine, traveller, n, start, days
        self.end = start + timedelta(days=days - 1)
        self.p_late, self.p_never = p_late, p_never
        self.rng = random.Random(seed)
        self.cases: dict[int, SimCase] = {}
        self.completed = 0

    # -- planning -----------------------------------------------------------------------------
    def _plan_case(self) -> tuple[date, date, date, date | None]:
        rng = self.rng
        t0 = self.start + timedelta(days=rng.randint(4, 90))
        registered = max(self.start, t0 - timedelta(days=rng.randint(0, 10)))
        actual = t0 + timedelta(days=rng.randint(1, 3)) if rng.random() < 0.2 else t0
        roll = rng.random()
        offer = (t0 + timedelta(days=rng.randint(20, 60)) if roll < 0.1 else
                 t0 + timedelta(days=rng.randint(90, 210)) if roll < 0.85 else None)
        return t0, registered, actual, offer

    def _last_day(self, c: SimCase, element: str, today: date) -> date | None:
        """The last day of the step's deadline as far as the simulation knows it when the step opens."""
        if element in FROM_T0:
            months, days = FROM_T0[element]
            return c.t0_actual + relativedelta(months=months, days=days) if element != "innflytting_registrert" \
                else c.t0
        if element == "utflyttingsmote" and c.offer:
            return _working_day(c.offer + timedelta(days=5))
        if element in ("utflyttingsplan", "kriseplan"):
            return c.planned_t1
        if element == "evaluer_plan":
            return today + timedelta(days=14)          # opens two weeks before its deadline
        return None

    def _decide(self, c: SimCase, row: Any, today: date) -> date | None:
        """The day a newly opened task will be completed (None: never)."""
        rng, element = c.rng, row.element_id
        if element == "utflytting":
            return max(today, c.planned_t1 or today) + timedelta(days=rng.choice([0, 0, 0, 2, 5]))
        last = self._last_day(c, element, today)
        if element in ("sluttrapport", "oppfolgingsmote"):
            last = today + timedelta(days=21 if element == "sluttrapport" else 28)
        if last is None:                                # no deadline: done within a week or two
            return today + timedelta(days=rng.randint(0, 12))
        roll = rng.random()
        if roll < self.p_never:
            return None
        if roll < self.p_never + self.p_late:
            return max(today, last) + timedelta(days=rng.randint(1, 30))
        if element == "innflytting_registrert":
            return max(today, c.t0_actual)
        return today + timedelta(days=rng.randint(0, max(0, (last - today).days)))

    def _answers(self, c: SimCase, element: str, day: date) -> dict[str, Any]:
        iso = day.isoformat()
        if element == "innflytting_registrert":
            return {"innflytting": c.t0_actual.isoformat()}
        if element == "plan_for_oppholdet":
            return {"plan_startet": iso}
        if element in ("forste_samarbeidsmote", "samarbeidsmote_institusjon", "samarbeidsmote_bydel"):
            return {"motedato": iso}
        if element == "evaluer_plan":
            return {"evaluering_dato": iso}
        if element == "boligmote":
            return {"boligmote_dato": iso}
        if element == "vurder_statusrapport" and c.rng.random() < 0.2:
            return {"statusrapport_tilstrekkelig": False, "statusrapport_mangler": "Mangler økonomi."}
        if element == "utflyttingsmote":
            c.planned_t1 = day + timedelta(days=c.rng.randint(14, 30))
            return {"utflyttingsmote_dato": iso, "planlagt_utflytting": c.planned_t1.isoformat()}
        if element == "utflytting":
            return {"utflytting": iso}
        if element == "avklar_botid":
            return {"botid_beslutning": "forlenget", "botid_forlenget_til": (day + timedelta(days=60)).isoformat()}
        return {}

    # -- running ------------------------------------------------------------------------------
    def run(self) -> Result:
        import time
        began = time.perf_counter()
        plans = sorted((self._plan_case() for _ in range(self.n)), key=lambda p: p[1])
        pending = list(plans)
        for offset in range(self.days):
            today = self.start + timedelta(days=offset)
            self.tm.move_to(oslo(today.isoformat(), 8))
            self.r.run_timers()
            while pending and pending[0][1] <= today:
                t0, registered, actual, offer = pending.pop(0)
                case_id = self.r.open(t0.isoformat(), name=f"Beboer {len(self.cases) + 1}")
                self.cases[case_id] = SimCase(case_id, t0, registered, actual, offer,
                                              random.Random(self.rng.random()))
            for c in self.cases.values():
                if c.offer == today:
                    self.r.offer(c.id, today.isoformat())
            self._work(today)
        return self._result(time.perf_counter() - began)

    def _work(self, today: date) -> None:
        """Complete what is planned for today; newly opened tasks (also those opened by this) get a day."""
        for _ in range(6):                               # a completion can open the next task the same day
            rows = db.session.execute(sa.select(OpenTask.id, OpenTask.case_id, OpenTask.element_id)
                                      .where(OpenTask.case_id.in_(list(self.cases)))
                                      .order_by(OpenTask.case_id, OpenTask.created_at, OpenTask.element_id)).all()
            db.session.rollback()
            done_any = False
            for row in rows:
                c = self.cases[row.case_id]
                if row.id not in c.scheduled:
                    c.scheduled[row.id] = self._decide(c, row, today)
                day = c.scheduled[row.id]
                if day is not None and day <= today:
                    if db.session.get(OpenTask, row.id) is None:     # closed by an earlier completion today
                        continue
                    self.r.complete(c.id, row.element_id, **self._answers(c, row.element_id, today))
                    self.completed += 1
                    done_any = True
            if not done_any:
                return

    # -- counting -----------------------------------------------------------------------------
    def _result(self, seconds: float) -> Result:
        missed, escalated, mismatches = Counter(), Counter(), []
        for c in self.cases.values():
            m = self.missed(c)
            e = Counter({FOLLOW_UP[k]: v for k, v in self.r.escalations(c.id).items() if k in FOLLOW_UP})
            missed += m
            escalated += e
            if m != e:
                mismatches.append((c.id, m, e))
        return Result(len(self.cases), missed, escalated, mismatches, self.completed, seconds)

    def missed(self, c: SimCase) -> Counter:
        """The deadlines case ``c`` missed, from its audit trail and PROCESS.md alone."""
        done: dict[str, list[date]] = {}
        for e in self.r.events(c.id, "task.completed", "message.received"):
            key = e.element_id if e.type == "task.completed" else f"melding:{(e.data or {}).get('name')}"
            done.setdefault(key, []).append(_day(e.at))
        first = {k: v[0] for k, v in done.items()}
        stay_end = first.get("utflytting", date.max)
        offered = first.get("melding:bolig_tilbudt")
        t0_registered = first.get("innflytting_registrert")
        out: Counter = Counter()

        def check(step: str, last: date, completed: date | None, active: bool = True) -> None:
            if active and last < self.end and last < stay_end and (completed is None or completed > last):
                out[step] += 1

        for step, (months, days) in FROM_T0.items():
            last = c.t0 + relativedelta(months=months, days=days)
            if step != "innflytting_registrert" and t0_registered and t0_registered <= last:
                last = c.t0_actual + relativedelta(months=months, days=days)     # re-armed from the actual T0
            settled = step in SETTLED_BY_OFFER and offered is not None and offered <= last
            check(step, last, first.get(step), not settled)
        if offered:
            check("utflyttingsmote", _working_day(offered + timedelta(days=5)), first.get("utflyttingsmote"))
        if c.planned_t1 and "utflyttingsmote" in first:
            for step in ("utflyttingsplan", "kriseplan"):
                check(step, c.planned_t1, first.get(step))
        previous = first.get("plan_for_oppholdet")
        evaluations = done.get("evaluer_plan", [])
        i = 0
        while previous is not None:
            last = previous + relativedelta(months=3)
            completed = evaluations[i] if i < len(evaluations) else None
            check("evaluer_plan", last, completed)
            previous, i = completed, i + 1
        if stay_end != date.max:                         # after T1 the case runs until both are done
            for step, weeks in (("sluttrapport", 3), ("oppfolgingsmote", 4)):
                last = stay_end + timedelta(weeks=weeks)
                if last < self.end and (first.get(step) is None or first[step] > last):
                    out[step] += 1
        return out


def _day(at: datetime) -> date:
    return clock.as_utc(at).astimezone(OSLO).date()


def report(result: Result) -> str:
    lines = [f"simulated year: {result.cases} cases, {result.completed_tasks} tasks completed, {result.seconds:.1f} s",
             f"missed deadlines: {sum(result.missed.values())}   escalations: {sum(result.escalated.values())}",
             f"{'step':<24}{'missed':>8}{'escalated':>11}"]
    for step in sorted(set(result.missed) | set(result.escalated)):
        lines.append(f"{step:<24}{result.missed[step]:>8}{result.escalated[step]:>11}")
    return "\n".join(lines)
