"""Counting the survey: a bydel's progress, its anonymised report, and Velferdsetaten's city-wide view.

Why three reads: the bydel works with its residents (done / remaining / overdue, names stay in the
bydel); the report is what leaves it — counts only, each group under 5 withheld with
``engine.reports.anonymity`` and, where a total is shown beside a group, a second cell withheld so
the hidden one cannot be worked out by subtraction; Velferdsetaten sees only what the bydeler sent
(frozen in the ``survey.reported`` audit row at the moment the report task was completed), so the
city total is the sum of the published cells and never of the residents' answers.  Every read is
written to the access log.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from engine import cases, clock
from engine.access import rules as access
from engine.bpmn import lanes
from engine.bpmn.lanes import Actor
from engine.errors import Forbidden
from engine.extensions import db
from engine.processes import runtime_state
from engine.reports.anonymity import suppress_counts, suppress_value
from engine.store.models import AuditEvent, Case, OpenTask, Organisation
from engine.survey.elements import REGISTRATION, REPORT
from engine.survey.start import survey_cases

#: How a registration ended (form field ``maling_status``).
STATUSES = ("gjennomfort", "avslatt", "ikke_nadd", "ikke_registrert")
#: The items counted: the MANSA main question, then the eleven satisfaction items.
ITEMS = ("livet_samlet", "arbeid", "okonomi", "vennskap", "fritid", "bolig", "trygghet", "bor_med", "seksualliv",
         "familie", "fysisk_helse", "psykisk_helse")
#: Score bands of the 1–7 scale: misfornøyd (1–3), blandet (4), fornøyd (5–7).
BANDS = ("1-3", "4", "5-7")
REPORTED = "survey.reported"


def band(score: int) -> str:
    return "1-3" if score <= 3 else "4" if score == 4 else "5-7"


@dataclass(frozen=True)
class Figures:
    """The counts of one survey (raw, or published with ``None`` for a withheld cell)."""

    invited: int | None
    statuses: dict[str, int | None]
    items: dict[str, dict[str, int | None]]

    def as_dict(self) -> dict[str, Any]:
        return {"invited": self.invited, "statuses": self.statuses, "items": self.items}

    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> Figures:
        return Figures(d.get("invited"), dict(d.get("statuses") or {}),
                       {k: dict(v) for k, v in (d.get("items") or {}).items()})


def _registrations(case_id: int) -> list[dict[str, Any]]:
    rows = db.session.scalars(sa.select(AuditEvent.data).where(
        AuditEvent.case_id == case_id, AuditEvent.type == "task.completed", AuditEvent.element_id == REGISTRATION))
    return [(d or {}).get("values") or {} for d in rows]


def _invited(case_id: int) -> int:
    data = db.session.scalar(sa.select(AuditEvent.data).where(AuditEvent.case_id == case_id,
                                                              AuditEvent.type == "case.opened").limit(1))
    return int((data or {}).get("residents") or 0)


def raw_figures(invited: int, registrations: Iterable[Mapping[str, Any]]) -> Figures:
    """Count the registrations; a resident not registered counts as ``ikke_registrert``."""
    regs = list(registrations)
    statuses = Counter(r.get("maling_status") for r in regs)
    counted = {s: statuses.get(s, 0) for s in STATUSES[:-1]}
    counted["ikke_registrert"] = max(invited - sum(counted.values()), 0)
    items: dict[str, dict[str, int | None]] = {i: dict.fromkeys(BANDS, 0) for i in ITEMS}
    for r in regs:
        if r.get("maling_status") != "gjennomfort":
            continue
        scores = {"livet_samlet": r.get("livet_samlet"), **(r.get("mansa") or {})}
        for item, score in scores.items():
            if item in items and isinstance(score, int) and 1 <= score <= 7:
                cell = items[item]
                cell[band(score)] = (cell[band(score)] or 0) + 1
    return Figures(invited, dict(counted), items)


def _protect(cells: Mapping[str, int | None]) -> dict[str, int | None]:
    """Withhold small cells; if exactly one is withheld, withhold the next smallest too (no subtraction)."""
    raw = {k: int(v or 0) for k, v in cells.items()}
    out = suppress_counts(raw)
    hidden = [k for k, v in out.items() if v is None]
    if len(hidden) == 1:
        rest = sorted((n, k) for k, n in raw.items() if k not in hidden and n > 0)
        if rest:
            out[rest[0][1]] = None
    return out


def publish(fig: Figures) -> Figures:
    """The anonymised figures that may leave the bydel."""
    invited = fig.invited or 0
    return Figures(suppress_value(invited, invited),     # type: ignore[arg-type]
                   _protect(fig.statuses), {item: _protect(cells) for item, cells in fig.items.items()})


def report_figures(case_id: int) -> Figures:
    """The anonymised report of one survey instance as it stands now."""
    return publish(raw_figures(_invited(case_id), _registrations(case_id)))


def record_report(case_id: int, changes: list[Any]) -> None:
    """Change hook: when the leader completes the report task, freeze what was sent (same transaction)."""
    if not any(ch.type == "task.completed" and ch.element_id == REPORT for ch in changes):
        return
    fig = report_figures(case_id)
    db.session.connection().execute(sa.insert(AuditEvent).values(
        case_id=case_id, at=clock.now(), type=REPORTED, element_id=REPORT, data=fig.as_dict()))


# -- the bydel's own view ------------------------------------------------------------------------

@dataclass
class BydelProgress:
    """A bydel's survey of one year, for its own staff."""

    year: int
    bydel: str
    case_id: int | None
    invited: int = 0
    done: int = 0
    remaining: int = 0
    overdue: int = 0
    due_at: datetime | None = None
    open_tasks: list[dict[str, Any]] = field(default_factory=list)   # id, name, overdue (names stay in the bydel)
    report_task_id: str | None = None
    preview: Figures | None = None
    reported_at: datetime | None = None


