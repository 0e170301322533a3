"""The report's facts, kept by a change hook of the case unit of work (issue 16).

Why a projection: «is the routine followed?» is a question over every deadline of every case for
years.  Replaying audit trails or restoring workflows per report would be slow and would make the
report's figures depend on how the trail is read today.  Instead, every commit of a case updates
three narrow tables (``engine.store.report_facts``) in the *same transaction* as the step, so the
facts can never disagree with the case: a rolled-back step leaves no fact behind.

What the hook sees: the change's audit events (task completed with its form values, deadline
passed, message received, milestone reached) and the projection tables just written (the case's
waiting deadline timers, its anchor dates).  From them:

* **deadline_records** — one row per deadline instance.  A waiting deadline timer opens (or
  moves) the row; a ``deadline.overdue`` marks it missed; completing the step keeps it (on time if
  before the deadline passed, otherwise late, with the Oslo days late); a timer that goes away
  without firing and without its step being done voids the row (an offer made the step
  unnecessary, the stay ended first).
* **case_facts** — T0, offer, T1 (the case's anchors), how the stay ended, when the institution's
  part ended, when the bydel's follow-up (booppfølger) was first seen, and the resident link.
* **meeting_records** — every meeting form completed, with its date and who attended.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from engine import clock
from engine.cases import step_context
from engine.cases.changes import Change
from engine.extensions import db
from engine.reports import readmission
from engine.reports.deadline_rollup import (  # noqa: F401 — re-exported: backfill, tests and benches call them here
    ROLLUP_KEY,
    Bucket,
    _bucket,
    bump,
    insert_records,
    rebuild_rollup,
    update_record,
)
from engine.store.models import Case, Timer
from engine.store.report_facts import (
    LATE,
    MISSED,
    ON_TIME,
    OPEN,
    PENDING,
    VOID,
    CaseFact,
    DeadlineRecord,
    MeetingRecord,
)

#: The meeting forms: element id → (meeting, date field, who convened it).  «Samarbeidsmøte» has two
#: elements (the institution convenes while the resident lives there, the bydel after an offer).
MEETINGS: dict[str, tuple[str, str, str]] = {
    "forste_samarbeidsmote": ("forste_samarbeidsmote", "motedato", "institusjon"),
    "samarbeidsmote_institusjon": ("samarbeidsmote", "motedato", "institusjon"),
    "samarbeidsmote_bydel": ("samarbeidsmote", "motedato", "bydel"),
    "boligmote": ("boligmote", "boligmote_dato", "institusjon"),
    "utflyttingsmote": ("utflyttingsmote", "utflyttingsmote_dato", "bydel"),
    "oppfolgingsmote": ("oppfolgingsmote", "oppfolgingsmote_dato", "bydel"),
}
#: Explicit attendance fields of the meeting forms, per party.
ATTENDED_FIELDS = {"bydel": "bydelen_deltok", "institusjon": "institusjonen_deltok", "beboer": "beboer_deltok"}
#: Endings: the message's and the sluttrapport's reasons, and a dwelling.
DWELLING = "bolig"
ENDED_WITHOUT_REASON = "uten_bolig"
INSTITUTION_PART_ENDED = "institusjonens_del_avsluttet"
ENDING_STEPS = ("sluttrapport", "sluttrapport_uten_bolig")

LinkFn = Callable[[int, dict[str, Any]], str | None]


def connection() -> Any:
    return db.session.connection()


def _month(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return clock.as_utc(value).astimezone(clock.OSLO).date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def due_day(due_at: datetime) -> date:
    """The last Oslo day of a deadline: its instant is the midnight *after* that day."""
    local = clock.as_utc(due_at).astimezone(clock.OSLO)
    return date.fromordinal(local.date().toordinal() - 1) if (local.hour, local.minute) == (0, 0) else local.date()


def kept(due_at: datetime, at: datetime) -> tuple[str, int | None]:
    """State and Oslo days late of a deadline whose step was done at ``at``."""
    due_at, at = clock.as_utc(due_at), clock.as_utc(at)
    if at < due_at:
        return ON_TIME, None
    return LATE, max(1, (_day(at) or due_day(due_at)).toordinal() - due_day(due_at).toordinal())


# -- the hook --------------------------------------------------------------------------------


def make_hook(link: LinkFn) -> Callable[[int, list[Change]], None]:
    """The change hook, with the function that links a case to its resident (keyed, see readmission)."""

    def report_facts(case_id: int, changes: list[Change]) -> None:
        project(case_id, changes, link, clock.now())

    report_facts.is_report_facts = True  # type: ignore[attr-defined]
    return report_facts


#: The step-context probe: has the case a deadline record still open or missed?
PENDING_PROBE = "report_facts.pending_deadlines"


def pending_probe() -> Any:
    """Correlated to the case row of the step's UPDATE (``cases.id``): any pending deadline record?"""
    return sa.exists().where(DeadlineRecord.case_id == sa.literal_column("cases.id"),
                             DeadlineRecord.state.in_(PENDING))


