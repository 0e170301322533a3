"""Consent in a real browser (Chromium via Playwright, issue #13): the resident withdraws it on Min
side, and the institution's caseworker then sees «Holdt tilbake» where the bydel's answers were."""
from __future__ import annotations

import pytest

from tests.browser.fixtures_pw import SCREENSHOTS, login, logout
from tests.consent import helpers as h

pytestmark = pytest.mark.browser


def test_resident_withdraws_consent_on_min_side_then_the_institution_sees_holdt_tilbake(page):
    h.deploy()
    case_id = h.build("E", h.consent_form()).case_id
    secret = h.marker("E", "BYDEL-VURDERING")

    # with consent: the institution reads the bydel's henvisning
    login(page, "ingrid.bygdoy")
    page.goto(f"/saker/{case_id}")
    assert secret in page.content()
    assert page.locator(".consent-state").inner_text() == "Gyldig"
    logout(page)

    # the resident withdraws it, on Min side, in two clicks
    login(page, "beboer.test")
    assert page.url.endswith("/min-side")
    page.get_by_role("link", name="Trekk tilbake samtykket").click()
    page.wait_for_url(f"**/min-side/samtykke/{case_id}/trekk-tilbake")
    assert page.get_by_role("heading", name="Vil du trekke tilbake samtykket?").is_visible()
    page.get_by_role("button", name="Ja, trekk tilbake samtykket").click()
    page.wait_for_url("**/min-side")
    assert "Samtykket er trukket tilbake" in page.locator(".flashes").inner_text()
    assert "Du trakk samtykket tilbake" in page.locator("#consent-withdrawn").inner_text()
    assert page.get_by_role("link", name="Trekk tilbake samtykket").count() == 0
    logout(page)

    # the institution: told, and the bydel's answers held back — its own still there
    login(page, "ingrid.bygdoy")
    page.goto(f"/saker/{case_id}")
    assert "Beboeren trakk samtykket tilbake" in page.locator("#consent-withdrawn").inner_text()
    assert page.locator(".consent-state").inner_text() == "Trukket tilbake"
    assert secret not in page.content()
    assert h.marker("E", "INST-KARTLEGGING") in page.content()
    referral = page.locator("details.answer", has_text="Henvisning")
    referral.locator("summary").click()
    withheld = referral.locator(".withheld").first
    assert withheld.is_visible()
    assert withheld.inner_text().startswith("Holdt tilbake: beboeren har ikke samtykket til deling av")
    assert "Samtykket ble trukket tilbake" in withheld.inner_text()
    assert "Beboeren trakk samtykket tilbake." in page.locator("#timeline").inner_text()
    referral.screenshot(path=str(SCREENSHOTS / "samtykke-holdt-tilbake.png"))
    logout(page)
