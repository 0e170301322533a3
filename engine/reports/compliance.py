"""Is the routine followed?  The compliance report over the fact tables (issue 16).

Why aggregates in SQL and percentiles in Python: the figures are counts grouped by a few small
dimensions (deadline, bydel, institution, month), which every database does fast from the indexed
fact tables; a median or 90th percentile is then read off the histogram of days late (a few
hundred distinct values), so SQLite and PostgreSQL give the same answer without ``percentile_cont``.

State of a deadline as of ``now`` (PROCESS.md: due on the Oslo day, overdue from the midnight after):
*on time* (its step done before the deadline passed), *late* (done after), *missed* (passed, not
done — the work may still be done, then it turns *late*), *open* (not yet due).  A deadline that was
no longer needed (an offer made the statusrapport unnecessary, the stay ended first) counts nowhere.

Who sees what is decided by :func:`scope_for`: a leader sees the own organisation's cases with
drill-down; a process owner, an administrator or Velferdsetaten sees every organisation, aggregated,
with every group under five suppressed (``anonymity``) and no drill-down.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from engine import clock
from engine.access import rules as access
from engine.bpmn.lanes import Actor
from engine.extensions import db
from engine.reports import anonymity, meeting_duty
from engine.reports.readmission import WINDOWS, add_years
from engine.reports.report_filters import (  # noqa: F401  (Scope, may_view, scope_for, STATES: the report's vocabulary)
    STATES,
    Filters,
    Scope,
    between,
    case_where,
    deadline_where,
    may_view,
    org_clause,
    scope_for,
    state_expr,
)
from engine.store.models import Organisation
from engine.store.report_facts import LATE, OPEN, VOID, CaseFact, DeadlineRecord, DeadlineRollup, MeetingRecord

#: The deadlines of PROCESS.md in the order of the routine (README «Deadlines»).
DEADLINES = ("innflytting", "samtykke", "bydelskontakter", "plan_for_oppholdet", "kartlegging",
             "forste_samarbeidsmote", "statusrapport", "boligmote", "soknader", "evaluering", "utflyttingsmote",
             "utflyttingsplan", "kriseplan", "sluttrapport", "oppfolgingsmote")
#: Meetings, and the deadline that makes each one due (the recurring samarbeidsmøte has none).
MEETINGS = (("forste_samarbeidsmote", "forste_samarbeidsmote"), ("samarbeidsmote", None),
            ("boligmote", "boligmote"), ("utflyttingsmote", "utflyttingsmote"), ("oppfolgingsmote", "oppfolgingsmote"))
FOLLOWUP_DAYS = 28          # «booppfølger within 4 weeks of T1»
DIMENSIONS = ("frist", "bydel", "institusjon", "periode")


# -- the figures ----------------------------------------------------------------------------------


def percentile(hist: dict[int, int], q: float) -> float | None:
    """The q-quantile of a histogram {value: count} (nearest rank on the sorted values, as in the tests)."""
    n = sum(hist.values())
    if n == 0:
        return None
    rank = max(1, -(-int(q * 1000) * n // 1000))      # ceil(q·n), exact for q in thousandths
    seen = 0
    for value in sorted(hist):
        seen += hist[value]
        if seen >= rank:
            return float(value)
    return None


def median(hist: dict[int, int]) -> float | None:
    """The median of a histogram (the mean of the two middle values for an even count)."""
    n = sum(hist.values())
    if n == 0:
        return None
    values = sorted(hist)

    def nth(k: int) -> int:
        seen = 0
        for v in values:
            seen += hist[v]
            if seen > k:
                return v
        return values[-1]

    return float(nth(n // 2)) if n % 2 else (nth(n // 2 - 1) + nth(n // 2)) / 2


@dataclass
class Row:
    """One line of a deadline table: its counts by state and how late the late ones were (days)."""

    key: Any
    due: int | None = 0
    on_time: int | None = 0
    late: int | None = 0
    missed: int | None = 0
    open: int | None = 0
    median_late: float | None = None
    p90_late: float | None = None
    hist: dict[int, int] = field(default_factory=dict, repr=False)

    def add(self, state: str, n: int) -> None:
        setattr(self, state, (getattr(self, state) or 0) + n)
        self.due = (self.due or 0) + n

    def finish(self, suppress: bool) -> Row:
        self.median_late, self.p90_late = median(self.hist), percentile(self.hist, 0.9)
        if not suppress:
            return self
        late_n = self.late or 0
        cells: dict[str, Any] = anonymity.suppress_counts({s: getattr(self, s) or 0 for s in ("due", *STATES)})
        return replace(self, **cells, median_late=anonymity.suppress_value(self.median_late, late_n),
                       p90_late=anonymity.suppress_value(self.p90_late, late_n))


@dataclass
class Duration:
    """A length in days over a group of cases: how many, median and 90th percentile."""

    key: str
    n: int | None
    median: float | None
    p90: float | None


@dataclass
class Meeting:
    key: str
    due: int | None
    held_by_deadline: int | None     # meetings with a deadline that were held (on time or late)
    held: int | None                 # meeting forms completed in the period
    bydel: float | None              # share of held meetings each party attended (of those recorded)
    institusjon: float | None
    beboer: float | None


@dataclass
class Readmission:
    years: int
    moved: int | None                # moved to a dwelling with the whole window behind them
    readmitted: int | None
    share: float | None


@dataclass
class Report:
    scope: Scope
    filters: Filters
    now: datetime
    deadlines: list[Row]
    by_bydel: list[Row]
    by_institution: list[Row]
    by_period: list[Row]
    total: Row
    durations: list[Duration]
    followup: Duration               # n = moved with 4 weeks behind them; median = share (0–1) with follow-up
    followup_within: int | None
    endings: list[tuple[str, int | None]]
    meetings: list[Meeting]
    readmissions: list[Readmission]
    organisations: dict[int, str]
    duty: list[meeting_duty.Absence] = field(default_factory=list)   # obliged party absent (#17)


def _rows(keys: Iterable[Any]) -> dict[Any, Row]:
    return {k: Row(k) for k in keys}


def _month(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def whole_months(f: Filters) -> bool:
    """Does the period start on a 1st and end on a month's last day (or is it open)?  Then the rollup alone answers."""
    return (f.start is None or f.start.day == 1) and (f.end is None or (f.end + timedelta(days=1)).day == 1)


