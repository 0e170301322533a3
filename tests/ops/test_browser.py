"""The operations console in a real browser (Chromium via Playwright): retry an errored case; upload
a broken diagram, see the offending element highlighted, then a good one and see the new version."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.fixtures_pw import login, screenshot  # noqa: F401 - fixtures come from the plugin
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
    card.get_by_text("Rett saken").click()
    card.get_by_label("Handling").select_option("retry")
    card.get_by_label("Begrunnelse (påkrevd)").fill("Antall deler var 0; rettet til 4")
    card.get_by_label("Data (JSON, valgfritt)").fill('{"deler": "4"}')
    screenshot(page, "admin-stuck")
    card.get_by_role("button", name="Utfør").click()
    page.wait_for_load_state()
    assert page.locator(f"#stuck-{case.id}").count() == 0
    assert "Prøv igjen er utført" in page.locator(".flashes").inner_text()


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
    assert "Utrullet: tre_baner_tegnet v2" in page.locator(".flashes").inner_text()
    assert page.locator("#versions tbody tr").count() == 2
