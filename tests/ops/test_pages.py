"""The console pages: stuck list with repairs, upload with problems listed, migration form, access."""
from __future__ import annotations

import io
from pathlib import Path

from engine.extensions import db
from engine.store.models import Case
from tests.conftest import FIXTURES
from tests.ops.helpers import errored
from tests.web.conftest import browser  # noqa: F401 - fixture

V2 = Path(__file__).parent / "tre_baner_v2.bpmn"


def test_admin_retries_an_errored_case_from_the_list(browser, api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    case = errored(api)
    b = browser("admin")
    html = b.get("/admin/stuck").get_data(as_text=True)
    assert f'id="stuck-{case["id"]}"' in html and "Feil i prosessen" in html and "beregn" in html
    assert "Systemstatus" in html
    r = b.post(f"/admin/cases/{case['id']}/repair", {"action": "retry", "reason": "", "data": '{"deler": "4"}'})
    assert r.status_code == 422 and "Begrunnelse mangler" in r.get_data(as_text=True)
    r = b.post(f"/admin/cases/{case['id']}/repair", {"action": "retry", "reason": "rettet deler", "data": '{"deler": "4"}'})
    assert r.status_code == 302
    html = b.get("/admin/stuck").get_data(as_text=True)
    assert "Ingen fastlåste saker" in html and "Prøv igjen er utført" in html
    db.session.expire_all()
    assert db.session.get(Case, case["id"]).status == "running"


def test_repair_form_without_csrf_is_refused(browser, api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    case = errored(api)
    b = browser("admin")
    r = b.post(f"/admin/cases/{case['id']}/repair", {"action": "retry", "reason": "x", "data": '{"deler": "4"}'},
               csrf=False)
    assert r.status_code == 400
    db.session.expire_all()
    assert db.session.get(Case, case["id"]).status == "error"


def test_console_pages_are_for_their_roles(browser, tre_baner):
    assert browser("kari.gamleoslo").get("/admin/stuck").status_code == 403
    assert browser("prosesseier").get("/admin/stuck").status_code == 403
    assert browser("prosesseier").get("/admin/versions").status_code == 200
    assert browser("kari.gamleoslo").get("/admin/versions").status_code == 403
    assert browser(None).get("/admin/stuck").status_code == 302        # to the login page
    assert browser("prosesseier").get("/admin/cases/1/repair").status_code == 403
    assert browser("prosesseier").get("/admin/migrations").status_code == 200
    assert browser("kari.gamleoslo").get("/admin/migrations").status_code == 403


def test_upload_lists_problems_then_deploys_a_good_diagram(browser, tre_baner):
    b = browser("prosesseier")
    good = V2.read_bytes()
    broken = good.replace(b'sourceRef="registrer" targetRef="beregn"', b'sourceRef="registrer" targetRef="finnes_ikke"')
    r = b.post("/admin/versions", {"files": [(io.BytesIO(broken), "tre_baner.bpmn")]},
               content_type="multipart/form-data")
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'id="problems"' in html and 'data-source="' in html
    # a process owner may not deploy scripts; the administrator may
    b = browser("admin")
    r = b.post("/admin/versions", {"files": [(io.BytesIO(good), "tre_baner.bpmn"),
                                             (open(FIXTURES / "enkel.schema.json", "rb"), "enkel.schema.json")]},
               content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    html = b.get("/admin/versions").get_data(as_text=True)
    assert "Utrullet: Liten sak med tre baner versjon 2" in html and html.count("data-version=") == 2
    v2_id = tre_baner.id + 1
    assert b.get(f"/admin/versions/{v2_id}").status_code == 200
    r = b.post("/admin/migrations", {"from_version_id": str(tre_baner.id), "to_version_id": str(v2_id), "run": "0"})
    assert r.status_code == 200 and 'id="migration-report"' in r.get_data(as_text=True)