def split_months(f: Filters) -> tuple[tuple[str | None, str | None] | None, list[Filters]]:
    """The period as whole months (first, last month for the rollup; None: none) and the partly
    covered days at either end (periods for the deadline rows)."""
    start, end = f.start, f.end
    edges: list[Filters] = []
    first = start
    if start is not None and start.day != 1:
        next_month = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        edges.append(Filters(start=start, end=min(next_month - timedelta(days=1), end) if end else
                             next_month - timedelta(days=1)))
        first = next_month
    last = end
    if end is not None and (end + timedelta(days=1)).day != 1:
        month_start = end.replace(day=1)
        if first is None or month_start >= first:
            edges.append(Filters(start=month_start, end=end))
        last = month_start - timedelta(days=1)
    if first is not None and last is not None and first > last:
        return None, edges
    return (_month(first) if first else None, _month(last) if last else None), edges


def _deadline_tables(scope: Scope, f: Filters, now: datetime) -> tuple[dict[str, Row], dict[int, Row], dict[int, Row],
                                                                       dict[str, Row], Row]:
    """Counts by deadline, bydel, institution and month from the rollup (whole months) or from the
    deadline rows (any other period), plus one small look-up of deadlines past due whose timer
    has not fired yet (they count as missed).  ``days_late`` is 0 except for late ones."""
    d = DeadlineRecord
    where = deadline_where(scope, f)
    keys: dict[str, Row] = _rows(DEADLINES if not f.deadline else (f.deadline,))
    bydeler: dict[int, Row] = {}
    insts: dict[int, Row] = {}
    months: dict[str, Row] = {}
    total = Row("alle")
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":     # the grouped rows fit in memory: hash, no sort spilled to disk
        conn.execute(sa.text("SET LOCAL work_mem = '32MB'"))

    def count(rows: list[Row], state: str, late: int | None, n: int) -> None:
        for row in rows:
            row.add(state, n)
            if state == LATE and late:
                row.hist[late] = row.hist.get(late, 0) + n

    rollup_months, edges = split_months(f)
    sources: list[tuple[Any, Any, list[Any]]] = []
    if rollup_months is not None:   # whole months: the counters kept with every step, summed per dimension
        r = DeadlineRollup
        first, last = rollup_months
        rwhere = [r.state != VOID, *org_clause(r, scope, f)]
        rwhere += ([r.due_month >= first] if first else []) + ([r.due_month <= last] if last else [])
        if f.deadline:
            rwhere.append(r.deadline_key == f.deadline)
        sources.append((r, sa.func.sum(r.n), rwhere))
    for edge in edges:              # the days of a partly covered month: the deadline rows themselves
        ewhere = [d.state != VOID, *org_clause(d, scope, f), *between(d.due_date, edge)]
        if f.deadline:
            ewhere.append(d.deadline_key == f.deadline)
        sources.append((d, sa.func.count(), ewhere))
    for src, agg, swhere in sources:
        for table, column in ((keys, src.deadline_key), (bydeler, src.bydel_id), (insts, src.institution_id),
                              (months, src.due_month)):
            for k, state, late, n in conn.execute(sa.select(column, src.state, src.days_late, agg).where(*swhere)
                                                  .group_by(column, src.state, src.days_late)):
                count([table.setdefault(k, Row(k))], state, late, int(n))
    for row in keys.values():
        total.due = (total.due or 0) + (row.due or 0)
        for state in STATES:
            setattr(total, state, (getattr(total, state) or 0) + (getattr(row, state) or 0))
        for late, n in row.hist.items():
            total.hist[late] = total.hist.get(late, 0) + n
    # passed, not yet marked missed by the timer worker (seconds of backlog, or a stopped worker)
    for key, bydel, inst, month, n in conn.execute(
            sa.select(d.deadline_key, d.bydel_id, d.institution_id, d.due_month, sa.func.count())
            .where(*where, d.state == OPEN, d.due_at <= now)
            .group_by(d.deadline_key, d.bydel_id, d.institution_id, d.due_month)):
        for row in (keys[key], bydeler[bydel], insts[inst], months[month], total):
            row.open = (row.open or 0) - n
            row.missed = (row.missed or 0) + n
    return keys, bydeler, insts, months, total