def install(registry: Any, link: LinkFn) -> None:
    """Register the hook (and its probe) once on a unit-of-work hook registry (``unit_of_work.hooks(app)``)."""
    registry.on_changes[:] = [h for h in registry.on_changes if not getattr(h, "is_report_facts", False)]
    registry.on_changes.append(make_hook(link))
    registry.probes[PENDING_PROBE] = pending_probe


#: Change types that can alter a case's fact row whatever their data (task completions are asked in detail).
_CASE_FACT_TYPES = frozenset({"case.opened", "message.received", "milestone.reached"})


def project(case_id: int, changes: list[Change], link: LinkFn, now: datetime) -> None:
    """Bring the case's facts in line with this change (inside the caller's transaction).

    Inside a step the case's columns, its deadline timers and whether it has pending deadline
    records come from the step context (no statement); a part with nothing to do is skipped.
    Outside a step (a comment, a backfill) everything is read, as it always was.
    """
    ctx = step_context.current(case_id)
    case: Any
    if ctx is not None:
        case = ctx
    else:
        case = connection().execute(sa.select(Case.bydel_id, Case.institution_id, Case.anchors, Case.status)
                                    .where(Case.id == case_id)).first()
        if case is None:
            return
    if ctx is None or ctx.deadline_timers is None or ctx.deadline_timers or ctx.probe(PENDING_PROBE) \
            or any(ch.type == "deadline.overdue" for ch in changes):
        project_deadlines(case_id, case, changes, now, ctx)
    if ctx is None or ctx.anchors != ctx.old_anchors or _touches_case_fact(changes):
        project_case(case_id, case, changes, link, now)
    project_meetings(case_id, case, changes)


def _touches_case_fact(changes: list[Change]) -> bool:
    """May these changes alter the case's fact row (anchors aside)?  The same tests ``project_case`` applies."""
    for ch in changes:
        if ch.type in _CASE_FACT_TYPES:
            return True
        if ch.type == "task.completed":
            raw = (ch.data or {}).get("values")
            values: dict[str, Any] = raw if isinstance(raw, dict) else {}
            if _ending_from(ch.element_id, values, None) or _followup_from(ch.element_id, values):
                return True
    return False


def project_deadlines(case_id: int, case: Any, changes: list[Change], now: datetime,
                      ctx: step_context.StepContext | None = None) -> None:
    timers: dict[str, tuple[str | None, datetime]] = {}
    if ctx is not None and ctx.deadline_timers is not None:
        for t in ctx.deadline_timers:
            timers.setdefault(t.key, (t.host_element_id, clock.as_utc(t.due_at)))
    else:
        for key, element_id, host, due in connection().execute(
                sa.select(Timer.deadline_key, Timer.element_id, Timer.host_element_id, Timer.due_at)
                .where(Timer.case_id == case_id, Timer.kind == "deadline", Timer.due_at.is_not(None))):
            timers.setdefault(key or element_id, (host, clock.as_utc(due)))
    pending = list(connection().execute(_PENDING_ROWS, {"case_id": case_id}))
    done = [(ch.element_id, ch) for ch in changes if ch.type == "task.completed" and ch.element_id]
    fired: dict[str, datetime] = {}
    for ch in changes:
        if ch.type == "deadline.overdue":
            data = ch.data or {}
            key = data.get("deadline") or data.get("timer")
            if key and data.get("due_at"):
                fired[key] = clock.as_utc(datetime.fromisoformat(data["due_at"]))
    deltas: dict[Bucket, int] = {}        # the rollup's counters move once, at the end

    def update(row: Any, **values: Any) -> None:
        update_record(row.id, old=_bucket(*row[6:]), deltas=deltas, **values)
    matched_timer: set[str] = set()
    for row in pending:
        due = clock.as_utc(row.due_at)
        step_done = next((at_ch for element, at_ch in done if element == row.step), None)
        if step_done is not None:
            state, late = kept(due, now)
            update(row, kept_at=now, state=state, days_late=late)
            done = [d for d in done if d[1] is not step_done]   # one completion keeps one deadline
            continue
        if row.deadline_key in fired and row.state == OPEN:
            update(row, state=MISSED)
            fired.pop(row.deadline_key)
            matched_timer.add(row.deadline_key)
            continue
        if row.state != OPEN:
            continue
        current = timers.get(row.deadline_key)
        if current is None:
            update(row, state=VOID)                    # gone without firing, step not done
            continue
        matched_timer.add(row.deadline_key)
        host, new_due = current
        if new_due != due or (host and host != row.step):
            d = due_day(new_due)
            update(row, due_at=new_due, due_date=d, due_month=_month(d), step=host or row.step)
    new_timers = [(key, host, due) for key, (host, due) in timers.items() if key not in matched_timer]
    if new_timers or fired:
        seqs = {r[0]: r[1] for r in connection().execute(_MAX_SEQ, {"case_id": case_id})}
        inserts = [new_row(case_id, case, key, host, due, seqs, OPEN) for key, host, due in new_timers]
        inserts += [new_row(case_id, case, key, _step_of(changes, key), due, seqs, MISSED)   # armed and fired
                    for key, due in fired.items()]                                           # within one step
        insert_records(inserts, deltas)
    bump(deltas)


