"""axe-core on every page of the caseworker and resident app (#14): 0 violations, in Chromium.

One walk of the real routine (a case in its stay, a second one just registered) plus the fixture
process with every widget, visiting each page as the people who use it: sign-in, the inbox with
filters, the case list, the case page with its diagram (also drilled down), its print view and a
«Flytt frist» refused, task forms of every kind the routine has (rows, sections, ja/nei and the
1–7 scale, checkboxes, the resident's own), «Ny sak» with and without errors, Min side, the consent
page, and the 403, 404 and 409 pages.  The admin console has its own test.  Runs in CI with the
browser tests (``make test``)."""
from __future__ import annotations

import pytest

from tests.browser.fixtures_pw import login, logout, submit
from tests.browser.test_casepage import _wait_diagram, stay_with_statusrapport
from tests.browser.test_day import _axe, _fill_kontakter, _task
from tests.routine.conftest import clock, routine  # noqa: F401 - the real routine and the Oslo clock
from tests.routine.helpers import ACTORS
from tests.web.conftest import open_case

pytestmark = pytest.mark.browser


def test_axe_finds_no_violation_on_any_page_of_the_caseworker_and_resident_app(page, routine, clock, web_rik):  # noqa: F811
    found: dict[str, list[dict]] = {}

    def check(name: str, pg=None) -> None:
        pg = pg or page
        pg.wait_for_load_state("load")
        if pg.locator("#diagram").count():
            pg.wait_for_selector("#diagram[data-ready='1']")
        found[name] = _axe(pg)

    # signing in
    page.goto("/logg-inn")
    check("logg inn")
    page.get_by_label("Brukernavn").fill("kari.gamleoslo")
    page.get_by_label("Passord").fill("feil-passord")
    submit(page.get_by_role("button", name="Logg inn"))
    check("logg inn (feil passord)")

    stay = stay_with_statusrapport(routine, clock)
    fresh = routine.open("2026-04-21", name="Per Nyregistrert")
    rik = open_case("web_rik", data={"innflytting": "2026-04-21", "vurdering": "Trenger bolig"})

    # the resident: Min side, the consent page, their own tasks (also refused)
    login(page, "beboer.test")
    check("min side")
    page.goto(f"/min-side/samtykke/{stay}/trekk-tilbake")
    check("samtykke: trekk tilbake")
    own = [t for t in routine.tasks(fresh).values() if t.lane == "beboer"]
    assert own, "the new case opens the resident's own tasks"
    for t in own:
        page.goto(f"/oppgaver/{t.id}")
        check(f"beboerens oppgave {t.element_id}")
    page.goto(f"/oppgaver/{own[0].id}")
    submit(page.get_by_role("button", name="Fullfør"))
    page.locator("#feiloppsummering").wait_for()
    check(f"beboerens oppgave {own[0].element_id} (feil)")
    logout(page)

    # the bydel: inbox and filters, case list, case page, diagram, print view, «Flytt frist», tasks, «Ny sak»
    login(page, "kari.gamleoslo")
    for url in ("/innboks", "/innboks?q=ola&forfalt=1", "/innboks?vis=ledige&sorter=navn", "/innboks?vis=mine",
                "/saker", "/saker?q=per&sorter=navn"):
        page.goto(url)
        check(url)
    page.goto(f"/saker/{stay}")
    check("sak")
    page.get_by_role("button", name="Vis oppgaven inni «Boligavklaring: statusrapport, boligmøte og søknader»").click()
    _wait_diagram(page, "boligavklaring")
    check("sak: diagrammet inni delprosessen")
    page.goto(f"/saker/{stay}?utskrift=1")
    check("sak: utskrift")
    page.goto(f"/saker/{stay}")
    move = page.locator("details.move", has_text="Flytt frist").first
    move.locator("summary").click()
    submit(move.get_by_role("button", name="Flytt fristen"))
    page.locator(".has-error").first.wait_for()
    check("sak: flytt frist (feil)")
    page.goto(f"/oppgaver/{routine.task(stay, 'vurder_statusrapport').id}")
    check("oppgave: vurder statusrapporten (ja/nei)")
    page.goto(f"/oppgaver/{_task(rik.id, 'kontakter').id}")
    check("oppgave: alle felttyper")
    submit(page.get_by_role("button", name="Fullfør"))
    page.locator("#feiloppsummering").wait_for()
    check("oppgave: alle felttyper (feil)")
    page.goto("/saker/ny")
    check("ny sak")
    submit(page.get_by_role("button", name="Opprett saken"))
    page.locator("#feiloppsummering").wait_for()
    check("ny sak (feil)")
    assert page.goto("/saker/999999").status == 404
    check("404")
    # 409: a stale tab's «Fullfør» on a task completed meanwhile
    old_tab = page.context.new_page()
    task_id = _task(rik.id, "kontakter").id
    old_tab.goto(f"/oppgaver/{task_id}")
    page.goto(f"/oppgaver/{task_id}")
    _fill_kontakter(page, "Eva")
    page.get_by_role("button", name="Fullfør").click()
    page.wait_for_url(f"**/saker/{rik.id}")
    submit(old_tab.get_by_role("button", name="Fullfør"))
    assert "Noen kom deg i forkjøpet" in old_tab.locator("h1").inner_text()
    check("409", old_tab)
    old_tab.close()
    logout(page)

    # every open task of both routine cases, as the one who does it (rows, sections, scales, checkboxes)
    for case_id in (stay, fresh):
        for t in routine.tasks(case_id).values():
            if t.lane == "beboer":
                continue
            login(page, ACTORS[(t.lane, t.role)])
            page.goto(f"/oppgaver/{t.id}")
            check(f"oppgave {t.element_id} ({t.lane})")
            logout(page)

    # the institution: its inbox, a case page, and «Ny sak» refused (403)
    login(page, "ingrid.bygdoy")
    check("innboks (institusjon)")
    page.goto(f"/saker/{stay}")
    check("sak (institusjon)")
    assert page.goto("/saker/ny").status == 403
    check("403")
    logout(page)
    login(page, "leder.gamleoslo")
    check("innboks (leder)")
    for url in ("/varsler", "/varsler/innstillinger"):      # the bell's pages (#17), with the routine's notifications
        page.goto(url)
        check(url)

    print(f"axe-core: {len(found)} pages, {sum(len(v) for v in found.values())} violations")
    assert len(found) >= 30
    assert {name: v for name, v in found.items() if v} == {}
