"""A caseworker's day (#14) in a real browser: a stale tab, finding work, starting a case."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from engine import clock
from engine.extensions import db
from engine.store.models import OpenTask
from tests.browser.fixtures_pw import login, logout, submit
from tests.web.conftest import open_case

pytestmark = pytest.mark.browser


def _task(case_id: int, element_id: str) -> OpenTask:
    return db.session.scalar(sa.select(OpenTask).where(OpenTask.case_id == case_id, OpenTask.element_id == element_id))


def _today() -> str:
    return clock.today_oslo().isoformat()


def _fill_kontakter(pg, name: str) -> None:
    pg.get_by_label("Dato for møtet").fill(_today())
    pg.get_by_label("Antall deltakere").fill("2")
    pg.get_by_role("button", name="Legg til").click()
    pg.get_by_label("Navn").fill(name)
    pg.get_by_label("Behov for booppfølging").select_option("ja")
    pg.get_by_label("privat").check()


def test_a_stale_tab_completing_a_completed_task_gets_409_and_keeps_the_typed_values(page, web_rik):
    case = open_case("web_rik", data={"innflytting": _today(), "vurdering": "Trenger bolig"})
    task_id = _task(case.id, "kontakter").id
    login(page, "kari.gamleoslo")
    page.goto(f"/oppgaver/{task_id}")
    old_tab = page.context.new_page()          # the same user, a second tab opened earlier
    old_tab.goto(f"/oppgaver/{task_id}")
    _fill_kontakter(old_tab, "Ola Sent")     # typed in the old tab while …
    _fill_kontakter(page, "Eva Først")       # … the same task is completed in another
    page.get_by_role("button", name="Fullfør").click()
    page.wait_for_url(f"**/saker/{case.id}")
    old_tab.get_by_label("Merknad").fill("Ringte fastlegen i dag")
    submit(old_tab.get_by_role("button", name="Fullfør"))
    assert "Noen kom deg i forkjøpet" in old_tab.locator("h1").inner_text()
    assert "er allerede fullført" in old_tab.locator("#conflict-message").inner_text()
    kept = old_tab.locator("#stale-form")
    assert kept.get_by_label("Merknad").input_value() == "Ringte fastlegen i dag"
    assert kept.get_by_label("Navn").input_value() == "Ola Sent"
    old_tab.get_by_role("link", name="Se saken").click()
    old_tab.wait_for_url(f"**/saker/{case.id}")
    old_tab.close()


def test_search_the_inbox_give_a_task_to_a_colleague_and_a_leader_releases_it(page, tre_baner):
    made = {}
    for name in ("Anne Andersen", "Bjørn Berg", "Cecilie Carlsen"):
        c = open_case("tre_baner", data={"innflytting": _today(), "deler": "4"})
        c.resident_name = name
        db.session.commit()
        made[name] = _task(c.id, "registrer").id
    login(page, "kari.gamleoslo")
    page.get_by_label("Søk").fill("bjørn")
    page.get_by_label("Søk").press("Enter")            # submits the filter form: wait for the page it loads
    expect(page).to_have_url(re.compile(r"[?&]q=bj"))
    page.wait_for_load_state()
    rows = page.locator("#inbox tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Bjørn Berg")
    expect(page.locator("#inbox-count")).to_contain_text("1 oppgave")
    # sort by name, unassigned only
    page.get_by_label("Søk").fill("")
    page.get_by_label("Sorter etter").select_option("navn")
    submit(page.get_by_role("button", name="Filtrer"))
    expect(rows).to_have_count(3)
    assert [rows.nth(i).get_attribute("data-task") for i in range(3)] == [made[n] for n in sorted(made)]
    # give Bjørn's task to the leader, from the task page
    page.goto(f"/oppgaver/{made['Bjørn Berg']}")
    page.get_by_label("Gi oppgaven til en kollega").select_option(label="Per Lie (leder, Gamle Oslo)")
    submit(page.get_by_role("button", name="Gi oppgaven videre"))
    expect(page.locator(".flashes")).to_contain_text("Oppgaven er gitt til Per Lie")
    page.goto("/innboks?vis=ledige")
    assert rows.count() == 2 and made["Bjørn Berg"] not in page.locator("#inbox").inner_html()
    # Kari opening it is told who has it
    page.goto(f"/oppgaver/{made['Bjørn Berg']}")
    assert "Per Lie (leder, Gamle Oslo) har tatt denne oppgaven" in page.locator("#claimed-by-other").inner_text()
    logout(page)
    # the leader gives a claim back from the inbox (Kari's own claim on Anne's task)
    login(page, "kari.gamleoslo")
    submit(page.locator(f'tr[data-task="{made["Anne Andersen"]}"]').get_by_role("button", name="Ta oppgaven"))
    logout(page)
    login(page, "leder.gamleoslo")
    row = page.locator(f'tr[data-task="{made["Anne Andersen"]}"]')
    assert "Kari Nordmann" in row.inner_text()
    submit(row.get_by_role("button", name="Legg tilbake"))
    expect(page.locator(".flashes")).to_contain_text("Oppgaven er lagt tilbake")
    expect(row.get_by_role("button", name="Ta oppgaven")).to_be_visible()


def test_new_case_shows_every_error_at_once_named_and_focused(page, web_rik):
    login(page, "kari.gamleoslo")
    submit(page.get_by_role("link", name="Ny sak"))
    assert page.locator("#f-_institusjon option").first.inner_text() == "Velg institusjon"
    submit(page.get_by_role("button", name="Opprett saken"))     # focus-errors.js runs at the end of the page
    summary = page.locator("#feiloppsummering")
    expect(summary).to_be_focused()
    text = summary.inner_text()
    assert "Beboerens navn: Skriv beboerens navn." in text and "Institusjon: Velg institusjon." in text
    assert "Innflyttingsdato (T0): Feltet må fylles ut." in text
    # the summary's links lead to the fields
    summary.get_by_role("link", name="Institusjon: Velg institusjon.").click()
    expect(page.locator("#f-_institusjon")).to_be_focused()
    page.get_by_label("Beboerens navn").fill("Nina Nyhenvist")
    page.locator("#f-_institusjon").select_option("bygdoy")
    page.get_by_label("Ekstern referanse (valgfritt)").fill("GERICA-77")
    page.get_by_label("Innflyttingsdato (T0)").fill(_today())
    page.get_by_label("Bydelens vurdering").fill("Trenger egen bolig med oppfølging")
    submit(page.get_by_role("button", name="Opprett saken"))
    expect(page).to_have_url(re.compile(r"/saker/\d+(#.*)?$"))      # one round: fixed once, created
    page.goto("/saker?q=gerica-77")
    assert "Nina Nyhenvist" in page.locator("#cases").inner_text()


AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def _axe(pg, selector: str | None = None) -> list[dict]:
    """axe-core's violations on the page (or under ``selector``), injected through the DevTools
    protocol so the page's CSP (no inline script) stays as it is."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed: run `make assets` (npm ci)")
    pg.evaluate(AXE.read_text(encoding="utf-8"))
    ctx = json.dumps(selector) if selector else "document"
    return pg.evaluate(f"axe.run({ctx}).then(r => r.violations.map(v => ({{id: v.id, nodes: v.nodes.length}})))")