# Built once: this runs in every step of a case with deadlines (building a statement costs more than running it).
_PENDING_ROWS = sa.select(
    DeadlineRecord.id, DeadlineRecord.deadline_key, DeadlineRecord.step, DeadlineRecord.due_at, DeadlineRecord.state,
    DeadlineRecord.seq,
    # the rollup bucket (``_BUCKET``), so moving a record's count needs no read of its own
    DeadlineRecord.deadline_key, DeadlineRecord.bydel_id, DeadlineRecord.institution_id, DeadlineRecord.due_month,
    DeadlineRecord.state, DeadlineRecord.days_late,
).where(DeadlineRecord.case_id == sa.bindparam("case_id"), DeadlineRecord.state.in_(PENDING)).order_by(DeadlineRecord.seq)
_MAX_SEQ = (sa.select(DeadlineRecord.deadline_key, sa.func.max(DeadlineRecord.seq))
            .where(DeadlineRecord.case_id == sa.bindparam("case_id")).group_by(DeadlineRecord.deadline_key))


def _step_of(changes: list[Change], key: str) -> str | None:
    for ch in changes:
        if ch.type == "deadline.overdue" and (ch.data or {}).get("deadline") == key:
            return ch.element_id
    return None


def new_row(case_id: int, case: Any, key: str, step: str | None, due: datetime, seqs: dict[str, int],
             state: str) -> dict[str, Any]:
    seqs[key] = seqs.get(key, 0) + 1
    d = due_day(due)
    return dict(case_id=case_id, bydel_id=case.bydel_id, institution_id=case.institution_id, deadline_key=key,
                seq=seqs[key], step=step, due_at=due, due_date=d, due_month=_month(d), kept_at=None,
                days_late=None, state=state)


def project_case(case_id: int, case: Any, changes: list[Change], link: LinkFn, now: datetime) -> None:
    fact = connection().execute(sa.select(CaseFact).where(CaseFact.case_id == case_id)).mappings().first()
    old = dict(fact) if fact else {}
    new = dict(old)
    anchors = case.anchors or {}
    for ch in changes:
        raw = (ch.data or {}).get("values")
        values: dict[str, Any] = raw if isinstance(raw, dict) else {}
        if ch.type == "case.opened":
            new["resident_link"] = link(case_id, values)
        elif ch.type == "task.completed":
            new.update(_ending_from(ch.element_id, values, new.get("ending")))
            followup = _followup_from(ch.element_id, values)
            if followup and (new.get("followup_on") is None or followup < new["followup_on"]):
                new["followup_on"] = followup
        elif ch.type == "message.received" and (ch.data or {}).get("name") == "opphold_avsluttet":
            new["ending"] = new.get("ending") or ENDED_WITHOUT_REASON
        elif ch.type == "milestone.reached" and (ch.data or {}).get("milestone") == INSTITUTION_PART_ENDED \
                or ch.type == "milestone.reached" and ch.element_id == INSTITUTION_PART_ENDED:
            new["institution_part_ended_on"] = _ended_on(changes, now)
    new.update(t0=_day(anchors.get("innflytting")), offer_on=_day(anchors.get("bolig_tilbudt_dato")),
               t1=_day(anchors.get("utflytting")) if new.get("ending") else None)
    new.update(derived(new))
    new.update(bydel_id=case.bydel_id, institution_id=case.institution_id)
    if new == old:
        return
    values = {k: v for k, v in new.items() if k != "case_id"}
    if fact is None:
        connection().execute(sa.insert(CaseFact).values(case_id=case_id, **values))
    else:
        connection().execute(sa.update(CaseFact).where(CaseFact.case_id == case_id).values(**values))
    if new.get("resident_link") and (old.get("t0"), old.get("t1"), old.get("resident_link")) != \
            (new.get("t0"), new.get("t1"), new.get("resident_link")):
        readmission.relink(new["resident_link"])


