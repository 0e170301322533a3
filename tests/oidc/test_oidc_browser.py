"""OIDC sign-in end to end in Chromium: the login page's buttons, the provider's own page, back to
the service signed in — a staff member to the inbox, a resident to Min side — with no CSP violation."""
from __future__ import annotations

import pytest

from tests.oidc.conftest import PID

pytestmark = pytest.mark.browser


def _watch_csp(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    return problems


def test_a_staff_member_signs_in_with_the_employers_provider(page, oidc, live_server):
    problems = _watch_csp(page)
    page.goto("/logg-inn")
    page.get_by_role("link", name="Logg inn som ansatt").click()
    page.wait_for_url(f"{oidc.issuer}/interaction/**")
    page.get_by_label("Bruker hos leverandøren").fill("kari.idp")
    page.get_by_role("button", name="Fortsett").click()
    page.wait_for_url("**/innboks")
    assert page.locator(".who").inner_text().startswith("Kari Entra (Gamle Oslo)")
    page.get_by_role("button", name="Logg ut").click()
    page.wait_for_url("**/logg-inn")
    page.goto("/innboks")
    assert "/logg-inn" in page.url
    assert problems == []


def test_a_resident_signs_in_with_idporten_and_lands_on_min_side(page, oidc, live_server, users):
    from engine.access.identities import link_pid
    link_pid(users["beboer.test"], PID)
    problems = _watch_csp(page)
    page.goto("/min-side")                       # sent to log in, and back here afterwards
    page.get_by_role("link", name="Logg inn med ID-porten").click()
    page.get_by_label("Bruker hos leverandøren").fill("tore")
    page.get_by_role("button", name="Fortsett").click()
    page.wait_for_url("**/min-side")
    assert page.locator(".who").inner_text().startswith("Tore Testbeboer")
    assert problems == []


def test_a_resident_at_a_lower_level_is_told_why_and_stays_signed_out(page, oidc, live_server, users):
    from engine.access.identities import link_pid
    link_pid(users["beboer.test"], PID)
    page.goto("/logg-inn")
    page.get_by_role("link", name="Logg inn med ID-porten").click()
    page.get_by_label("Bruker hos leverandøren").fill("tore.lav")
    page.get_by_role("button", name="Fortsett").click()
    page.wait_for_load_state()
    assert "høyere sikkerhetsnivå" in page.get_by_role("alert").inner_text()
    page.goto("/min-side")
    assert "/logg-inn" in page.url
