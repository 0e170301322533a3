"""Changes to a case's consent: recorded from the samtykke form, withdrawn, renewed before it lapses.

Each is a case change through the unit of work (audited, versioned, told to webhook subscribers):

* :func:`project` is a change hook (registered in ``create_app``): a completed consent form — the
  BPMN task «Gi samtykke» or the bydel's renewal task — becomes the case's current consent in the
  ``consents`` projection, in the same transaction.
* :func:`withdraw` is the resident's «Trekk tilbake samtykket» on Min side (or a caseworker
  recording an oral withdrawal): effective at once, since every read asks the projection.
* :func:`open_due_renewals` is run by the timer worker: ``RENEW_DAYS_BEFORE`` days before a valid
  consent lapses, the bydel gets a task «Forny samtykke» (a task the service opens itself, not one
  of the diagram, so the diagrams stay as the process owners drew them).
"""
from __future__ import annotations

import logging
import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask

from engine import clock
from engine.access import consent, sharing
from engine.access import rules as access
from engine.bpmn import lanes
from engine.bpmn.lanes import Actor
from engine.cases import unit_of_work
from engine.cases.changes import Change
from engine.cases.unit_of_work import CaseUnitOfWork, get_case
from engine.errors import Conflict, Forbidden
from engine.extensions import db
from engine.store import status
from engine.store.consent import Consent
from engine.store.models import Case, OpenTask

log = logging.getLogger(__name__)

RENEWAL_ORIGIN = "samtykke"
RENEWAL_ELEMENT = "forny_samtykke"
RENEWAL_NAME = "Forny samtykke til informasjonsdeling"


def init_app(app: Flask) -> None:
    registry = unit_of_work.hooks(app)
    if project not in registry.on_changes:
        registry.on_changes.append(project)


# -- recording (the change hook) -----------------------------------------------------------------

def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def project(case_id: int, changes: list[Change]) -> None:
    """Change hook: every completed consent form in ``changes`` becomes the case's current consent."""
    for ch in changes:
        data = ch.data or {}
        values = data.get("values")
        if ch.type == "task.completed" and data.get("form") == sharing.CONSENT_FORM and isinstance(values, dict):
            # recorded by a caseworker (for the resident, or in the bydel's renewal task) unless the resident did it
            on_behalf = bool(data.get("on_behalf_of_resident")) or data.get("lane") != lanes.BEBOER
            record(case_id, values, ch.actor, on_behalf, ch.task_id)


def record(case_id: int, values: dict[str, Any], actor: Actor | None, on_behalf: bool, task_id: str | None,
           now: datetime | None = None) -> Consent:
    """Supersede the current consent with the one ``values`` (a valid samtykke form) describe.

    Not committed here: the caller's unit of work commits it with the change that gave it.  A
    consent refused (``samtykke_gitt`` false) is recorded too — it is the answer, and it shares nothing.
    """
    now = now or clock.now()
    db.session.execute(sa.update(Consent).where(Consent.case_id == case_id, Consent.superseded_at.is_(None))
                       .values(superseded_at=now))
    db.session.execute(sa.delete(OpenTask).where(OpenTask.case_id == case_id, OpenTask.origin == RENEWAL_ORIGIN,
                                                 OpenTask.id != (task_id or "")))
    given = values.get("samtykke_gitt") is True
    until = _date(values.get("samtykke_gyldig_til")) if given else None
    row = Consent(
        case_id=case_id, given=given,
        categories=[c for c in values.get("samtykke_opplysninger") or [] if c in sharing.CATEGORIES] if given else [],
        directions=[d for d in values.get("samtykke_deling") or [] if d in sharing.DIRECTIONS] if given else [],
        other_recipients=list(values.get("samtykke_mottakere") or []) if given else [],
        given_on=_date(values.get("samtykke_dato")), valid_until=until, recorded_at=now,
        recorded_by_id=actor.user_id if actor else None, on_behalf=on_behalf, task_id=task_id,
        renewal_due_at=consent.renewal_due(until) if until else None)
    db.session.add(row)
    return row


# -- withdrawal ---------------------------------------------------------------------------------

