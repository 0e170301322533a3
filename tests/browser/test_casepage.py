"""The case page on the real routine in Chromium (#14 items 1 and 5): the bydel reads the institution's
statusrapport before assessing it, the page prints cleanly, and the diagram drills down into the
called process where the open task is, with its deadlines on the drawing."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.fixtures_pw import SCREENSHOTS, login, submit
from tests.browser.test_day import _axe
from tests.routine.conftest import clock, routine  # noqa: F401 - the real routine and the Oslo clock
from tests.routine.helpers import to_statusrapport

pytestmark = pytest.mark.browser


def stay_with_statusrapport(routine, clock) -> int:  # noqa: F811
    """A case in its stay (T0 5 January 2026): the institution wrote the statusrapport on 20 April;
    the bydel's «Vurder statusrapporten» is open, inside «Boligavklaring» inside «Oppholdet»."""
    clock.at("2026-01-05", 9)
    case_id = routine.open("2026-01-05")
    to_statusrapport(routine, clock, case_id)
    clock.at("2026-04-21", 9)
    assert "vurder_statusrapport" in routine.tasks(case_id)
    return case_id


def _wait_diagram(page, process: str) -> None:
    page.wait_for_function(f"""() => {{ const d = document.getElementById('diagram');
        return d && d.getAttribute('data-ready') === '1' && d.getAttribute('data-process') === '{process}'; }}""")


def test_the_bydel_reads_the_statusrapport_before_assessing_it(page, routine, clock):  # noqa: F811
    case_id = stay_with_statusrapport(routine, clock)
    login(page, "kari.gamleoslo")
    task = routine.task(case_id, "vurder_statusrapport")
    page.goto(f"/oppgaver/{task.id}")
    # from the assessment, to what the institution wrote
    page.get_by_role("link", name="Les det som er fylt ut i saken").click()
    page.wait_for_url(f"**/saker/{case_id}#answers")
    report = page.locator("details.answer", has_text="Skriv statusrapport med anbefaling")
    assert report.count() == 1
    report.locator("summary").first.click()
    text = report.inner_text()
    assert "Egen leilighet nær familien." in text and "Kommunal bolig med booppfølging." in text
    assert "Ingrid Berg" in text                                    # who wrote it
    # what the consent does not cover is said, not shown (the example consent: personalia + reports)
    assert "Holdt tilbake: beboeren har ikke samtykket til deling av bolig" in text
    # the henvisning and the called processes' forms are there too
    titles = page.locator("details.answer .form-title").all_inner_texts()
    assert titles[0].startswith("Henvisning") and "Hold første samarbeidsmøte" in titles
    # and the assessment is made after reading it
    page.goto(f"/oppgaver/{task.id}")
    page.get_by_label("Ja", exact=True).check()
    submit(page.get_by_role("button", name="Fullfør"))
    page.wait_for_url(f"**/saker/{case_id}")
    assert "vurder_statusrapport" not in routine.tasks(case_id)
    assert "Vurder statusrapporten" in " ".join(page.locator("details.answer .form-title").all_inner_texts())


