"""The compliance report as tables, CSV and XLSX (issue 16).

One function (:func:`tables`) decides what the report's tables are — title, column heads, rows — and
the web page, the CSV and the workbook all draw from it, so they cannot disagree.  The report is
already suppressed for a cross-organisation viewer; a withheld cell is written as «<5» in CSV and
XLSX (never a number that could be subtracted back).  Text is passed through the caller's
translation function ``t`` (the web layer's ``_``), since this part has no Flask.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.reports.compliance import Report, Row

SUPPRESSED = "<5"

#: Norwegian names of the deadlines, meetings, lengths and endings (source strings for ``t``).
DEADLINE_NAMES = {
    "innflytting": "Innflytting registrert (T0)", "samtykke": "Samtykke", "bydelskontakter": "Bydelskontakter",
    "plan_for_oppholdet": "Plan for oppholdet", "kartlegging": "Kartlegging",
    "forste_samarbeidsmote": "Første samarbeidsmøte", "statusrapport": "Statusrapport", "boligmote": "Boligmøte",
    "soknader": "Søknader og henvisninger", "evaluering": "Evaluering av planen", "utflyttingsmote": "Utflyttingsmøte",
    "utflyttingsplan": "Utflyttingsplan", "kriseplan": "Kriseplan", "sluttrapport": "Sluttrapport",
    "oppfolgingsmote": "Oppfølgingsmøte", "alle": "Alle frister",
}
MEETING_NAMES = {"forste_samarbeidsmote": "Første samarbeidsmøte", "samarbeidsmote": "Samarbeidsmøte",
                 "boligmote": "Boligmøte", "utflyttingsmote": "Utflyttingsmøte", "oppfolgingsmote": "Oppfølgingsmøte"}
DURATION_NAMES = {"opphold": "Oppholdets lengde (T0 til T1)", "tilbud_til_utflytting": "Fra boligtilbud til utflytting",
                  "overgang": "Overgangsperioden (T1 til institusjonens del er avsluttet)"}
ENDING_NAMES = {"bolig": "Flyttet til bolig", "uten_bolig": "Avsluttet uten bolig (årsak ikke registrert)",
                "avbrutt": "Avbrutt", "tsb": "Behandling (TSB)", "annen_institusjon": "Annen institusjon", "dod": "Død",
                "utskrevet_uten_bolig": "Utskrevet uten bolig", "midlertidig_botilbud": "Midlertidig botilbud",
                "botid_nadd": "Botid nådd"}
PARTY_NAMES = {"bydel": "Bydelen", "institusjon": "Institusjonen"}
STATE_NAMES = {"on_time": "I tide", "late": "For sent", "missed": "Ikke gjort innen fristen", "open": "Ikke forfalt"}


@dataclass
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list[Any]]


def _cell(v: Any) -> Any:
    return SUPPRESSED if v is None else v


def _share(v: float | None) -> Any:
    return None if v is None else round(v * 100, 1)


def _deadline_rows(rows: list[Row], label: Callable[[Any], str], suppressed: bool) -> list[list[Any]]:
    out = []
    for r in rows:
        cells = [r.due, r.on_time, r.late, r.missed, r.open]
        withheld = suppressed and r.late != 0     # no figure because the group is small, not because it is empty
        out.append([label(r.key), *[(_cell(c) if suppressed else c) for c in cells],
                    SUPPRESSED if withheld and r.median_late is None else r.median_late,
                    SUPPRESSED if withheld and r.p90_late is None else r.p90_late])
    return out


def tables(report: Report, t: Callable[[str], str]) -> list[Table]:
    """Every table of the report, in the order of the page."""
    s = report.scope.suppress
    orgs = report.organisations
    heads = [t("Forfalt"), t("I tide"), t("For sent"), t("Ikke gjort innen fristen"), t("Ikke forfalt"),
             t("Median dager for sent"), t("90-persentil dager for sent")]

    def name(k: Any) -> str:
        return t(DEADLINE_NAMES.get(k, str(k)))

    def org(k: Any) -> str:
        return orgs.get(k, str(k))

    def cell(v: Any) -> Any:
        return _cell(v) if s else (0 if v is None else v)

    def shown(v: Any) -> Any:          # a derived figure: withheld only when its group is small
        return (SUPPRESSED if s else None) if v is None else v

    out = [
        Table("frister", t("Frister"), [t("Frist"), *heads],
              _deadline_rows([*report.deadlines, report.total], name, s)),
        Table("bydeler", t("Per bydel"), [t("Bydel"), *heads], _deadline_rows(report.by_bydel, org, s)),
        Table("institusjoner", t("Per institusjon"), [t("Institusjon"), *heads],
              _deadline_rows(report.by_institution, org, s)),
        Table("perioder", t("Per måned"), [t("Måned"), *heads], _deadline_rows(report.by_period, str, s)),
        Table("varighet", t("Varighet (dager)"), [t("Mål"), t("Antall saker"), t("Median"), t("90-persentil")],
              [[t(DURATION_NAMES[d.key]), cell(d.n), shown(d.median), shown(d.p90)] for d in report.durations]),
        Table("booppfolging", t("Oppfølging fra bydelen innen 4 uker etter utflytting"),
              [t("Flyttet til bolig"), t("Fulgt opp innen 4 uker"), t("Andel (%)")],
              [[cell(report.followup.n), cell(report.followup_within), shown(_share(report.followup.median))]]),
        Table("avslutning", t("Hvordan oppholdet endte"), [t("Avslutning"), t("Antall")],
              [[t(ENDING_NAMES.get(e, e)), cell(n)] for e, n in report.endings]),
        Table("moter", t("Møter"), [t("Møte"), t("Forfalt"), t("Holdt (med frist)"), t("Holdt i perioden"),
                                    t("Bydelen deltok (%)"), t("Institusjonen deltok (%)"), t("Beboeren deltok (%)")],
              [[t(MEETING_NAMES[m.key]), None if m.due is None and m.key == "samarbeidsmote" else cell(m.due),
                None if m.held_by_deadline is None and m.key == "samarbeidsmote" else cell(m.held_by_deadline),
                cell(m.held), shown(_share(m.bydel)), shown(_share(m.institusjon)), shown(_share(m.beboer))]
               for m in report.meetings]),
        Table("plikt", t("Part som plikter å delta, men ikke deltok"),
              [t("Organisasjon"), t("Part"), t("Møter med plikt, holdt"), t("Ikke deltatt")],
              [[org(a.organisation_id), t(PARTY_NAMES[a.party]), cell(a.held), cell(a.missed)] for a in report.duty]),
        Table("reinnleggelser", t("Tilbake på institusjon etter utflytting til bolig"),
              [t("Innen"), t("Flyttet til bolig (hele perioden bak seg)"), t("Tilbake på institusjon"), t("Andel (%)")],
              [[f"{r.years} {t('år')}", cell(r.moved),
                cell(r.readmitted), shown(_share(r.share))] for r in report.readmissions]),
    ]
    return out


def to_csv(tabs: list[Table]) -> str:
    """All tables in one CSV (semicolon-separated, as Norwegian Excel expects), a blank line between tables."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\r\n")
    for i, tab in enumerate(tabs):
        if i:
            w.writerow([])
        w.writerow([tab.title])
        w.writerow(tab.headers)
        for row in tab.rows:
            w.writerow(["" if v is None else v for v in row])
    return "\ufeff" + buf.getvalue()      # BOM: Excel reads «ø» right


def to_xlsx(tabs: list[Table], filters: list[tuple[str, str]]) -> bytes:
    """One sheet per table (numbers as numbers), plus a first sheet saying which filters made it."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    info = wb.active
    info.title = "Utvalg"
    for k, v in filters:
        info.append([k, v])
    for tab in tabs:
        ws = wb.create_sheet(tab.key[:31])
        ws.append([tab.title])
        ws["A1"].font = Font(bold=True)
        ws.append(tab.headers)
        for c in ws[2]:
            c.font = Font(bold=True)
        for row in tab.rows:
            ws.append(row)
        ws.column_dimensions["A"].width = 48
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