def withdraw(actor: Actor, case_id: int) -> Case:
    """Withdraw the case's valid consent now; the resident, or a caseworker on the resident's behalf.

    Audited as ``consent.withdrawn`` (the timeline of both organisations and the webhook outbox);
    an open renewal task is closed, since there is nothing left to renew.
    """
    case = access.require_read(actor, db.session.get(Case, case_id), "consent_withdraw")
    viewer = consent.viewer_of(actor, access.parties(case))
    if viewer == consent.DRIFT:
        db.session.commit()   # the access-log row
        raise Forbidden("Bare beboeren, eller en saksbehandler på beboerens vegne, kan trekke tilbake samtykket.")
    grant = consent.current(case.id)
    if grant is None or grant.state(clock.today_oslo()) != consent.VALID:
        db.session.commit()   # the access-log row
        raise Conflict("Det er ikke noe gyldig samtykke å trekke tilbake i denne saken.")
    on_behalf = viewer != consent.BEBOER
    now = clock.now()
    with CaseUnitOfWork(case, {"kind": "consent_withdraw"}, actor, require_active=False) as uow:
        db.session.execute(sa.update(Consent).where(Consent.id == grant.id, Consent.withdrawn_at.is_(None))
                           .values(withdrawn_at=now, withdrawn_by_id=actor.user_id))
        db.session.execute(sa.delete(OpenTask).where(OpenTask.case_id == case.id,
                                                     OpenTask.origin == RENEWAL_ORIGIN))
        uow.record(Change("consent.withdrawn", actor, case.resident_user_id if on_behalf else None,
                          data={"consent_id": grant.id, "on_behalf_of_resident": on_behalf}))
        uow.commit(new_status=case.status)
    return get_case(case.id)


# -- renewal --------------------------------------------------------------------------------------

def _due_query(now: datetime) -> Any:
    return (sa.select(Consent.id).join(Case, Case.id == Consent.case_id)
            .where(Consent.renewal_due_at <= now, Consent.renewal_task_id.is_(None), Consent.superseded_at.is_(None),
                   Consent.withdrawn_at.is_(None), Consent.given.is_(True), Case.status.in_(status.ACTIVE))
            .order_by(Consent.renewal_due_at, Consent.id))


def open_due_renewals(now: datetime | None = None, limit: int = 100) -> int:
    """Give the bydel a renewal task for every valid consent within ``RENEW_DAYS_BEFORE`` days of
    lapsing; one case per transaction.  Returns how many were opened (a lost race is skipped: the
    other worker opened it)."""
    now = now or clock.now()
    ids = list(db.session.scalars(_due_query(now).limit(limit)))
    db.session.rollback()
    opened = 0
    for consent_id in ids:
        try:
            opened += _open_renewal(consent_id, now)
        except Conflict:
            db.session.rollback()
            log.info("renewal of consent %s opened by someone else", consent_id)
    return opened


def _open_renewal(consent_id: int, now: datetime) -> int:
    row = db.session.get(Consent, consent_id)
    if row is None or row.renewal_task_id is not None or row.superseded_at is not None or row.withdrawn_at is not None:
        db.session.rollback()
        return 0
    case = get_case(row.case_id)
    task_id = str(uuid.uuid4())
    draft = {"samtykke_gitt": True, "samtykke_opplysninger": list(row.categories or []),
             "samtykke_deling": list(row.directions or []), "samtykke_mottakere": list(row.other_recipients or []),
             "registrert_pa_vegne_av_beboer": True}
    with CaseUnitOfWork(case, {"kind": "consent_renewal"}, None, require_active=False) as uow:
        db.session.add(OpenTask(id=task_id, case_id=case.id, element_id=RENEWAL_ELEMENT, name=RENEWAL_NAME,
                                lane=lanes.BYDEL, role=None, form=sharing.CONSENT_FORM, ui_form=sharing.CONSENT_UI_FORM,
                                organisation_id=case.bydel_id, created_at=now, origin=RENEWAL_ORIGIN, draft=draft,
                                due_at=consent.lapses_at(row.valid_until) if row.valid_until else None))
        row.renewal_task_id = task_id
        uow.record(Change("task.created", element_id=RENEWAL_ELEMENT, task_id=task_id,
                          data={"name": RENEWAL_NAME, "lane": lanes.BYDEL, "role": None}))
        uow.record(Change("consent.renewal_due", element_id=RENEWAL_ELEMENT, task_id=task_id,
                          data={"consent_id": row.id,
                                "valid_until": row.valid_until.isoformat() if row.valid_until else None}))
        uow.commit(new_status=case.status)
    return 1


def complete_renewal(case: Case, row: OpenTask, change: Change) -> Case:
    """Complete a renewal task the service opened: the form's answer becomes the current consent
    (through :func:`project`), and the task is gone — no workflow steps."""
    with CaseUnitOfWork(case, {"kind": "consent_renewed", "task_id": row.id}, change.actor, require_active=False) as uow:
        db.session.execute(sa.delete(OpenTask).where(OpenTask.id == row.id))
        uow.record(change)
        uow.commit(new_status=case.status)
    return get_case(case.id)
