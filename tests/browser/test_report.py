"""Chromium: a leader opens «Følges rutinen?», filters, drills down to the cases, downloads the workbook."""
from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import openpyxl
from playwright.sync_api import expect

from engine import clock
from engine.access.rules import actor_for
from engine.extensions import db
from engine.reports import compliance
from engine.store.models import User
from tests.browser.fixtures_pw import login, screenshot, submit
from tests.browser.test_day import _axe
from tests.reports import history


def test_a_leader_filters_the_report_drills_down_and_downloads_the_workbook(page, tre_baner):
    h = history.load(150, clock.now(), seed=7, start=date(2022, 1, 1))
    login(page, "leder.gamleoslo")
    submit(page.get_by_role("link", name="Rapport"))
    page.wait_for_selector("#table-frister")
    expect(page.get_by_role("heading", name="Følges rutinen?")).to_be_visible()
    # Chart.js drew it.  A function, not an expression: Playwright evaluates an expression again on
    # every poll with eval(), which the page's CSP refuses once it has to wait.
    page.wait_for_function("() => document.querySelector('#chart-deadlines').width > 0")
    # filter: one deadline, from 2023
    page.get_by_label("Frist", exact=True).select_option("plan_for_oppholdet")
    page.get_by_label("Fra (frist eller utflytting)").fill("2023-01-01")
    submit(page.get_by_role("button", name="Vis"))
    page.wait_for_url("**frist=plan_for_oppholdet**")
    me = actor_for(db.session.query(User).filter_by(username="leder.gamleoslo").one())
    rep = compliance.build(me, compliance.Filters(start=date(2023, 1, 1), deadline="plan_for_oppholdet"), log=None)
    (row,) = rep.deadlines
    assert row.late and row.late > 0
    cells = page.locator("#table-frister tbody tr").first.locator("td")
    assert cells.nth(0).inner_text() == str(row.due)
    assert cells.nth(2).inner_text() == str(row.late)
    assert _axe(page) == []
    screenshot(page, "rapport-folges-rutinen")
    # drill down: the late plans are exactly the cases behind the cell (the table is there before all
    # its rows are: count them, and read them, once the page has loaded)
    submit(cells.nth(2).get_by_role("link"))
    page.wait_for_selector("#report-cases")
    expect(page.locator("#report-cases tbody tr")).to_have_count(row.late)
    org = h.orgs["gamle-oslo"]
    expected = {r["case_id"] for r in h.deadlines if r["deadline_key"] == "plan_for_oppholdet" and r["state"] == "late"
                and org in (r["bydel_id"], r["institution_id"]) and r["due_date"] >= date(2023, 1, 1)}
    shown = {int(t.strip().lstrip("#")) for t in page.locator("#report-cases tbody .muted").all_inner_texts()}
    assert shown == expected
    assert _axe(page) == []
    submit(page.get_by_role("link", name="Tilbake til rapporten"))
    # download the workbook: the same figures, the filters on the first sheet
    with page.expect_download() as info:
        page.get_by_role("link", name="Last ned Excel (XLSX)").click()
    wb = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    first = list(wb["frister"].iter_rows(min_row=3, values_only=True))[0]
    assert first[:6] == ("Plan for oppholdet", row.due, row.on_time, row.late, row.missed, row.open)
    assert ("Frist", "Plan for oppholdet") in [tuple(r) for r in wb["Utvalg"].iter_rows(values_only=True)]
