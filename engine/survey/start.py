"""Start the year's survey: one ``livskvalitet_aar`` instance per bydel, exactly once per year.

Why here and not in a diagram's timer: the survey is not part of any resident's case — it spans
the bydel's residents on 1 January, which only the service can list.  The scheduler's tick (and
``flask worker``) calls :func:`ensure_started` during January–May, so the instances appear on
1 January and a service that was down then catches up on its first tick; ``flask survey start
--year`` starts a year by hand.  Both are idempotent: the bydel's row is locked (``FOR UPDATE`` on
PostgreSQL) while its instance for the year is looked up and created, and the instance carries
``external_ref = livskvalitet:<year>:<bydel>``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from engine import cases, clock
from engine.bpmn.lanes import Actor
from engine.bpmn.runtime import StepFailed
from engine.errors import EngineFailure, NotFound
from engine.extensions import db
from engine.processes import deployments, runtime_state
from engine.store import status
from engine.store.models import Case, Organisation
from engine.survey.scope import in_scope

PROCESS_KEY = "livskvalitet_aar"
#: The survey period (Oslostandard tiltak 9: «hvert år i perioden januar – mai»); the automatic start
#: acts only inside it, so a service first started in the autumn does not open a year already over.
LAST_AUTOSTART = (5, 31)


def external_ref(year: int, slug: str) -> str:
    return f"livskvalitet:{year}:{slug}"


def title(year: int) -> str:
    """The instance's name in lists (it has no resident: the registrations name them)."""
    return f"Livskvalitetsmåling {year}"


@dataclass
class StartResult:
    """What one start did: the instances created and those that already existed, by bydel slug."""

    year: int
    started: dict[str, int] = field(default_factory=dict)     # slug -> case id
    existing: dict[str, int] = field(default_factory=dict)
    residents: dict[str, int] = field(default_factory=dict)   # slug -> registrations opened


def survey_cases(year: int) -> dict[int, Case]:
    """The year's survey instances by bydel id."""
    rows = db.session.scalars(sa.select(Case).where(Case.external_ref.like(f"livskvalitet:{year}:%")))
    return {c.bydel_id: c for c in rows}


def start_data(year: int, residents: list[Any]) -> dict[str, Any]:
    """The instance's start data: the deadlines as anchor days and the residents to ask."""
    return {"aar": year, "maling_frist": f"{year}-05-31", "rapport_fra": f"{year}-06-01",
            "rapport_frist": f"{year}-06-30",
            "beboere": [{"sak_id": r.case_id, "navn": r.name} for r in residents]}


def _start_one(year: int, bydel: Organisation, actor: Actor | None) -> tuple[Case, int] | None:
    """Create the bydel's instance unless it exists (caller holds the bydel's row); None if it existed."""
    ref = external_ref(year, bydel.slug)
    if db.session.scalar(sa.select(Case.id).where(Case.external_ref == ref)) is not None:
        return None
    pv = deployments.latest_version(PROCESS_KEY)
    if pv is None:
        raise NotFound(f"Ukjent prosess: {PROCESS_KEY}")
    residents = in_scope(bydel.id, date(year, 1, 1))
    data = start_data(year, residents)
    now = clock.now()
    # The survey is the bydel's own work: no institution is a party, so the bydel stands in both places
    # and only the bydel's caseworkers read it (lanes.is_party).
    case = Case(process_version_id=pv.id, status=status.RUNNING, bydel_id=bydel.id, institution_id=bydel.id,
                resident_user_id=None, resident_name=title(year), external_ref=ref, state="{}", version=0,
                created_at=now, updated_at=now, last_activity_at=now, anchors={})
    db.session.add(case)
    db.session.flush()
    try:
        wf = runtime_state.state().engine.start(deployments.bundle_for(pv.id), {**data, "sak_id": case.id})
    except StepFailed as exc:
        db.session.rollback()
        raise EngineFailure("Livskvalitetsmålingen kunne ikke starte.", exc.element_id, exc.message) from exc
    with cases.CaseUnitOfWork(case, {"kind": "start"}, actor) as uow:
        uow.use_workflow(wf)
        uow.record(cases.Change("case.opened", actor, data={
            "process_key": PROCESS_KEY, "version": pv.version, "survey_year": year, "residents": len(residents)}))
        uow.commit()
    return case, len(residents)


def start_year(year: int, actor: Actor | None = None) -> StartResult:
    """Start ``year``'s survey in every bydel that has none yet (idempotent); what was done."""
    result = StartResult(year)
    bydeler = list(db.session.execute(
        sa.select(Organisation.id, Organisation.slug).where(Organisation.kind == "bydel").order_by(Organisation.id)))
    for bydel_id, slug in bydeler:
        # Lock the bydel while looking: two workers ticking at once create one instance (PostgreSQL).
        bydel = db.session.scalar(sa.select(Organisation).where(Organisation.id == bydel_id).with_for_update())
        assert bydel is not None
        made = _start_one(year, bydel, actor)
        if made is None:
            existing = db.session.scalar(sa.select(Case.id).where(Case.external_ref == external_ref(year, slug)))
            db.session.rollback()
            result.existing[slug] = int(existing or 0)
        else:
            result.started[slug], result.residents[slug] = made[0].id, made[1]
    return result


def ensure_started(today: date) -> StartResult | None:
    """The tick's check: inside January–May, start the year's survey where it is missing.

    Cheap when there is nothing to do (one count); None outside the period or before the process is
    deployed.
    """
    if (today.month, today.day) > LAST_AUTOSTART or deployments.latest_version(PROCESS_KEY) is None:
        db.session.rollback()
        return None
    year = today.year
    have = db.session.scalar(sa.select(sa.func.count(Case.id)).where(Case.external_ref.like(f"livskvalitet:{year}:%")))
    bydeler = db.session.scalar(sa.select(sa.func.count(Organisation.id)).where(Organisation.kind == "bydel"))
    db.session.rollback()
    if (have or 0) >= (bydeler or 0):
        return None
    return start_year(year)
