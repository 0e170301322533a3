"""A caseworker's day (#14) in a real browser: a stale tab, finding work, starting a case."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from engine import clock
from engine.extensions import db
from engine.store.models import OpenTask
from tests.browser.fixtures_pw import login
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
    old_tab.get_by_role("button", name="Fullfør").click()
    old_tab.wait_for_load_state()
    assert "Noen kom deg i forkjøpet" in old_tab.locator("h1").inner_text()
    assert "er allerede fullført" in old_tab.locator("#conflict-message").inner_text()
    kept = old_tab.locator("#stale-form")
    assert kept.get_by_label("Merknad").input_value() == "Ringte fastlegen i dag"
    assert kept.get_by_label("Navn").input_value() == "Ola Sent"
    old_tab.get_by_role("link", name="Se saken").click()
    old_tab.wait_for_url(f"**/saker/{case.id}")
    old_tab.close()