def test_the_diagram_fills_the_width_zooms_with_buttons_and_axe_finds_nothing(page, tegnet):
    case = open_case("tre_baner_tegnet", data={"innflytting": _today()})
    login(page, "kari.gamleoslo")
    page.goto(f"/saker/{case.id}")
    page.wait_for_selector("#diagram[data-ready='1']")
    box = page.locator("#diagram").bounding_box()
    assert box["width"] >= 1280 - 40                       # the window's width, not main's column
    tools = page.locator("#diagram-tools")
    expect(tools).to_be_visible()          # shown by the script just after it marks the diagram ready
    start = float(page.locator("#diagram").get_attribute("data-zoom"))
    tools.get_by_role("button", name="Forstørr").click()
    bigger = float(page.locator("#diagram").get_attribute("data-zoom"))
    assert bigger > start
    tools.get_by_role("button", name="Forminsk").click()
    tools.get_by_role("button", name="Forminsk").click()
    assert float(page.locator("#diagram").get_attribute("data-zoom")) < bigger
    tools.get_by_role("button", name="Vis det som skjer nå").click()
    assert float(page.locator("#diagram").get_attribute("data-zoom")) == 1.0
    expect(page.locator('#diagram [data-element-id="registrer"].tb-current')).to_be_visible()
    assert page.locator("#diagram").get_attribute("role") is None
    violations = _axe(page)
    assert violations == [], violations
    # the check would see it: the old role="img" around bpmn-js's link is axe's nested-interactive
    page.evaluate("document.getElementById('diagram').setAttribute('role', 'img')")
    assert "nested-interactive" in [v["id"] for v in _axe(page, "#diagram")]


