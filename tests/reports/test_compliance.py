"""The compliance report over a generated history of three years (tests/reports/history.py).

The expected figures are computed here with plain Python from the generated rows (the truth), never
with the report's code; the report's SQL, percentiles, suppression and exports must agree exactly.
"""
from __future__ import annotations

import csv
import io
import math
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from statistics import median

import openpyxl
import pytest
import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from engine.access.rules import actor_for
from engine.errors import Forbidden
from engine.extensions import db
from engine.reports import compliance, drilldown, export, readmission
from engine.store.models import AccessLog, User
from tests.reports import history
from tests.web.conftest import Browser

NOW = datetime(2026, 3, 1, 11, 0, tzinfo=UTC)
TODAY = date(2026, 3, 1)
BYDELER = ("gamle-oslo", "grunerlokka", "frogner")
INSTITUTIONS = ("bygdoy", "ila")


def p90(values: list[int]) -> float | None:
    return float(sorted(values)[math.ceil(0.9 * len(values)) - 1]) if values else None


def med(values: list[int]) -> float | None:
    return float(median(values)) if values else None


@pytest.fixture()
def hist(ctx, users, tre_baner):
    return history.load(300, NOW, seed=16, start=date(2020, 1, 1), bydeler=BYDELER, institutions=INSTITUTIONS)


def actor(username: str):
    return actor_for(db.session.scalar(sa.select(User).where(User.username == username)))


# -- the expected figures, the slow and obvious way ------------------------------------------------


def exp_rows(rows, key_fn):
    out = defaultdict(lambda: {"due": 0, "on_time": 0, "late": 0, "missed": 0, "open": 0, "lates": []})
    for r in rows:
        if r["state"] == "void":
            continue
        state = r["state"] if r["state"] in ("on_time", "late") else ("missed" if r["due_at"] <= NOW else "open")
        cell = out[key_fn(r)]
        cell["due"] += 1
        cell[state] += 1
        if state == "late":
            cell["lates"].append(r["days_late"])
    return out


def as_tuple(row: compliance.Row):
    return (row.due, row.on_time, row.late, row.missed, row.open, row.median_late, row.p90_late)


def exp_tuple(cell):
    return (cell["due"], cell["on_time"], cell["late"], cell["missed"], cell["open"], med(cell["lates"]), p90(cell["lates"]))


def in_scope(org_id, f: compliance.Filters, day_key):
    def ok(r):
        if org_id is not None and org_id not in (r["bydel_id"], r["institution_id"]):
            return False
        if f.bydel_id and r["bydel_id"] != f.bydel_id or f.institution_id and r["institution_id"] != f.institution_id:
            return False
        day = r[day_key]
        return day is not None and (not f.start or day >= f.start) and (not f.end or day <= f.end)
    return ok


def expected_readmissions(facts, ok):
    by_link = defaultdict(list)
    for f in facts:
        by_link[f["resident_link"]].append(f)
    out = {}
    for years in (1, 2, 5):
        moved = back = 0
        for f in facts:
            if not ok(f) or f["ending"] != "bolig" or f["t1"] + relativedelta(years=years) > TODAY:
                continue
            moved += 1
            nxt = [g["t0"] for g in by_link[f["resident_link"]] if g is not f and g["t0"] >= f["t1"]]
            if nxt and min(nxt) <= f["t1"] + relativedelta(years=years):
                back += 1
        out[years] = (moved, back)
    return out


# -- the tests -------------------------------------------------------------------------------------


