"""Min side: the resident's own stay in plain words (#14).

What happens next and when (the dwelling offer, the planned and the actual moving date, the
deadlines of their own steps), what they can do now, and what they have answered — to read again
(the kriseplan, the plan for the stay, the meetings).  Steps that are the staff's own work (a
leader's follow-up, the bydel's assessment of a report, the søknader) are left out: they are not
the resident's to follow, and their content is not theirs to read (``engine.access.sharing``:
a form is part of the resident's plan when its policy says ``resident``).  Every value shown has
passed ``engine.cases.visibility`` with the resident as the reader.
"""
from __future__ import annotations

from typing import Any

from engine import cases
from engine.access import sharing
from engine.bpmn import lanes
from engine.bpmn.lanes import Actor
from engine.cases import visibility
from engine.store.models import Case
from engine.web import casepage, pages_meetings, withheld

#: Dates of the stay the resident is told about, in the order they happen (case data keys).
DATES = ("innflytting", "bolig_tilbudt_dato", "planlagt_utflytting", "utflytting")


def for_resident(known: dict[str, tuple[str | None, str | None]], own: set[str], element_id: str | None) -> bool:
    """Is the step part of the resident's own plan (their own task, or a form of their plan and
    meetings) rather than the staff's internal work?"""
    if element_id in own:
        return True
    form, role = known.get(element_id or "", (None, None))
    if role == lanes.LEDER:
        return False
    return form is None or sharing.policy(form).resident


def case_view(actor: Actor, c: Case) -> dict[str, Any]:
    """What Min side shows of one case."""
    rd = visibility.reader(actor, c)
    known = visibility.elements(c)
    names = casepage.element_names(c)
    events = cases.case_events(c)
    open_tasks = visibility.tasks(rd, cases.case_tasks(c))
    own = ({t.element_id for t in open_tasks if t.lane == lanes.BEBOER}
           | {e.element_id for e in events if e.element_id and (e.data or {}).get("lane") == lanes.BEBOER})
    dls = casepage.deadlines(c, names, open_tasks, visibility.timers(rd, c, cases.case_timers(c)), events)
    dls = [d for d in dls if for_resident(known, own, d.element_id)]
    done = [names.get(s.event.element_id or "", (s.data or {}).get("name") or "")
            for s in visibility.events(rd, c, events)
            if s.event.type == "task.completed" and for_resident(known, own, s.event.element_id)]
    shown, _held = visibility.case_data(rd, c, cases.case_data(c), events)
    # The anchor dates are the routine's shared facts (``saksgang``); the planned day comes from
    # the utflyttingsmøte's answer (kept with its event), as far as the resident may read it.
    dates = {k: str(v) for k, v in {**(c.anchors or {}), **shown}.items() if k in DATES and v}
    for s in visibility.events(rd, c, events):
        values = (s.data or {}).get("values") if s.event.type == "task.completed" else None
        if isinstance(values, dict) and values.get("planlagt_utflytting"):
            dates["planlagt_utflytting"] = str(values["planlagt_utflytting"])
    people = casepage.user_names(events)
    answers = [a for a in casepage.completed_forms(c, events, names, people, shown, rd)
               if a.form and sharing.policy(a.form).resident and a.fields]
    return {"case": c, "tasks": cases.list_tasks(actor, c.id),
            "deadlines": [d for d in dls if not d.overdue] + [d for d in dls if d.overdue],
            "done": [d for d in done if d], "dates": dates, "answers": list(reversed(answers)),
            "status": casepage.status_word(c), "consent": withheld.summary(rd.grant, rd.consent_state),
            "meetings": pages_meetings.resident_meetings(actor, c)}
