"""Plan, move and cancel a meeting — one transaction each: the meeting rows, the audit change, the mails.

Why not through the workflow: planning a meeting does not step the process (the minutes task stays
open until the meeting is held), so the change is written with ``record_case_changes`` — audit row
and change hooks (notifications, report facts) in the same transaction as the meeting rows and the
invitation mails in the outbox.  A crash before the commit loses all of it; after it, the worker
sends each mail exactly once.

Who may: a caseworker of the organisation whose lane holds the minutes task (the convenor; FK 2.1),
while that task is open.  Participants are people who may see the case — caseworkers of its bydel
and institution and the resident (by the e-mail of their account, if any).  A move or a cancel names
the SEQUENCE it was made against: a planner working on an older version gets 409, nothing is lost.
"""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from engine import clock
from engine.access import rules as access
from engine.bpmn import lanes
from engine.bpmn.lanes import Actor, Capacity
from engine.cases.changes import Change
from engine.cases.unit_of_work import record_case_changes
from engine.errors import Conflict, Forbidden, NotFound, Unprocessable
from engine.extensions import db
from engine.meetings import invitations, kinds
from engine.store import status
from engine.store.meetings import CANCELLED, PLANNED, Meeting, MeetingParticipant
from engine.store.models import Case, OpenTask, User

STALE = "Møtet er endret av noen andre siden du åpnet det. Last siden på nytt."
MAX_HOURS = 12


@dataclass
class PlanInput:
    """What the planner typed (strings as posted; checked by :func:`check`)."""

    day: str = ""
    start: str = ""
    end: str = ""
    place: str = ""
    video_link: str = ""
    participant_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Checked:
    starts_at: datetime
    ends_at: datetime
    place: str | None
    video_link: str | None
    user_ids: tuple[int, ...]
    parties: dict[int, str]         # user id → party, of everyone who may be invited


@dataclass(frozen=True)
class Candidate:
    user: User
    party: str              # bydel | institusjon | beboer
    has_email: bool


# -- who -----------------------------------------------------------------------------------------


def candidates(case: Case) -> list[Candidate]:
    """Everyone who may see the case and so may be invited: its caseworkers, then the resident."""
    staff = db.session.scalars(sa.select(User).where(
        User.active.is_(True), User.organisation_id.in_((case.bydel_id, case.institution_id)))
        .order_by(User.organisation_id != case.institution_id, User.display_name, User.id))
    parties = access.parties(case)
    out = [Candidate(u, lanes.BYDEL if u.organisation_id == case.bydel_id else lanes.INSTITUSJON,
                     bool(_email(u))) for u in staff if lanes.is_party(access.actor_for(u), parties)]
    if case.resident_user_id is not None:
        resident = db.session.get(User, case.resident_user_id)
        if resident is not None and resident.active:
            out.append(Candidate(resident, lanes.BEBOER, bool(_email(resident))))
    return out


def _email(user: User) -> str | None:
    return getattr(user, "email", None) or None     # users.email comes with the notify part (#17)


def may_convene(actor: Actor, case: Case, task: OpenTask) -> bool:
    """A caseworker of the lane that holds the minutes task, while the case is active."""
    return (kinds.of_form(task.form) is not None and case.status in status.ACTIVE
            and task.lane in (lanes.BYDEL, lanes.INSTITUSJON)
            and lanes.capacity(actor, access.parties(case), task.lane, None) == Capacity.SELF)


def plannable(actor: Actor, case: Case, tasks: Sequence[OpenTask]) -> list[OpenTask]:
    """The case's open minutes tasks ``actor`` may plan a meeting for (none planned yet)."""
    mine = [t for t in tasks if may_convene(actor, case, t)]
    if not mine:
        return []
    planned = set(db.session.scalars(sa.select(Meeting.task_id).where(
        Meeting.task_id.in_([t.id for t in mine]), Meeting.status == PLANNED)))
    return [t for t in mine if t.id not in planned]


# -- checking what was typed ---------------------------------------------------------------------


def _clock(raw: str) -> time | None:
    try:
        return time.fromisoformat(raw.strip()[:5]) if raw.strip() else None
    except ValueError:
        return None


