"""The caseworker and resident app in a real browser (Chromium via Playwright)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from engine import clock
from engine.extensions import db
from engine.store.models import OpenTask
from tests.browser.fixtures_pw import login, logout, screenshot, submit
from tests.web.conftest import open_case

pytestmark = pytest.mark.browser


def _task(case_id: int, element_id: str) -> OpenTask:
    return db.session.scalar(sa.select(OpenTask).where(OpenTask.case_id == case_id, OpenTask.element_id == element_id))


def _today() -> str:
    return clock.today_oslo().isoformat()


def test_login_inbox_order_filters_claim_and_phone_width(page, tre_baner):
    made = []
    for name, days in (("Anne Andersen", 20), ("Bjørn Berg", -3), ("Cecilie Carlsen", 4)):
        c = open_case("tre_baner", data={"innflytting": _today(), "deler": "4"})
        c.resident_name = name
        t = _task(c.id, "registrer")
        t.due_at = clock.now().replace(hour=12) + timedelta(days=days)
        made.append(t.id)
        db.session.commit()
    login(page, "kari.gamleoslo")
    assert page.url.endswith("/innboks")
    rows = page.locator("#inbox tbody tr")
    assert rows.count() == 3
    assert [rows.nth(i).get_attribute("data-task") for i in range(3)] == [made[1], made[2], made[0]]
    assert "overdue" in rows.nth(0).get_attribute("class")
    assert page.locator("#nav-count").inner_text() == "3" and page.locator("#nav-overdue").inner_text() == "1"
    screenshot(page, "inbox")
    # overdue only
    page.get_by_label("Bare over fristen").check()
    submit(page.get_by_role("button", name="Filtrer"))
    expect(rows).to_have_count(1)
    expect(page.locator("#inbox")).to_contain_text("Bjørn Berg")
    # step filter + claim + «bare mine»
    page.goto("/innboks?steg=registrer")
    assert rows.count() == 3
    submit(page.locator(f'tr[data-task="{made[2]}"]').get_by_role("button", name="Ta oppgaven"))
    page.get_by_label("Vis").select_option("mine")
    submit(page.get_by_role("button", name="Filtrer"))
    expect(rows).to_have_count(1)
    expect(page.locator("#inbox")).to_contain_text("Cecilie Carlsen")
    # phone width: nothing wider than the screen
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/innboks")
    assert page.evaluate("document.documentElement.scrollWidth") <= 376
    # keyboard: the skip link is the first stop and leads to the content
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Hopp til innholdet"
    logout(page)


def test_form_errors_keep_values_then_draft_survives_reload_then_complete(page, web_rik):
    case = open_case("web_rik", data={"innflytting": _today(), "vurdering": "Trenger bolig"})
    task_id = _task(case.id, "kontakter").id
    login(page, "kari.gamleoslo")
    page.goto(f"/oppgaver/{task_id}")
    page.get_by_label("Dato for møtet").fill("")
    page.get_by_label("Antall deltakere").fill("tolv")
    page.get_by_label("Merknad").fill("Avtalt på telefon")
    submit(page.get_by_role("button", name="Fullfør"))
    summary = page.locator("#feiloppsummering")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Skjemaet har feil")
    # focus moves when the page's script runs (at the end of the page): wait for it rather than race it
    expect(summary).to_be_focused()
    expect(page.locator("#f-antall-error")).to_contain_text("Må være et heltall")
    expect(page.locator("#f-dato-error")).to_contain_text("Feltet må fylles ut")
    expect(page.locator("#f-kontakter-error")).to_contain_text("Må ha minst 1")
    expect(page.get_by_label("Antall deltakere")).to_have_value("tolv")
    expect(page.get_by_label("Merknad")).to_have_value("Avtalt på telefon")
    expect(page.get_by_label("Antall deltakere")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "task-errors")
    # fix, add a contact row (server-side), save a draft, reload
    page.get_by_label("Antall deltakere").fill("3")
    page.get_by_role("button", name="Legg til").click()
    page.get_by_label("Navn").fill("Eva Kontakt")
    page.get_by_label("Behov for booppfølging").select_option("ja")
    page.get_by_label("privat").check()
    submit(page.get_by_role("button", name="Lagre utkast"))
    expect(page.locator(".flashes")).to_contain_text("Utkastet er lagret")
    page.reload()
    assert page.get_by_label("Navn").input_value() == "Eva Kontakt"
    assert page.get_by_label("Antall deltakere").input_value() == "3"
    assert page.get_by_label("privat").is_checked()
    page.get_by_label("Dato for møtet").fill(_today())
    page.get_by_role("button", name="Fullfør").click()
    page.wait_for_url(f"**/saker/{case.id}")
    assert "er fullført" in page.locator(".flashes").inner_text()
    assert "Registrer kontakter" in page.locator("#timeline").inner_text()
    page.get_by_text("Registrer kontakter –").click()
    # the henvisning is listed among the completed forms too (#13); inner text: shown once opened
    expect(page.locator("details.answer", has_text="Registrer kontakter")).to_contain_text("Eva Kontakt",
                                                                                          use_inner_text=True)


def test_case_page_diagram_highlights_current_task_and_deadline_moves_with_reason(page, tegnet):
    case = open_case("tre_baner_tegnet", data={"innflytting": _today()})
    login(page, "kari.gamleoslo")
    page.goto(f"/oppgaver/{_task(case.id, 'registrer').id}")
    submit(page.get_by_role("button", name="Fullfør"))
    page.goto(f"/oppgaver/{_task(case.id, 'samtykke').id}")
    assert "Du fyller ut på vegne av beboeren" in page.locator("#on-behalf").inner_text()
    submit(page.get_by_role("button", name="Fullfør"))
    logout(page)
    login(page, "ingrid.bygdoy")
    page.goto(f"/saker/{case.id}")
    page.wait_for_selector("#diagram[data-ready='1']")
    expect(page.locator('#diagram [data-element-id="plan"].tb-current')).to_have_count(1)
    expect(page.locator('#diagram [data-element-id="registrer"].tb-done')).to_have_count(1)
    row = page.locator('tr[data-deadline="plan"]')
    row.locator("summary").click()
    new_day = (clock.today_oslo() + timedelta(days=30)).isoformat()
    row.get_by_label("Ny frist").fill(new_day)
    submit(row.get_by_role("button", name="Flytt fristen"))
    # inner text: the message is said in the row's form, which the answer shows opened
    expect(row).to_contain_text("Skriv hvorfor fristen flyttes", use_inner_text=True)
    expect(row.get_by_label("Ny frist")).to_have_value(new_day)
    row.get_by_label("Begrunnelse (påkrevd)").fill("Beboeren var på sykehus i to uker")
    submit(row.get_by_role("button", name="Flytt fristen"))
    expect(page.locator(".flashes")).to_contain_text("Fristen er flyttet")
    history = row.locator("ul.history")
    expect(history).to_contain_text("Beboeren var på sykehus i to uker", use_inner_text=True)
    expect(history).to_contain_text("Ingrid Berg", use_inner_text=True)
    expect(page.locator("#timeline")).to_contain_text("flyttet fristen for «Lag plan for oppholdet»", use_inner_text=True)
    page.wait_for_selector("#diagram[data-ready='1']")
    screenshot(page, "case")


def test_resident_completes_own_task_and_another_bydel_gets_404(page, tre_baner):
    case = open_case("tre_baner", data={"innflytting": _today(), "deler": "4"})
    login(page, "kari.gamleoslo")
    page.goto(f"/oppgaver/{_task(case.id, 'registrer').id}")
    submit(page.get_by_role("button", name="Fullfør"))
    logout(page)
    login(page, "beboer.test")
    assert page.url.endswith("/min-side")
    assert "Oppholdet ditt på Bygdøy mestringsenhet" in page.locator("main").inner_text()
    # the task page loaded in full, so that no «på vegne av» means there is none
    submit(page.get_by_role("link", name="Gi samtykke"))
    expect(page).to_have_url(re.compile(r"/oppgaver/[^/]+$"))
    expect(page.locator("#on-behalf")).to_have_count(0)
    page.get_by_role("button", name="Fullfør").click()
    page.wait_for_url("**/min-side")
    assert "er fullført" in page.locator(".flashes").inner_text()
    assert "Gi samtykke" in page.locator("main").inner_text()          # under «Dette er gjort»
    # #14: the institution's own step (a form not part of the resident's plan) is not on Min side
    assert "Lag plan for oppholdet" not in page.locator("main").inner_text()
    assert "Registrer innflytting" not in page.locator("main").inner_text()
    logout(page)
    login(page, "ola.grunerlokka")
    response = page.goto(f"/saker/{case.id}")
    assert response.status == 404
    assert "Fant ikke siden" in page.locator("h1").inner_text()


def test_bydel_caseworker_starts_a_case_with_the_henvisning(page, web_rik):
    login(page, "kari.gamleoslo")
    submit(page.get_by_role("link", name="Ny sak"))
    submit(page.get_by_role("button", name="Opprett saken"))
    expect(page.locator("#feiloppsummering")).to_be_visible()
    expect(page.locator("#f-_beboer_navn-error")).to_contain_text("Skriv beboerens navn")
    page.get_by_label("Beboerens navn").fill("Nina Nyhenvist")
    page.locator("#f-_institusjon").select_option("bygdoy")
    page.get_by_label("Innflyttingsdato (T0)").fill(_today())
    page.get_by_label("Bydelens vurdering").fill("Trenger egen bolig med oppfølging")
    submit(page.get_by_role("button", name="Opprett saken"))
    expect(page).to_have_url(re.compile(r"/saker/\d+(#.*)?$"))         # the new case's page, not /saker/ny again
    assert "Saken er opprettet" in page.locator(".flashes").inner_text()
    assert "Nina Nyhenvist" in page.locator("h1").inner_text()
    assert "Registrer kontakter" in page.locator("#open-tasks").inner_text()


def test_resident_gives_samtykke_in_the_real_routine(page, real_process):
    from tests.process.examples import henvisning
    case = open_case("institusjon_til_bolig", data=henvisning(_today()))
    login(page, "beboer.test")
    submit(page.get_by_role("link", name="Gi samtykke til informasjonsdeling"))
    expect(page).to_have_url(re.compile(r"/oppgaver/[^/]+$"))
    expect(page.locator("#on-behalf")).to_have_count(0)
    page.get_by_label("Beboer samtykker til at opplysninger deles").check()
    submit(page.get_by_role("button", name="Fullfør"))
    expect(page.locator("#feiloppsummering")).to_contain_text("Skjemaet har feil")
    expect(page.get_by_label("Beboer samtykker til at opplysninger deles")).to_be_checked()
    page.locator("#f-samtykke_dato").fill(_today())
    page.get_by_label("Personalia og kontaktopplysninger").check()
    page.get_by_label("Møtereferater og rapporter").check()
    page.get_by_label("Bydelen kan dele med institusjonen").check()
    page.get_by_label("Institusjonen kan dele med bydelen").check()
    page.get_by_role("button", name="Legg til").click()
    page.get_by_label("Instans").fill("Boligkontoret i bydelen")
    page.get_by_label("Gyldig til").fill((clock.today_oslo() + timedelta(days=365)).isoformat())
    page.get_by_label("Beboer er informert om at samtykket kan trekkes tilbake").check()
    assert page.get_by_label("Formål").input_value().startswith("Planlegging av bolig")
    page.get_by_role("button", name="Fullfør").click()
    page.wait_for_url("**/min-side")
    assert "er fullført" in page.locator(".flashes").inner_text()
    assert "Gi samtykke til informasjonsdeling" not in page.locator("#my-tasks").inner_text() \
        if page.locator("#my-tasks").count() else True
    assert page.get_by_role("link", name="Trekk tilbake samtykket").is_visible()     # the consent now acts (#13)
    ev = list(db.session.scalars(sa.select(OpenTask).where(OpenTask.case_id == case.id,
                                                           OpenTask.element_id == "samtykke")))
    assert ev == []