def test_a_leader_sees_the_exact_figures_of_the_own_organisation(hist):
    me = actor("leder.gamleoslo")
    org = hist.orgs["gamle-oslo"]
    f = compliance.Filters()
    rep = compliance.build(me, f, now=NOW)
    ok = in_scope(org, f, "due_date")
    rows = [r for r in hist.deadlines if ok(r)]
    # per deadline, per institution, per month and in total: counts, median and p90 days late
    per_key = exp_rows(rows, lambda r: r["deadline_key"])
    got = {r.key: as_tuple(r) for r in rep.deadlines}
    assert {k: v for k, v in got.items() if v[0]} == {k: exp_tuple(c) for k, c in per_key.items()}
    assert {r.key: as_tuple(r) for r in rep.by_institution} == \
        {k: exp_tuple(c) for k, c in exp_rows(rows, lambda r: r["institution_id"]).items()}
    assert [r.key for r in rep.by_bydel] == [org]
    assert {r.key: as_tuple(r) for r in rep.by_period} == \
        {k: exp_tuple(c) for k, c in exp_rows(rows, lambda r: r["due_month"]).items()}
    total = exp_rows(rows, lambda r: "alle")["alle"]
    assert as_tuple(rep.total) == exp_tuple(total)
    # the generated history is what we think it is: hundreds of cases, every state present
    assert len({r["case_id"] for r in rows}) > 100
    assert min(total["on_time"], total["late"], total["missed"], total["open"]) > 0
    # lengths of stays, offers and transitions; the bydel's follow-up; endings; readmissions
    fok = in_scope(org, f, "t1")
    facts = [x for x in hist.facts if fok(x)]
    for d, col in zip(rep.durations, ("stay_days", "offer_days", "transition_days"), strict=True):
        values = [x[col] for x in facts if x[col] is not None]
        assert (d.n, d.median, d.p90) == (len(values), med(values), p90(values)), d.key
    moved = [x for x in facts if x["ending"] == "bolig" and (TODAY - x["t1"]).days >= 28]
    within = [x for x in moved if x["followup_days"] is not None and x["followup_days"] <= 28]
    assert (rep.followup.n, rep.followup_within) == (len(moved), len(within))
    assert rep.followup.median == pytest.approx(len(within) / len(moved))
    assert dict(rep.endings) == dict(Counter(x["ending"] for x in facts))
    exp = expected_readmissions(hist.facts, fok)
    assert {r.years: (r.moved, r.readmitted) for r in rep.readmissions} == exp
    assert exp[1][1] > 0 and exp[5][0] > 0       # the history has readmissions and long enough windows
    # meetings: held and attendance per party from the meeting rows, due/kept from the deadlines
    mok = in_scope(org, f, "held_on")
    for m in rep.meetings:
        held = [x for x in hist.meetings if mok(x) and x["meeting"] == m.key]
        assert m.held == len(held)
        known = [x["bydel_attended"] for x in held if x["bydel_attended"] is not None]
        assert m.bydel == (sum(known) / len(known) if known else None)
        if m.key in per_key:
            assert (m.due, m.held_by_deadline) == (per_key[m.key]["due"], per_key[m.key]["on_time"] + per_key[m.key]["late"])
    # and the view is in the access log
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccessLog).where(
        AccessLog.user_id == me.user_id, AccessLog.action == "report_view")) == 1


def test_filters_by_period_institution_and_deadline(hist):
    me = actor("leder.bygdoy")
    org = hist.orgs["bygdoy"]
    f = compliance.Filters(start=date(2024, 1, 1), end=date(2024, 12, 31), bydel_id=hist.orgs["frogner"],
                           deadline="statusrapport")
    rep = compliance.build(me, f, now=NOW)
    rows = [r for r in hist.deadlines if in_scope(org, f, "due_date")(r) and r["deadline_key"] == "statusrapport"]
    assert [r.key for r in rep.deadlines] == ["statusrapport"]
    assert as_tuple(rep.deadlines[0]) == exp_tuple(exp_rows(rows, lambda r: 1)[1])
    assert rep.deadlines[0].due > 5
    assert all(r.key.startswith("2024-") for r in rep.by_period)
    assert compliance.whole_months(f)                      # answered from the rollup …
    # … and a period that is not whole months from the deadline rows themselves
    g = compliance.Filters(start=date(2024, 1, 10), end=date(2024, 11, 20), bydel_id=hist.orgs["frogner"])
    assert not compliance.whole_months(g)
    rep = compliance.build(me, g, now=NOW)
    rows = [r for r in hist.deadlines if in_scope(org, g, "due_date")(r)]
    assert as_tuple(rep.total) == exp_tuple(exp_rows(rows, lambda r: 1)[1]) and rep.total.due > 20
    assert {r.key: as_tuple(r) for r in rep.by_period} == \
        {k: exp_tuple(c) for k, c in exp_rows(rows, lambda r: r["due_month"]).items()}