def check(case: Case, given: PlanInput, organizer: Actor) -> Checked:
    """Every field error at once (422 with ``details``), or the meeting's values."""
    errors: dict[str, list[str]] = {}
    day: date | None = None
    try:
        day = date.fromisoformat(given.day.strip()) if given.day.strip() else None
    except ValueError:
        pass
    if day is None:
        errors["dato"] = ["Skriv datoen som dd.mm.åååå."]
    elif day < clock.today_oslo():
        errors["dato"] = ["Et møte kan ikke planlegges tilbake i tid."]
    start, end = _clock(given.start), _clock(given.end)
    if start is None:
        errors["start"] = ["Skriv når møtet begynner (tt:mm)."]
    if end is None:
        errors["slutt"] = ["Skriv når møtet slutter (tt:mm)."]
    elif start is not None and end <= start:
        errors["slutt"] = ["Møtet må slutte etter at det begynner."]
    place, link = given.place.strip()[:300] or None, given.video_link.strip()[:500] or None
    if link and not link.lower().startswith("https://"):
        errors["video"] = ["Videolenken må begynne med https://."]
    if not place and not link:
        errors["sted"] = ["Skriv stedet for møtet eller en videolenke."]
    party_of = {c.user.id: c.party for c in candidates(case)}
    allowed = set(party_of)
    ids: list[int] = []
    for raw in given.participant_ids:
        try:
            uid = int(raw)
        except (TypeError, ValueError):
            uid = -1
        if uid not in allowed:
            errors["deltakere"] = ["Velg deltakere fra listen (bare personer som kan se saken)."]
        elif uid not in ids:
            ids.append(uid)
    if organizer.user_id not in ids and organizer.user_id in party_of:
        ids.insert(0, organizer.user_id)       # the convenor is always at their own meeting
    if len(ids) < 2 and "deltakere" not in errors:
        errors["deltakere"] = ["Velg minst én deltaker i tillegg til deg selv."]
    if errors or day is None or start is None or end is None:
        raise Unprocessable("Møtet kunne ikke lagres. Rett feilene og prøv igjen.", errors)
    starts = datetime.combine(day, start, clock.OSLO)
    ends = datetime.combine(day, end, clock.OSLO)
    if ends - starts > timedelta(hours=MAX_HOURS):
        raise Unprocessable("Møtet kunne ikke lagres.", {"slutt": [f"Et møte kan vare høyst {MAX_HOURS} timer."]})
    return Checked(clock.as_utc(starts), clock.as_utc(ends), place, link, tuple(ids), party_of)


# -- the use cases -------------------------------------------------------------------------------


def _open_task(actor: Actor, task_id: str) -> tuple[OpenTask, Case]:
    row = db.session.get(OpenTask, str(task_id))
    if row is None or kinds.of_form(row.form) is None:
        raise NotFound("Fant ikke møteoppgaven. Den kan være fullført allerede.")
    case = access.require_read(actor, db.session.get(Case, row.case_id), "meeting_plan")
    if not may_convene(actor, case, row):
        access.log(actor, case.id, "meeting_plan", granted=False)
        db.session.commit()
        raise Forbidden("Bare den som kaller inn til møtet kan planlegge det.")
    return row, case


def plan_context(actor: Actor, task_id: str) -> tuple[OpenTask, Case, list[Candidate]]:
    """The minutes task, its case and who may be invited — for the planning page (the read is logged)."""
    row, case = _open_task(actor, task_id)
    db.session.commit()
    return row, case, candidates(case)


def _participants(checked: Checked, kind: kinds.Kind) -> list[MeetingParticipant]:
    return [MeetingParticipant(user_id=i, party=checked.parties[i], obliged=kind.obliged == checked.parties[i])
            for i in checked.user_ids]


def plan(actor: Actor, task_id: str, given: PlanInput, link: str | None = None) -> Meeting:
    """Plan the meeting of an open minutes task; invitations go to every participant."""
    row, case = _open_task(actor, task_id)
    kind = kinds.of_form(row.form)
    assert kind is not None
    checked = check(case, given, actor)
    if db.session.scalar(sa.select(Meeting.id).where(Meeting.task_id == row.id, Meeting.status == PLANNED)):
        db.session.rollback()
        raise Conflict("Møtet er allerede planlagt. Flytt det i stedet.")
    now = clock.now()
    m = Meeting(uid=f"{uuid.uuid4()}@tilbolig", case_id=case.id, task_id=row.id, element_id=row.element_id,
                kind=kind.key, convenor=row.lane or "", organizer_id=actor.user_id, starts_at=checked.starts_at,
                ends_at=checked.ends_at, place=checked.place, video_link=checked.video_link, sequence=0,
                status=PLANNED, created_at=now, updated_at=now)
    m.participants = _participants(checked, kind)
    db.session.add(m)
    try:
        db.session.flush()
    except IntegrityError:         # planned meanwhile by a colleague (uq_meetings_task_planned)
        db.session.rollback()
        raise Conflict("Møtet er allerede planlagt. Flytt det i stedet.")
    invitations.send(m, case, link, method="REQUEST", to=[p.user_id for p in m.participants])
    _record(case.id, actor, m, "meeting.planned")
    db.session.commit()
    return m


