"""The yearly livskvalitet survey in a real browser (#16): a bydel caseworker registers one survey from
the survey page, and Velferdsetaten reads the city-wide result; axe-core finds nothing on either page."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
import time_machine

from engine import cases, survey
from engine.access import users as lookup
from engine.access.rules import actor_for
from engine.extensions import db
from engine.store.models import AuditEvent, OpenTask
from engine.timers import worker
from tests.browser.fixtures_pw import login, logout, screenshot, submit
from tests.browser.test_day import _axe
from tests.process.examples import henvisning
from tests.routine.helpers import deploy_routine, oslo

pytestmark = pytest.mark.browser


def _actor(username: str):
    return actor_for(lookup.by_username(username))


def _open_tasks(case_id: int, element_id: str) -> list[OpenTask]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OpenTask).where(OpenTask.case_id == case_id,
                                                             OpenTask.element_id == element_id)))


def test_a_caseworker_registers_a_survey_and_velferdsetaten_sees_the_city(page):
    deploy_routine()
    with time_machine.travel(oslo("2026-11-02"), tick=False) as tm:
        kari = _actor("kari.gamleoslo")
        for i in range(1, 7):
            cases.open_case(kari, "institusjon_til_bolig", "gamle-oslo", "bygdoy", {"name": f"Beboer {i}"},
                            henvisning("2026-11-10"))
        tm.move_to(oslo("2027-01-01", 0, 1))
        worker.tick("test")                                   # the year's survey opens
        instance = survey.survey_cases(2027)[kari.organisation_id].id
        tm.move_to(oslo("2027-03-10", 10))

        # -- the caseworker: the survey page, one registration, the progress updated -------------
        login(page, "kari.gamleoslo")
        page.get_by_role("navigation", name="Hovedmeny").get_by_role("link", name="Livskvalitet").click()
        page.wait_for_url("**/livskvalitet")
        assert page.locator("#survey-invited").inner_text() == "6"
        assert page.locator("#survey-remaining").inner_text() == "6"
        assert _axe(page) == []
        screenshot(page, "livskvalitet-bydel")
        page.locator("#survey-open").get_by_role("link", name="Beboer 3").click()
        page.wait_for_url("**/oppgaver/*")
        assert page.get_by_label("Navn").input_value() == "Beboer 3"     # whose survey it is, from the instance
        assert _axe(page) == []
        screenshot(page, "livskvalitet-registrering")
        page.get_by_label("Ja, beboeren svarte").check()
        page.get_by_label("Dato for samtalen eller forsøket").fill("2027-03-10")
        page.locator("fieldset", has_text="Hvor fornøyd er du med livet ditt, samlet sett?").first \
            .get_by_label("6 – fornøyd").check()
        submit(page.get_by_role("button", name="Fullfør"))
        page.goto("/livskvalitet")
        assert page.locator("#survey-done").inner_text() == "1"
        assert page.locator("#survey-remaining").inner_text() == "5"
        assert "Beboer 3" not in page.locator("#survey-open").inner_text()
        logout(page)
        registered = db.session.scalars(sa.select(AuditEvent.data).where(
            AuditEvent.case_id == instance, AuditEvent.type == "task.completed")).all()
        assert [r["values"]["livet_samlet"] for r in registered] == [6]

        # -- the rest registered, 1 June: the leader sends the report -------------------------------
        for task in _open_tasks(instance, "registrer_livskvalitet"):
            cases.complete_task(kari, task.id, {"maling_status": "gjennomfort", "livskvalitet_dato": "2027-04-01",
                                                "livet_samlet": 5})
        tm.move_to(oslo("2027-06-02", 9))
        worker.tick("test")
        (report,) = _open_tasks(instance, "rapporter_velferdsetaten")
        cases.complete_task(_actor("leder.gamleoslo"), report.id, {"bekreftet": True})

        # -- Velferdsetaten: the city-wide result, aggregates only ----------------------------------
        login(page, "radgiver.vel")
        page.get_by_role("navigation", name="Hovedmeny").get_by_role("link", name="Livskvalitet").click()
        page.wait_for_url("**/livskvalitet")
        assert "Livskvalitet i Oslo 2027" in page.locator("h1").inner_text()
        city = page.locator("#city-status")
        assert city.locator('[data-status="gjennomfort"]').inner_text() == "6"
        assert city.locator('[data-status="invited"]').inner_text() == "6"
        assert "Bydel Gamle Oslo" in page.locator(".bydel-report h3").first.inner_text()
        assert "Bydel Gamle Oslo" not in page.locator("#city-missing").inner_text()
        assert "Bydel Frogner" in page.locator("#city-missing").inner_text()
        assert "Beboer" not in page.content()                     # no name leaves the bydel
        items = page.locator("#city-items")
        assert items.locator('[data-item="livet_samlet"] [data-band="5-7"]').inner_text() == "6"
        assert _axe(page) == []
        screenshot(page, "livskvalitet-velferdsetaten")