def test_cross_organisation_viewers_get_aggregates_with_small_cells_suppressed(hist):
    for username in ("prosesseier", "radgiver.vel", "admin"):
        rep = compliance.build(actor(username), compliance.Filters(start=date(2025, 6, 1), end=date(2025, 6, 30)),
                               now=NOW)
        assert rep.scope == compliance.Scope(None, suppress=True, drilldown=False)
        rows = [r for r in hist.deadlines if date(2025, 6, 1) <= r["due_date"] <= date(2025, 6, 30)]
        for got, (key, cell) in [(next(r for r in rep.by_bydel if r.key == k), (k, c))
                                 for k, c in exp_rows(rows, lambda r: r["bydel_id"]).items()]:
            for state in ("due", "on_time", "late", "missed", "open"):
                n = cell[state]
                assert getattr(got, state) == (None if 0 < n < 5 else n), (key, state)
            lates = cell["lates"]
            assert got.median_late == (None if len(lates) < 5 else med(lates))
        small = [r for r in rep.deadlines if any(getattr(r, s) is None for s in ("on_time", "late", "missed", "open"))]
        assert small, "a one-month window of three bydeler has small cells"
        # a cross-organisation viewer gets no list of cases
        with pytest.raises(Forbidden):
            drilldown.drilldown(actor(username), compliance.Filters(), state="late")
    refused = db.session.scalar(sa.select(sa.func.count()).select_from(AccessLog).where(
        AccessLog.action == "report_cases", AccessLog.granted.is_(False)))
    assert refused == 3


def test_caseworkers_and_residents_have_no_report(hist):
    for username in ("kari.gamleoslo", "beboer.test"):
        with pytest.raises(Forbidden):
            compliance.build(actor(username), compliance.Filters(), now=NOW)


def test_drill_down_lists_exactly_the_cases_behind_a_cell_and_logs_each_read(hist):
    me = actor("leder.gamleoslo")
    org = hist.orgs["gamle-oslo"]
    f = compliance.Filters(deadline="plan_for_oppholdet")
    lines = drilldown.drilldown(me, f, state="late", now=NOW)
    expected = sorted((r["case_id"], r["days_late"]) for r in hist.deadlines
                      if org in (r["bydel_id"], r["institution_id"]) and r["deadline_key"] == "plan_for_oppholdet"
                      and r["state"] == "late")
    assert sorted((ln.case_id, ln.days_late) for ln in lines) == expected and expected
    logged = set(db.session.scalars(sa.select(AccessLog.case_id).where(AccessLog.action == "report_cases",
                                                                       AccessLog.user_id == me.user_id)))
    assert logged == {c for c, _ in expected}
    # a leader of an institution sees its own cases only, whichever bydel
    other = drilldown.drilldown(actor("leder.bygdoy"), compliance.Filters(deadline="plan_for_oppholdet"), state="late",
                                 now=NOW)
    assert {ln.institution_id for ln in other} == {hist.orgs["bygdoy"]}


def _client(app, username: str) -> Browser:
    return Browser(app.test_client()).login(username)