def _hist(column: Any, where: list[Any]) -> dict[int, int]:
    return {r[0]: r[1] for r in db.session.connection().execute(
        sa.select(column, sa.func.count()).where(*where, column.is_not(None)).group_by(column))}


def _duration(key: str, hist: dict[int, int], suppress: bool) -> Duration:
    n = sum(hist.values())
    med, p90 = median(hist), percentile(hist, 0.9)
    if suppress:
        return Duration(key, anonymity.suppress_counts({"n": n})["n"], anonymity.suppress_value(med, n),
                        anonymity.suppress_value(p90, n))
    return Duration(key, n, med, p90)


def _meetings(scope: Scope, f: Filters, now: datetime, keys: dict[str, Row]) -> list[Meeting]:
    m = MeetingRecord
    where = [*org_clause(m, scope, f), *between(m.held_on, f)]
    stats: dict[str, list[int]] = defaultdict(lambda: [0] * 7)

    def yes(col: Any) -> Any:
        return sa.func.sum(sa.case((col.is_(True), 1), else_=0))

    def known(col: Any) -> Any:
        return sa.func.count(col)

    for found in db.session.connection().execute(
            sa.select(m.meeting, sa.func.count(), yes(m.bydel_attended), known(m.bydel_attended),
                      yes(m.institution_attended), known(m.institution_attended), yes(m.resident_attended),
                      known(m.resident_attended)).where(*where).group_by(m.meeting)):
        stats[found[0]] = [int(v or 0) for v in found[1:]]
    out = []
    for meeting, deadline in MEETINGS:
        held, by, byn, inst, instn, res, resn = stats.get(meeting, [0] * 7)
        row = keys.get(deadline) if deadline else None
        due = row.due if row is not None else None
        kept = (row.on_time or 0) + (row.late or 0) if row is not None else None

        def share(k: int, n: int) -> float | None:
            return k / n if n else None

        shares = [share(by, byn), share(inst, instn), share(res, resn)]
        if scope.suppress:
            cells = anonymity.suppress_counts({"due": due or 0, "kept": kept or 0, "held": held})
            due = cells["due"] if due is not None else None
            kept = cells["kept"] if kept is not None else None
            held_out: int | None = cells["held"]
            shares = [anonymity.suppress_value(s, n) for s, n in zip(shares, (byn, instn, resn), strict=True)]
        else:
            held_out = held
        out.append(Meeting(meeting, due, kept, held_out, *shares))
    return out


