"""«Plikter å delta»: which party must attend which meeting, and how often it did not (issue 17).

Fellesskriv 3/2021: at the first samarbeidsmøte the institution convenes «og bydelen plikter å delta»
(FK 2.1); at the utflyttingsmøte and the oppfølgingsmøte the bydel convenes «og institusjonen plikter
å delta» (FK 3.1, 3.3).  The routine names no such duty for the other meetings, so none is counted.
Why here: the compliance report counts the misses per bydel and institution from ``meeting_records``
(which already says who attended), and the meetings part reads the same table to mark the case page
and to mark the obliged party's attendees as required in the calendar invitation.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from engine.extensions import db
from engine.reports import anonymity
from engine.store.report_facts import MeetingRecord

BYDEL, INSTITUSJON = "bydel", "institusjon"
#: meeting → the party that «plikter å delta»
OBLIGED: dict[str, str] = {"forste_samarbeidsmote": BYDEL, "utflyttingsmote": INSTITUSJON,
                           "oppfolgingsmote": INSTITUSJON}


@dataclass
class Absence:
    """One organisation's obliged meetings in the period: how many were held, how many it missed."""

    organisation_id: int
    party: str                  # bydel | institusjon
    held: int | None
    missed: int | None


def absences(where: list[Any], suppress: bool) -> list[Absence]:
    """Per bydel and per institution: obliged meetings held, and those the obliged party did not attend.

    ``where`` is the report's filter on ``meeting_records`` (scope, organisation, period).  A meeting
    whose attendance was not recorded counts as held, not as missed.
    """
    m = MeetingRecord
    out: list[Absence] = []
    for party, org_col, attended in ((BYDEL, m.bydel_id, m.bydel_attended),
                                     (INSTITUSJON, m.institution_id, m.institution_attended)):
        kinds = [k for k, p in OBLIGED.items() if p == party]
        rows = db.session.connection().execute(
            sa.select(org_col, sa.func.count(), sa.func.sum(sa.case((attended.is_(False), 1), else_=0)))
            .where(*where, m.meeting.in_(kinds)).group_by(org_col))
        for org, held, missed in rows:
            held, missed = int(held or 0), int(missed or 0)
            if suppress:
                cells = anonymity.suppress_counts({"held": held, "missed": missed})
                out.append(Absence(org, party, cells["held"], cells["missed"]))
            else:
                out.append(Absence(org, party, held, missed))
    return out


def missed_on_case(case_id: int) -> list[tuple[str, str, Any]]:
    """The case's held meetings where the obliged party did not attend: (meeting, party, held on)."""
    m = MeetingRecord
    out = []
    for meeting, held_on, by, inst in db.session.connection().execute(
            sa.select(m.meeting, m.held_on, m.bydel_attended, m.institution_attended)
            .where(m.case_id == case_id, m.meeting.in_(list(OBLIGED))).order_by(m.held_on, m.id)):
        party = OBLIGED[meeting]
        if (by if party == BYDEL else inst) is False:
            out.append((meeting, party, held_on))
    return out