def test_axe_finds_nothing_on_the_pages_this_issue_changed(page, web_rik):
    case = open_case("web_rik", data={"innflytting": _today(), "vurdering": "Trenger bolig"})
    task_id = _task(case.id, "kontakter").id
    login(page, "kari.gamleoslo")
    found = {}
    for url in ("/innboks?q=tore&sorter=navn", "/saker?q=tore", f"/oppgaver/{task_id}"):
        page.goto(url)
        found[url] = _axe(page)
    page.goto("/saker/ny")
    submit(page.get_by_role("button", name="Opprett saken"))     # axe on the whole answer, not a part of it
    expect(page.locator("#feiloppsummering")).to_be_visible()
    found["/saker/ny (feil)"] = _axe(page)
    old_tab = page.context.new_page()
    old_tab.goto(f"/oppgaver/{task_id}")
    page.goto(f"/oppgaver/{task_id}")
    _fill_kontakter(page, "Eva")
    page.get_by_role("button", name="Fullfør").click()
    page.wait_for_url(f"**/saker/{case.id}")
    submit(old_tab.get_by_role("button", name="Fullfør"))      # the stale tab's 409
    assert "Noen kom deg i forkjøpet" in old_tab.locator("h1").inner_text()
    found["409"] = _axe(old_tab)
    old_tab.close()
    logout(page)
    login(page, "beboer.test")
    found["/min-side"] = _axe(page)
    assert {url: v for url, v in found.items() if v} == {}


def test_rows_are_added_and_removed_in_the_page_without_a_reload(page, web_rik):
    case = open_case("web_rik", data={"innflytting": _today(), "vurdering": "Trenger bolig"})
    task_id = _task(case.id, "kontakter").id
    login(page, "kari.gamleoslo")
    page.goto(f"/oppgaver/{task_id}")
    page.evaluate("window.__sammeSide = true")          # gone if the page reloads
    page.get_by_label("Dato for møtet").fill(_today())
    page.get_by_label("Antall deltakere").fill("2")
    add = page.locator("#f-kontakter-add")
    add.click()
    assert page.evaluate("document.activeElement.id") == "f-kontakter-0-navn"   # focus in the new row
    page.keyboard.type("Ada")
    add.click()
    page.locator("#f-kontakter-1-navn").fill("Bo")
    add.click()
    page.locator("#f-kontakter-2-navn").fill("Cy")
    page.locator("#f-kontakter-1").get_by_role("button", name="Fjern").click()
    assert page.evaluate("window.__sammeSide") is True
    legends = page.locator("#f-kontakter > fieldset.row > legend").all_inner_texts()
    assert len(legends) == 2 and legends[1].endswith("2")                       # renumbered
    page.get_by_label("Behov for booppfølging").select_option("ja")
    page.get_by_label("privat").check()
    page.get_by_role("button", name="Fullfør").click()
    page.wait_for_url(f"**/saker/{case.id}")
    page.get_by_text("Registrer kontakter –").click()
    answer = page.locator("details.answer", has_text="Registrer kontakter").inner_text()
    assert "Ada" in answer and "Cy" in answer and "Bo" not in answer