def _ended_on(changes: list[Change], now: datetime) -> date | None:
    """The last day of the institution's part: the day its timer was due for (it fires just after
    midnight), else today."""
    for ch in changes:
        if ch.type == "timer.fired" and (ch.data or {}).get("due_at"):
            return due_day(datetime.fromisoformat(ch.data["due_at"]))   # type: ignore[index]
    return _day(now)


def derived(f: dict[str, Any]) -> dict[str, Any]:
    """The day counts the report groups by, from the dates (one definition for the hook and the tests)."""
    t0, t1 = f.get("t0"), f.get("t1")

    def days(a: date | None, b: date | None) -> int | None:
        return b.toordinal() - a.toordinal() if a and b else None

    return dict(t1_month=_month(t1) if t1 else None, stay_days=days(t0, t1), offer_days=days(f.get("offer_on"), t1),
                transition_days=days(t1, f.get("institution_part_ended_on")),
                followup_days=days(t1, f.get("followup_on")))


def _ending_from(element_id: str | None, values: dict[str, Any], current: str | None) -> dict[str, Any]:
    if element_id == "utflytting":
        return {"ending": DWELLING}
    if element_id == "avklar_botid" and values.get("botid_beslutning") == "utskrives":
        return {"ending": "midlertidig_botilbud" if values.get("utskrives_til") == "midlertidig_botilbud"
                else "utskrevet_uten_bolig"}
    if element_id in ENDING_STEPS and values.get("avslutningstype"):
        kind = values["avslutningstype"]
        return {"ending": DWELLING if kind == "planlagt_utflytting" else kind}
    return {}


def _followup_from(element_id: str | None, values: dict[str, Any]) -> date | None:
    """The bydel's follow-up after moving: a booppfølger contact established, or the oppfølgingsmøte held."""
    if element_id == "utflyttingsmote" and values.get("booppfolger_kontakt") == "etablert":
        return _day(values.get("utflyttingsmote_dato"))
    if element_id == "oppfolgingsmote":
        return _day(values.get("oppfolgingsmote_dato"))
    return None


def attendance(values: dict[str, Any], convenor: str) -> dict[str, bool | None]:
    """Who attended a meeting: the form's explicit «deltok» field, else its list of participants."""
    people = [p for key, v in values.items() if "deltakere" in key and isinstance(v, list) for p in v
              if isinstance(p, dict)]
    out: dict[str, bool | None] = {}
    for party, field in ATTENDED_FIELDS.items():
        if isinstance(values.get(field), bool):
            out[party] = values[field]
        elif party == convenor:
            out[party] = True
        elif people:
            out[party] = any(p.get("organisasjon") == party and p.get("til_stede", True) is not False for p in people)
        else:
            out[party] = None
    return out


def project_meetings(case_id: int, case: Any, changes: Iterable[Change]) -> None:
    rows = []
    for ch in changes:
        if ch.type != "task.completed" or ch.element_id not in MEETINGS:
            continue
        values = (ch.data or {}).get("values") or {}
        meeting, date_field, convenor = MEETINGS[ch.element_id]
        held = _day(values.get(date_field)) or _day(clock.now())
        who = attendance(values, convenor)
        rows.append(dict(case_id=case_id, bydel_id=case.bydel_id, institution_id=case.institution_id,
                         meeting=meeting, held_on=held, bydel_attended=who["bydel"],
                         institution_attended=who["institusjon"], resident_attended=who["beboer"]))
    if rows:
        connection().execute(sa.insert(MeetingRecord), rows)
