"""Who is in this year's survey: the residents of a bydel in an institution stay or in follow-up on 1 January.

Why a rule of its own: Oslostandard tiltak 9 asks about everyone «som mottar tjenester for
rusproblemer»; in this service that is a routine case («Fra institusjon til bolig») that has not
ended and whose stay has begun (T0 on or before the day).  A case registered for a T0 still ahead is
not yet in an institution; a completed or terminated case is no longer followed here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from engine.extensions import db
from engine.store import status
from engine.store.models import Case, ProcessVersion

#: The routine whose residents the survey asks.
ROUTINE_KEY = "institusjon_til_bolig"


@dataclass(frozen=True)
class Resident:
    """One resident in scope: the case they are followed in and the name the bydel knows them by."""

    case_id: int
    name: str
    phase: str          # "opphold" (in the stay) | "oppfolging" (after T1)


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def in_scope(bydel_id: int, day: date) -> list[Resident]:
    """The residents of ``bydel_id`` in scope on ``day``, in case order (the instance order of the survey)."""
    rows = db.session.execute(
        sa.select(Case.id, Case.resident_name, Case.anchors)
        .join(ProcessVersion, ProcessVersion.id == Case.process_version_id)
        .where(Case.bydel_id == bydel_id, ProcessVersion.process_key == ROUTINE_KEY,
               Case.status.not_in(status.ENDED))
        .order_by(Case.id))
    out = []
    for case_id, name, anchors in rows:
        anchors = anchors or {}
        t0, t1 = _day(anchors.get("innflytting")), _day(anchors.get("utflytting"))
        if t0 is None or t0 > day:
            continue
        out.append(Resident(case_id, name, "oppfolging" if t1 is not None and t1 <= day else "opphold"))
    return out