def get_meeting(actor: Actor, meeting_id: int, action: str = "meeting_read") -> tuple[Meeting, Case]:
    """A meeting and its case if ``actor`` may read the case (404 otherwise); the read is logged."""
    m = db.session.get(Meeting, meeting_id)
    if m is None:
        raise NotFound("Fant ikke møtet.")
    case = access.require_read(actor, db.session.get(Case, m.case_id), action)
    return m, case


def _for_change(actor: Actor, meeting_id: int, expected_sequence: int | None) -> tuple[Meeting, Case]:
    m, case = get_meeting(actor, meeting_id, "meeting_change")
    allowed = case.status in status.ACTIVE and lanes.capacity(actor, access.parties(case), m.convenor) == Capacity.SELF
    if not allowed:
        access.log(actor, case.id, "meeting_change", granted=False)
        db.session.commit()
        raise Forbidden("Bare den som kaller inn til møtet kan endre det.")
    if m.status != PLANNED:
        db.session.commit()
        raise Conflict("Møtet er ikke lenger planlagt (det er avlyst eller holdt).")
    if expected_sequence is not None and expected_sequence != m.sequence:
        db.session.commit()
        raise Conflict(STALE)
    return m, case


def _bump(m: Meeting, values: dict[str, Any]) -> None:
    """SEQUENCE+1 under the optimistic lock: a concurrent change makes this one a 409."""
    done = db.session.connection().execute(sa.update(Meeting).where(Meeting.id == m.id, Meeting.sequence == m.sequence)
                              .values(sequence=m.sequence + 1, updated_at=clock.now(), **values))
    if done.rowcount != 1:
        db.session.rollback()
        raise Conflict(STALE)
    db.session.refresh(m)


def move(actor: Actor, meeting_id: int, given: PlanInput, expected_sequence: int | None,
         link: str | None = None) -> Meeting:
    """Move (or otherwise change) a planned meeting: an update (SEQUENCE+1, same UID) to every
    participant; someone taken off the list gets a cancellation."""
    m, case = _for_change(actor, meeting_id, expected_sequence)
    organizer = db.session.get(User, m.organizer_id)
    checked = check(case, given, access.actor_for(organizer) if organizer else actor)
    before = [p.user_id for p in m.participants]
    _bump(m, dict(starts_at=checked.starts_at, ends_at=checked.ends_at, place=checked.place,
                  video_link=checked.video_link))
    kind = kinds.BY_KEY[m.kind]
    keep = {p.user_id: p for p in m.participants if p.user_id in checked.user_ids}
    fresh = {p.user_id: p for p in _participants(checked, kind)}
    m.participants = [keep.get(i) or fresh[i] for i in checked.user_ids]
    db.session.flush()
    invitations.send(m, case, link, method="REQUEST", to=list(checked.user_ids))
    removed = [i for i in before if i not in checked.user_ids]
    if removed:
        invitations.send(m, case, link, method="CANCEL", to=removed)
    _record(case.id, actor, m, "meeting.moved", extra={"removed_user_ids": removed} if removed else None)
    db.session.commit()
    return m


def cancel(actor: Actor, meeting_id: int, expected_sequence: int | None, link: str | None = None) -> Meeting:
    """Cancel a planned meeting: ``METHOD:CANCEL`` to every participant; a new one may then be planned."""
    m, case = _for_change(actor, meeting_id, expected_sequence)
    _bump(m, dict(status=CANCELLED))
    invitations.send(m, case, link, method="CANCEL", to=[p.user_id for p in m.participants])
    _record(case.id, actor, m, "meeting.cancelled")
    db.session.commit()
    return m


def _record(case_id: int, actor: Actor, m: Meeting, kind: str, extra: dict[str, Any] | None = None) -> None:
    """The audit change (and so the notifications and webhooks): ids only, no place or names."""
    told = [p.user_id for p in m.participants] + list((extra or {}).get("removed_user_ids", []))
    data: dict[str, Any] = {"meeting_id": m.id, "user_ids": [i for i in told if i != actor.user_id],
                            "kind": m.kind, "sequence": m.sequence}
    record_case_changes(case_id, [Change(kind, actor, element_id=m.element_id, task_id=m.task_id,
                                         data={**data, **(extra or {})})])


def ics_download(actor: Actor, meeting_id: int, link: str | None = None) -> tuple[str, bytes]:
    """The meeting's .ics for someone who may read the case (404 otherwise); the read is logged."""
    m, _case = get_meeting(actor, meeting_id, "meeting_ics")
    db.session.commit()
    method = "CANCEL" if m.status == CANCELLED else "REQUEST"
    return f"{m.kind}-{m.id}.ics", invitations.calendar(m, method, actor.user_id, link)