def _staff_bydel(actor: Actor) -> int:
    if not actor.is_caseworker or actor.organisation_id is None:
        raise Forbidden("Bare ansatte i en bydel kan se bydelens livskvalitetsmåling.")
    kind = db.session.scalar(sa.select(Organisation.kind).where(Organisation.id == actor.organisation_id))
    if kind != "bydel":
        raise Forbidden("Bare ansatte i en bydel kan se bydelens livskvalitetsmåling.")
    return actor.organisation_id


def _names(case: Case, task_ids: list[str]) -> dict[str, str]:
    """Task id → the resident's name, from each open registration's own data (never leaves the bydel)."""
    if not task_ids:
        return {}
    engine = runtime_state.state().engine
    wf = cases.read_workflow(case)
    out = {}
    for tid in task_ids:
        try:
            out[tid] = str((engine.task_data(wf, tid).get("beboer") or {}).get("navn") or "")
        except Exception:  # noqa: BLE001 - a task that closed meanwhile has no name to show
            out[tid] = ""
    return out


def bydel_progress(actor: Actor, year: int) -> BydelProgress:
    """The actor's own bydel's survey (a caseworker sees only their bydel's); the read is logged."""
    bydel_id = _staff_bydel(actor)
    bydel_name = db.session.scalar(sa.select(Organisation.name).where(Organisation.id == bydel_id)) or ""
    case = survey_cases(year).get(bydel_id)
    out = BydelProgress(year, bydel_name, case.id if case else None)
    if case is None:
        access.log(actor, None, f"survey.progress:{year}")
        db.session.commit()
        return out
    access.require_read(actor, case, "survey.progress")
    regs = _registrations(case.id)
    out.invited, out.done = _invited(case.id), len(regs)
    rows = list(db.session.scalars(sa.select(OpenTask).where(OpenTask.case_id == case.id).order_by(OpenTask.created_at)))
    names = _names(case, [r.id for r in rows if r.element_id == REGISTRATION])
    for r in rows:
        if r.element_id == REGISTRATION:
            out.remaining += 1
            out.overdue += 1 if r.overdue_at else 0
            out.due_at = clock.as_utc(r.due_at) if r.due_at else out.due_at
            out.open_tasks.append({"id": r.id, "name": names.get(r.id, ""), "overdue": bool(r.overdue_at)})
        elif r.element_id == REPORT and lanes.LEDER in actor.roles:
            out.report_task_id = r.id
    out.preview = publish(raw_figures(out.invited, regs))
    reported = db.session.scalar(sa.select(AuditEvent.at).where(AuditEvent.case_id == case.id,
                                                                AuditEvent.type == REPORTED).limit(1))
    out.reported_at = clock.as_utc(reported) if reported else None
    db.session.commit()
    return out


# -- Velferdsetaten's city-wide view --------------------------------------------------------------

@dataclass
class CityView:
    """What Velferdsetaten sees: each bydel's published report, the city total, who has not reported."""

    year: int
    reports: list[tuple[str, datetime, Figures]]       # bydel name, sent at, published figures
    missing: list[str]                                  # bydeler without a report (names)
    total: Figures
    hidden_cells: int                                   # withheld cells the total could not include


def _add(a: int | None, b: int | None) -> int | None:
    return (a or 0) + (b or 0)


def city_view(actor: Actor, year: int) -> CityView:
    """The city-wide result for Velferdsetaten (aggregates only); the view is logged."""
    if not actor.has(lanes.VELFERDSETATEN):
        raise Forbidden("Bare Velferdsetaten ser resultatet for hele byen.")
    bydeler = dict(db.session.execute(sa.select(Organisation.id, Organisation.name)
                                      .where(Organisation.kind == "bydel").order_by(Organisation.name)).all())
    instances = survey_cases(year)
    sent: dict[int, tuple[datetime, dict[str, Any]]] = {}
    if instances:
        by_case = {c.id: b for b, c in instances.items()}
        for case_id, at, data in db.session.execute(sa.select(AuditEvent.case_id, AuditEvent.at, AuditEvent.data).where(
                AuditEvent.case_id.in_(list(by_case)), AuditEvent.type == REPORTED)):
            sent[by_case[case_id]] = (clock.as_utc(at), data or {})
    reports, hidden = [], 0
    statuses: dict[str, int | None] = dict.fromkeys(STATUSES, 0)
    items: dict[str, dict[str, int | None]] = {i: dict.fromkeys(BANDS, 0) for i in ITEMS}
    invited: int | None = 0
    for bydel_id, name in bydeler.items():
        if bydel_id not in sent:
            continue
        at, data = sent[bydel_id]
        fig = Figures.from_dict(data)
        reports.append((name, at, fig))
        invited = _add(invited, fig.invited)
        hidden += fig.invited is None
        for s in STATUSES:
            statuses[s] = _add(statuses[s], fig.statuses.get(s))
            hidden += fig.statuses.get(s) is None
        for item in ITEMS:
            for b in BANDS:
                v = fig.items.get(item, {}).get(b)
                items[item][b] = _add(items[item][b], v)
                hidden += v is None
    total = Figures(invited, statuses, items)
    access.log(actor, None, f"survey.city:{year}")
    db.session.commit()
    return CityView(year, reports, [n for b, n in bydeler.items() if b not in sent], total, hidden)