def test_the_page_and_both_exports_show_the_report_figures(hist, app, time_machine):
    time_machine.move_to(NOW, tick=False)
    me = actor("leder.gamleoslo")
    rep = compliance.build(me, compliance.Filters(), now=NOW, log=None)
    tables = export.tables(rep, lambda s: s)
    client = _client(app, "leder.gamleoslo")
    page = client.get("/rapport")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Følges rutinen?" in html and 'id="chart-deadlines"' in html
    assert f">{rep.total.due}<" in html
    # CSV: every table, the same cells
    body = client.get("/rapport/eksport.csv").get_data(as_text=True)
    lines = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    for tab in tables:
        i = lines.index([tab.title])
        assert lines[i + 1] == tab.headers
        for j, row in enumerate(tab.rows):
            assert lines[i + 2 + j] == ["" if v is None else str(v) for v in row], tab.key
    deadlines_csv = {r[0]: r for r in lines[lines.index(["Frister"]) + 2:][:16]}
    assert deadlines_csv["Alle frister"][1:6] == [str(rep.total.due), str(rep.total.on_time), str(rep.total.late),
                                                  str(rep.total.missed), str(rep.total.open)]
    # XLSX: one sheet per table, numbers as numbers
    xlsx = client.client.get("/rapport/eksport.xlsx")
    assert xlsx.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    wb = openpyxl.load_workbook(io.BytesIO(xlsx.data))
    assert wb.sheetnames == ["Utvalg", *[t.key for t in tables]]
    for tab in tables:
        ws = wb[tab.key]
        got = [list(r) for r in ws.iter_rows(min_row=3, values_only=True)]
        assert got == [list(r) for r in tab.rows], tab.key
    last = list(wb["frister"].iter_rows(min_row=3, values_only=True))[-1]
    assert last[:6] == ("Alle frister", rep.total.due, rep.total.on_time, rep.total.late, rep.total.missed, rep.total.open)
    # each view and export is logged
    actions = Counter(db.session.scalars(sa.select(AccessLog.action).where(AccessLog.user_id == me.user_id)))
    assert actions["report_view"] == 1 and actions["report_export"] == 2
    assert client.get("/innboks").status_code == 200 and "/rapport" in client.get("/innboks").get_data(as_text=True)


def test_a_cross_organisation_export_writes_suppressed_cells_as_under_five(hist, app, time_machine):
    time_machine.move_to(NOW, tick=False)
    client = _client(app, "radgiver.vel")
    assert "Rapport" in client.get("/rapport").get_data(as_text=True)
    body = client.get("/rapport/eksport.csv?fra=2025-06-01&til=2025-06-30").get_data(as_text=True)
    assert ";<5;" in body or ";<5\r" in body
    assert client.get("/rapport/saker?status=late").status_code == 403
    client2 = _client(app, "kari.gamleoslo")
    assert client2.get("/rapport").status_code == 403


def test_a_period_is_split_into_whole_months_for_the_rollup_and_partial_days_for_the_rows():
    F = compliance.Filters
    assert compliance.split_months(F()) == ((None, None), [])
    assert compliance.split_months(F(date(2024, 1, 1), date(2024, 12, 31))) == (("2024-01", "2024-12"), [])
    assert compliance.split_months(F(date(2024, 1, 10), date(2024, 11, 20))) == (
        ("2024-02", "2024-10"), [F(date(2024, 1, 10), date(2024, 1, 31)), F(date(2024, 11, 1), date(2024, 11, 20))])
    assert compliance.split_months(F(date(2024, 2, 3), date(2024, 2, 20))) == (None, [F(date(2024, 2, 3), date(2024, 2, 20))])
    assert compliance.split_months(F(date(2024, 2, 3), date(2024, 2, 29))) == (None, [F(date(2024, 2, 3), date(2024, 2, 29))])
    assert compliance.split_months(F(None, date(2025, 3, 5))) == ((None, "2025-02"), [F(date(2025, 3, 1), date(2025, 3, 5))])


def test_the_link_key_is_the_configured_one_or_derived_for_its_own_purpose():
    derived = readmission.link_key("hemmelig")
    assert derived != b"hemmelig" and len(derived) == 32
    assert readmission.link_key(12345678901234567890123456789012) == readmission.link_key("12345678901234567890123456789012")
    assert readmission.link_key("hemmelig", "egen-nokkel") == b"egen-nokkel"
    a, b = readmission.resident_link(derived, "fnr:01017012345"), readmission.resident_link(b"other", "fnr:01017012345")
    assert a != b and len(a) == 64 and "01017012345" not in a
