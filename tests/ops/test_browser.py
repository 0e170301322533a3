"""The operations console in a real browser (Chromium via Playwright): retry an errored case; upload
a broken diagram, see the offending element highlighted, then a good one and see the new version."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.fixtures_pw import login, screenshot  # noqa: F401 - fixtures come from the plugin
from tests.browser.test_day import _axe
from tests.web.conftest import open_case

pytestmark = pytest.mark.browser
SCHEMA = Path(__file__).resolve().parents[1] / "fixtures" / "enkel.schema.json"
TEGNET = Path(__file__).resolve().parents[1] / "browser" / "fixtures" / "tre_baner_tegnet.bpmn"


def _errored_case():
    """Walk the drawn fixture to its script with deler=0: the case stops in error at «beregn»."""
    from engine import cases
    from engine.access import rules as access
    from engine.errors import EngineFailure
    from engine.extensions import db
    from engine.store.models import User
    import sqlalchemy as sa
    from engine import clock
    # T0 today: the plan deadline is not overdue, so after the retry the case is not stuck at all.
    case = open_case("tre_baner", data={"innflytting": clock.today_oslo().isoformat(), "deler": "0"})
    kari = access.actor_for(db.session.scalar(sa.select(User).where(User.username == "kari.gamleoslo")))
    cases.complete_task(kari, cases.case_tasks(case)[0].id, {})
    try:
        cases.complete_task(kari, cases.case_tasks(case)[0].id, {})
    except EngineFailure:
        pass
    db.session.expire_all()
    assert db.session.get(type(case), case.id).status == "error"
    return case


def test_admin_finds_an_errored_case_retries_it_and_it_leaves_the_list(page, tre_baner):
    case = _errored_case()
    login(page, "admin")
    page.goto("/admin/stuck")
    card = page.locator(f"#stuck-{case.id}")
    assert "Feil i prosessen" in card.inner_text() and "beregn" in card.inner_text()
    screenshot(page, "admin-stuck")
    card.get_by_role("link", name="Rett saken").click()
    page.wait_for_url(f"**/admin/cases/{case.id}/repair")
    retry = page.locator("#form-retry")
    retry.get_by_label("Begrunnelse").fill("Antall deler var 0; rettet til 4")
    retry.get_by_label("Data som skal rettes").fill('{"deler": "4"}')
    retry.get_by_role("button", name="Prøv igjen").click()
    page.wait_for_url("**/admin/stuck")
    assert page.locator(f"#stuck-{case.id}").count() == 0
    assert "Prøv igjen er utført" in page.locator(".flashes").inner_text()


def test_a_refused_repair_is_an_error_with_the_values_kept_and_axe_finds_nothing_on_the_console(page, tre_baner):
    """Every console page (#14 item 7) with axe-core; a refused repair shown as an error, not as green."""
    from engine import clock
    from engine.extensions import db
    from engine.store.webhooks import OutboxEvent, WebhookSubscription
    case = _errored_case()
    sub = WebhookSubscription(url="https://mottaker.example/hook", secret="x", event_types=["case.opened"],
                              description="Boligkontorets arkiv", active=True)
    db.session.add(sub)
    db.session.flush()
    db.session.add(OutboxEvent(subscription_id=sub.id, case_id=case.id, event_type="case.opened", msg_id="msg_dead_1",
                               body="{}", state="dead", attempts=8, next_attempt_at=clock.now(),
                               created_at=clock.now(), dead_at=clock.now(), last_error="connection refused"))
    db.session.commit()
    login(page, "admin")
    found = {}
    page.goto(f"/admin/cases/{case.id}/repair")
    retry = page.locator("#form-retry")
    retry.get_by_label("Begrunnelse").fill("Prøver igjen uten å rette")
    retry.get_by_label("Data som skal rettes").fill('{"deler": "0"}')
    retry.get_by_role("button", name="Prøv igjen").click()
    page.wait_for_selector("#feiloppsummering")
    summary = page.locator("#feiloppsummering")
    assert summary.get_attribute("role") == "alert" and "ble ikke utført" in summary.inner_text()
    # focus moves when the page's script runs (deferred): wait for it rather than race it
    page.wait_for_function("document.activeElement && document.activeElement.id === 'feiloppsummering'")
    assert page.locator(".flash.ok").count() == 0
    retry = page.locator("#form-retry")
    assert retry.get_by_label("Begrunnelse").input_value() == "Prøver igjen uten å rette"
    assert retry.get_by_label("Data som skal rettes").input_value() == '{"deler": "0"}'
    assert "Stoppet på grunn av feil" in page.locator("#case-status").inner_text()
    screenshot(page, "admin-repair-refused")
    found["repair (refused)"] = _axe(page)
    page.goto(f"/admin/cases/{case.id}/repair")
    page.locator("#case-error details summary").click()          # the technical text, unfolded
    found["repair"] = _axe(page)
    for url in ("/admin/stuck", "/admin/versions", f"/admin/versions/{tre_baner.id}", "/admin/migrations",
                "/admin/events", "/admin/events?retning=ut", "/admin/users", "/admin/webhooks"):
        page.goto(url)
        page.wait_for_load_state()
        found[url] = _axe(page)
    page.goto("/admin/events?retning=ut&tilstand=dead")
    screenshot(page, "admin-events")
    page.get_by_role("button", name="Send på nytt").click()
    page.wait_for_load_state()
    assert "sendes på nytt" in page.locator(".flashes").inner_text()
    page.goto("/admin/migrations")
    page.get_by_role("button", name="Prøvekjør").click()           # the browser asks for both versions first
    assert page.locator("#feiloppsummering").count() == 0
    page.get_by_label("Fra versjon").select_option(str(tre_baner.id))
    page.get_by_label("Til versjon").select_option(str(tre_baner.id))
    page.get_by_role("button", name="Prøvekjør").click()
    page.wait_for_selector("#feiloppsummering")
    assert "Fra- og til-versjon er den samme." in page.locator("#feiloppsummering").inner_text()
    found["/admin/migrations (refused)"] = _axe(page)
    assert {url: v for url, v in found.items() if v} == {}


def test_owner_uploads_a_broken_diagram_sees_it_highlighted_then_a_good_one(page, tegnet, tmp_path):
    good = TEGNET.read_text()
    broken = tmp_path / "tre_baner_tegnet.bpmn"
    broken.write_text(good.replace('frist(innflytting, "P14D")', 'frist(innflytting, "P14D"'))
    fixed = tmp_path / "ny" / "tre_baner_tegnet.bpmn"
    fixed.parent.mkdir()
    fixed.write_text(good.replace('name="Lag plan for oppholdet"', 'name="Lag plan for oppholdet (v2)"'))
    login(page, "admin")
    page.goto("/admin/versions")
    page.set_input_files("#upload-files", [str(broken), str(SCHEMA)])
    page.get_by_role("button", name="Valider og rull ut").click()
    page.wait_for_selector("#problems")
    assert "plan_frist" in page.locator("#problems").inner_text()
    page.wait_for_selector('#diagram[data-ready="1"]')
    assert page.locator('#diagram g.djs-element.tb-overdue[data-element-id="plan_frist"]').count() == 1
    screenshot(page, "admin-upload-problems")
    page.set_input_files("#upload-files", [str(fixed), str(SCHEMA)])
    page.get_by_role("button", name="Valider og rull ut").click()
    page.wait_for_load_state()
    assert "versjon 2" in page.locator(".flashes").inner_text()
    assert page.locator("#versions tbody tr").count() == 2
