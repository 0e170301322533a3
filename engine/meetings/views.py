"""What the case page and the task page show of a case's meetings (reads only; the caller logged the read).

The marker «plikter å delta, deltok ikke» comes from ``meeting_records`` (every minutes form
completed, planned in the app or not), so the case page shows what the compliance report counts.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from engine.access import rules as access
from engine.access import users
from engine.bpmn import lanes
from engine.bpmn.lanes import Actor
from engine.extensions import db
from engine.meetings import invitations, kinds
from engine.reports import meeting_duty
from engine.store.meetings import HELD, PLANNED, Meeting
from engine.store.models import Case

PARTY_WORDS = {lanes.BYDEL: "Bydelen", lanes.INSTITUSJON: "Institusjonen", lanes.BEBOER: "Beboeren"}


@dataclass
class Person:
    user_id: int
    name: str
    party: str
    obliged: bool


@dataclass
class MeetingView:
    id: int
    title: str
    kind: str
    convenor: str
    starts_at: datetime
    ends_at: datetime
    place: str | None
    video_link: str | None
    status: str
    sequence: int
    task_id: str
    organizer: str
    people: list[Person]
    held_on: date | None
    attended: dict[str, bool | None]
    obliged: str | None
    may_change: bool
    organizer_id: int = 0
    when: str = ""


@dataclass
class Missed:
    title: str
    party: str
    held_on: date


def _view(m: Meeting, names: dict[int, str], actor: Actor | None, case: Case) -> MeetingView:
    kind = kinds.BY_KEY[m.kind]
    people = [Person(p.user_id, names.get(p.user_id, "") if p.party != lanes.BEBOER else "Beboeren", p.party,
                     p.obliged) for p in m.participants]
    may = (actor is not None and m.status == PLANNED
           and lanes.capacity(actor, access.parties(case), m.convenor) == lanes.Capacity.SELF)
    return MeetingView(m.id, kind.title, m.kind, m.convenor, m.starts_at, m.ends_at, m.place, m.video_link, m.status,
                       m.sequence, m.task_id, names.get(m.organizer_id, ""), people, m.held_on,
                       {lanes.BYDEL: m.bydel_attended, lanes.INSTITUSJON: m.institution_attended,
                        lanes.BEBOER: m.resident_attended}, kind.obliged, bool(may), m.organizer_id,
                       invitations.when(m.starts_at, m.ends_at))


def for_case(case: Case, actor: Actor | None = None) -> list[MeetingView]:
    """The case's meetings, planned first (soonest first), then held and cancelled (newest first)."""
    rows = list(db.session.scalars(sa.select(Meeting).where(Meeting.case_id == case.id)
                                   .order_by(Meeting.starts_at.desc(), Meeting.id.desc())))
    ids = {p.user_id for m in rows for p in m.participants} | {m.organizer_id for m in rows}
    names = users.display_names(ids)
    views = [_view(m, names, actor, case) for m in rows]
    planned = sorted((v for v in views if v.status == PLANNED), key=lambda v: v.starts_at)
    return planned + [v for v in views if v.status != PLANNED]


def planned_for_task(task_id: str, case: Case, actor: Actor | None = None) -> MeetingView | None:
    """The meeting planned for an open minutes task, if any."""
    m = db.session.scalar(sa.select(Meeting).where(Meeting.task_id == task_id, Meeting.status.in_((PLANNED, HELD)))
                          .order_by(Meeting.id.desc()))
    if m is None:
        return None
    names = users.display_names({p.user_id for p in m.participants} | {m.organizer_id})
    return _view(m, names, actor, case)


def missed(case: Case) -> list[Missed]:
    """Held meetings where the party that «plikter å delta» did not attend."""
    return [Missed(kinds.BY_KEY[k].title if k in kinds.BY_KEY else k, party, held)
            for k, party, held in meeting_duty.missed_on_case(case.id)]
