"""«Følges rutinen?» — the compliance report's pages and exports (issue 16).

Thin: reads the filters from the query string, asks ``engine.reports.compliance`` (which decides
the viewer's scope, suppresses small cells and logs the view) and renders the tables that
``engine.reports.export`` defines — the same tables as the CSV and the workbook.
"""
from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import Blueprint, Response, render_template, request, url_for

from engine.access import users
from engine.reports import compliance, export
from engine.reports import drilldown as case_lines
from engine.web import i18n
from engine.web.i18n import _
from engine.web.page_base import require_actor

bp = Blueprint("reports_pages", __name__, template_folder="templates")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw and raw.isdigit() and len(raw) < 10 else None
    except ValueError:
        return None


def _filters() -> compliance.Filters:
    a = request.args
    deadline = a.get("frist")
    return compliance.Filters(start=_day(a.get("fra")), end=_day(a.get("til")), bydel_id=_int(a.get("bydel")),
                              institution_id=_int(a.get("institusjon")),
                              deadline=deadline if deadline in compliance.DEADLINES else None)


def _query(**extra: Any) -> dict[str, Any]:
    """The current filters as query arguments (for links and exports), plus ``extra``."""
    keep = {k: v for k, v in request.args.items() if k in ("fra", "til", "bydel", "institusjon", "frist", "omfang") and v}
    return {**keep, **{k: v for k, v in extra.items() if v is not None}}


def _charts(report: compliance.Report) -> dict[str, str]:
    """Chart data for static/report-charts.js, as JSON in data attributes (no inline script)."""
    states = [(s, _(export.STATE_NAMES[s])) for s in compliance.STATES]
    by_deadline = {"type": "stacked", "labels": [_(export.DEADLINE_NAMES[r.key]) for r in report.deadlines],
                   "series": [{"label": label, "state": s, "data": [getattr(r, s) for r in report.deadlines]}
                              for s, label in states]}
    by_month = {"type": "stacked", "labels": [r.key for r in report.by_period],
                "series": [{"label": label, "state": s, "data": [getattr(r, s) for r in report.by_period]}
                           for s, label in states]}
    return {"deadlines": json.dumps(by_deadline), "months": json.dumps(by_month)}


def _filter_labels(report: compliance.Report) -> list[tuple[str, str]]:
    f = report.filters
    orgs = report.organisations
    return [(_("Utvalg"), _("Egen organisasjon") if report.scope.organisation_id else _("Alle organisasjoner")),
            (_("Fra"), f.start.isoformat() if f.start else ""), (_("Til"), f.end.isoformat() if f.end else ""),
            (_("Bydel"), orgs.get(f.bydel_id, "") if f.bydel_id else ""),
            (_("Institusjon"), orgs.get(f.institution_id, "") if f.institution_id else ""),
            (_("Frist"), _(export.DEADLINE_NAMES[f.deadline]) if f.deadline else ""),
            (_("Laget"), i18n.format_datetime(report.now))]


def _report(action: str = "report_view") -> compliance.Report:
    actor = require_actor()
    return compliance.build(actor, _filters(), city=request.args.get("omfang") == "by", log=action)


@bp.get("/rapport")
def report():
    rep = _report()
    return render_template("pages/report.html", report=rep, tables=export.tables(rep, _), charts=_charts(rep),
                           bydeler=users.organisations("bydel"), institutions=users.organisations("institusjon"),
                           deadlines=[(k, _(export.DEADLINE_NAMES[k])) for k in compliance.DEADLINES],
                           states=compliance.STATES, query=_query(), args=request.args, filter_labels=_filter_labels(rep))


@bp.get("/rapport/saker")
def drilldown():
    actor = require_actor()
    state = request.args.get("status")
    lines = case_lines.drilldown(actor, _filters(), state=state if state in compliance.STATES else None,
                                 month=(request.args.get("maned") or None))
    orgs = {o.id: o.name for kind in ("bydel", "institusjon") for o in users.organisations(kind)}
    return render_template("pages/report_cases.html", lines=lines, orgs=orgs, names=export.DEADLINE_NAMES,
                           state_names=export.STATE_NAMES, state=state, back=url_for("reports_pages.report", **_query()))


@bp.get("/rapport/eksport.csv")
def export_csv():
    rep = _report("report_export")
    body = export.to_csv([export.Table("utvalg", _("Utvalg"), [], [list(x) for x in _filter_labels(rep)]),
                          *export.tables(rep, _)])
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=rapport-{rep.now.date().isoformat()}.csv"})


@bp.get("/rapport/eksport.xlsx")
def export_xlsx():
    rep = _report("report_export")
    body = export.to_xlsx(export.tables(rep, _), _filter_labels(rep))
    return Response(body, mimetype=XLSX, headers={
        "Content-Disposition": f"attachment; filename=rapport-{rep.now.date().isoformat()}.xlsx"})


def init_app(app: Any) -> None:
    app.register_blueprint(bp)
