"""Min side on the real routine in Chromium (#14 item 6): the resident sees the dwelling offer and the
planned moving day, not the staff's internal steps, and can open what they answered (the kriseplan)."""
from __future__ import annotations

import pytest

from tests.browser.fixtures_pw import login
from tests.browser.test_day import _axe
from tests.routine.conftest import clock, routine  # noqa: F401 - the real routine and the Oslo clock
from tests.routine.helpers import offered_with_moving_day, to_boligmote

pytestmark = pytest.mark.browser


def test_the_resident_sees_the_offer_and_moving_day_and_reopens_the_kriseplan(page, routine, clock):  # noqa: F811
    # given a case past its boligmøte, offered a dwelling on 22 May, moving planned for 15 June
    clock.at("2026-01-05", 9)
    case_id = routine.open("2026-01-05")
    to_boligmote(routine, clock, case_id)
    offered_with_moving_day(routine, clock, case_id)
    # when the resident opens Min side
    login(page, "beboer.test")
    page.goto("/min-side")
    # then the offer and the moving day are told in plain words
    assert page.locator("#my-offer").inner_text() == "Du har fått tilbud om bolig. Tilbudet kom 22. mai 2026."
    assert "Det er planlagt at du flytter 15. juni 2026." in page.locator("main").inner_text()
    # the staff's own steps are not listed
    body = page.locator("main").inner_text()
    assert "Vurder statusrapporten" not in body and "Følg opp frist" not in body
    # the kriseplan can be opened and read again
    plan = page.locator("#my-answers details.answer", has_text="Lag kriseplan")
    assert plan.count() == 1
    plan.locator("summary").click()
    assert plan.locator("dl.answers").first.is_visible() and "Ringe primærkontakt" in plan.inner_text()
    assert _axe(page) == []