def build(actor: Actor, f: Filters, *, city: bool = False, now: datetime | None = None,
          log: str | None = "report_view") -> Report:
    """The report for this viewer and these filters; the view is written to the access log."""
    scope = scope_for(actor, city)
    now = now or clock.now()
    keys, bydeler, insts, months, total = _deadline_tables(scope, f, now)
    s = scope.suppress
    today = now.astimezone(clock.OSLO).date()
    c = CaseFact
    cw = case_where(scope, f)
    durations = [_duration("opphold", _hist(c.stay_days, cw), s),
                 _duration("tilbud_til_utflytting", _hist(c.offer_days, cw), s),
                 _duration("overgang", _hist(c.transition_days, cw), s)]
    conn = db.session.connection()
    moved_where = [*cw, c.ending == "bolig", c.t1 <= today - timedelta(days=FOLLOWUP_DAYS)]
    moved, within = conn.execute(sa.select(sa.func.count(), sa.func.sum(sa.case(
        (c.followup_days <= FOLLOWUP_DAYS, 1), else_=0))).where(*moved_where)).one()
    moved, within = int(moved or 0), int(within or 0)
    share = within / moved if moved else None
    followup = Duration("booppfolger", moved, share, None)
    if s:
        followup = Duration("booppfolger", anonymity.suppress_counts({"n": moved})["n"],
                            anonymity.suppress_value(share, moved), None)
        within_out = anonymity.suppress_counts({"n": within})["n"]
    else:
        within_out = within
    endings_raw = {r[0]: r[1] for r in conn.execute(sa.select(c.ending, sa.func.count()).where(*cw, c.ending.is_not(None))
                                                 .group_by(c.ending))}
    endings_cells = anonymity.suppress_counts(endings_raw) if s else dict(endings_raw)
    endings = sorted(((str(e), n) for e, n in endings_cells.items()), key=lambda kv: (-(endings_raw[kv[0]]), kv[0]))
    readmissions = []
    for years in WINDOWS:
        cutoff = add_years(today, -years)
        n, back = conn.execute(sa.select(sa.func.count(), sa.func.sum(sa.case((c.readmit_within <= years, 1), else_=0)))
                               .where(*cw, c.ending == "bolig", c.t1 <= cutoff)).one()
        n, back = int(n or 0), int(back or 0)
        part = back / n if n else None
        if s:
            cells = anonymity.suppress_counts({"n": n, "back": back})
            readmissions.append(Readmission(years, cells["n"], cells["back"], anonymity.suppress_value(part, n)))
        else:
            readmissions.append(Readmission(years, n, back, part))
    organisations = {r[0]: r[1] for r in conn.execute(sa.select(Organisation.id, Organisation.name))}
    report = Report(
        scope=scope, filters=f, now=now,
        deadlines=[keys[k].finish(s) for k in keys],
        by_bydel=[r.finish(s) for _, r in sorted(bydeler.items(), key=lambda kv: organisations.get(kv[0], ""))],
        by_institution=[r.finish(s) for _, r in sorted(insts.items(), key=lambda kv: organisations.get(kv[0], ""))],
        by_period=[months[k].finish(s) for k in sorted(months)],
        total=total.finish(s), durations=durations, followup=followup, followup_within=within_out,
        endings=endings, meetings=_meetings(scope, f, now, keys), readmissions=readmissions,
        organisations=organisations,
        duty=meeting_duty.absences([*org_clause(MeetingRecord, scope, f), *between(MeetingRecord.held_on, f)], s))
    if log:
        access.log(actor, None, log)
        db.session.commit()
    return report