def test_the_diagram_drills_down_to_the_task_inside_the_called_process_with_its_deadlines(page, routine, clock):  # noqa: F811
    case_id = stay_with_statusrapport(routine, clock)
    login(page, "kari.gamleoslo")
    page.goto(f"/saker/{case_id}")
    _wait_diagram(page, "institusjon_til_bolig")
    diagram = page.locator("#diagram")
    # the main process marks the call activity that runs the task, and offers to open it
    expect(diagram.locator('g.djs-element.tb-current[data-element-id="oppholdet"]')).to_have_count(1)
    expect(diagram.locator('[data-element-id="vurder_statusrapport"]')).to_have_count(0)
    expect(page.locator("#diagram-path")).to_be_hidden()
    # a click on the call activity in the drawing opens it …
    diagram.locator('g.djs-element[data-element-id="oppholdet"]').click()
    _wait_diagram(page, "opphold_pa_institusjon")
    expect(diagram.locator('g.djs-element.tb-current[data-element-id="boligavklaring"]')).to_have_count(1)
    expect(page.locator("#diagram-path")).to_be_visible()
    # … the path leads back …
    page.locator("#diagram-path").get_by_role("button").first.click()
    _wait_diagram(page, "institusjon_til_bolig")
    # … and «Vis oppgaven inni …» goes straight to the task, highlighted where it is
    page.get_by_role("button", name="Vis oppgaven inni «Boligavklaring: statusrapport, boligmøte og søknader»").click()
    _wait_diagram(page, "boligavklaring")
    expect(diagram.locator('g.djs-element.tb-current[data-element-id="vurder_statusrapport"]')).to_have_count(1)
    expect(diagram.locator('g.djs-element.tb-done[data-element-id="statusrapport"]')).to_have_count(1)
    crumbs = page.locator("#diagram-path li").all_inner_texts()
    assert crumbs[0].endswith("Fra institusjon til bolig") and crumbs[-1].startswith("Boligavklaring")
    assert page.locator('#diagram-path [aria-current="location"]').inner_text().startswith("Boligavklaring")
    # the deadlines of this process's steps are on the drawing, as dates in words
    due = diagram.locator('.tb-due[data-due-for="boligmote"]')
    expect(due).to_be_visible()
    assert due.inner_text() == "frist 5. juni 2026"
    # the sub-process buttons work without a mouse
    page.locator("#diagram-path").get_by_role("button", name="Oppholdet på institusjonen (T0–T1)").click()
    _wait_diagram(page, "opphold_pa_institusjon")
    page.locator("#diagram-calls").get_by_role("button", name="Åpne «Samarbeidsmøter ca. hver annen måned»").click()
    _wait_diagram(page, "samarbeidsmoter")
    expect(diagram.locator('g.djs-element.tb-current[data-element-id="samarbeidsmote_institusjon"]')).to_have_count(1)
    assert _axe(page) == []
    page.screenshot(path=str(SCREENSHOTS / "case-drilldown.png"))
    # the drill-down reads only the case's own processes
    assert page.request.get(f"/saker/{case_id}/diagram.bpmn?prosess=finnes_ikke").status == 404


def test_the_case_page_prints_the_header_and_every_form_without_navigation(page, routine, clock):  # noqa: F811
    case_id = stay_with_statusrapport(routine, clock)
    clock.at("2026-07-20", 9)
    routine.run_timers()
    routine.complete(case_id, "evaluer_plan", evaluering_dato="2026-07-20", plan_endringer="Mål om arbeid lagt til.")
    login(page, "ingrid.bygdoy")
    page.goto(f"/saker/{case_id}")
    sheet = page.locator("link#print-css")
    assert sheet.get_attribute("media") == "print" and sheet.get_attribute("href").endswith("/print.css")
    # on screen: a form answered twice shows the latest first, the earlier one folded as history
    evaluation = page.locator("details.form-history", has_text="Evaluer tiltakene og revider planen")
    assert evaluation.count() == 1 and "1 tidligere utgave" in evaluation.locator("summary").first.inner_text()
    evaluation.locator("summary").first.click()
    assert "Mål om arbeid lagt til." in evaluation.locator(":scope > dl.answers").inner_text()
    assert evaluation.locator(".revision").is_hidden()
    # on paper: no navigation, buttons or diagram; the header on top; every form and its history open
    page.emulate_media(media="print")
    assert page.locator("header.top").is_hidden() and page.locator(".diagram-section").is_hidden()
    assert page.locator("#diagram-tools").is_hidden() and page.locator("button:visible").count() == 0
    assert page.locator("h1").is_visible() and page.locator("#case-facts").is_visible()
    report = page.locator("details.answer", has_text="Skriv statusrapport med anbefaling")
    assert report.locator("dl.answers").is_visible() and "Egen leilighet nær familien." in report.inner_text()
    assert evaluation.locator(".revision").is_visible()
    assert "Nytt mål om økonomi." in evaluation.locator(".revision").inner_text()
    breaks = page.eval_on_selector("details.answer", "d => getComputedStyle(d).breakBefore")
    assert breaks == "page"
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
    # the print view: the same page with every form unfolded and no diagram, on screen too
    page.emulate_media(media="screen")
    page.goto(f"/saker/{case_id}?utskrift=1")
    assert page.locator("link#print-css").get_attribute("media") == "all"
    assert page.locator("#diagram").count() == 0 and page.locator("header.top").is_hidden()
    assert page.locator("details.answer[open]").count() == page.locator("details.answer").count() > 5
    assert page.locator("#print-now").is_visible()
    assert _axe(page) == []
