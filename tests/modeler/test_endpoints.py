"""The modeler's server side (#18): open, validate without deploying, drafts (409 on stale), deploy,
form preview with the caseworker's renderer, diff and dry-run by version number, owners only."""
from __future__ import annotations

import json

import pytest

from tests.web.conftest import browser  # noqa: F401 - fixture

KEY = "tre_baner_tegnet"


@pytest.fixture()
def owner(browser, tegnet):  # noqa: F811
    b = browser("prosesseier")
    page = b.get(f"/admin/modeller/{KEY}")
    assert page.status_code == 200
    b.headers = {"X-CSRFToken": b.token}
    return b


def _json(b, method, url, body=None):
    b._fresh_g()
    r = getattr(b.client, method)(url, json=body, headers=b.headers)
    return r.status_code, r.get_json()


def _source(b):
    status, src = _json(b, "get", f"/admin/modeller/{KEY}/kilde")
    assert status == 200
    return src


def test_only_process_owners_model(browser, tegnet):  # noqa: F811
    for user in ("kari.gamleoslo", "admin"):
        assert browser(user).get(f"/admin/modeller/{KEY}").status_code == 403
    assert browser("prosesseier").get("/admin/modeller/").status_code == 200


def test_opens_the_newest_version_with_forms_and_catalogue(owner):
    src = _source(owner)
    assert src["main"] == "tre_baner_tegnet.bpmn" and src["base_version"] == 1
    assert src["source"] == {"kind": "version", "revision": 0}
    assert f'id="{KEY}"' in src["files"][src["main"]]
    assert "enkel.schema.json" in src["files"]
    assert isinstance(src["forms"], list) and isinstance(src["catalogue"], dict)


def test_validate_reports_problems_with_element_ids_and_deploys_nothing(owner):
    from engine.processes import deployments
    src = _source(owner)
    xml = src["files"][src["main"]]
    status, ok = _json(owner, "post", f"/admin/modeller/{KEY}/valider", {"files": src["files"]})
    assert status == 200 and ok["problems"] == []
    broken = xml.replace('name="formJsonSchemaFilename" value="enkel.schema.json"',
                         'name="formJsonSchemaFilename" value="finnes-ikke.schema.json"', 1)
    assert broken != xml
    status, bad = _json(owner, "post", f"/admin/modeller/{KEY}/valider", {"files": {**src["files"], src["main"]: broken}})
    assert status == 200 and bad["problems"]
    assert all(p["element_id"] for p in bad["problems"]), bad["problems"]
    assert len(deployments.list_versions()) == 1


def test_validate_refuses_bad_file_names_with_a_clear_error(owner):
    status, body = _json(owner, "post", f"/admin/modeller/{KEY}/valider", {"files": {"../x.bpmn": "<x/>"}})
    assert status == 422 and "filnavn" in json.dumps(body, ensure_ascii=False)


def test_a_declared_deadline_that_disagrees_with_its_timer_is_a_problem_on_the_element(owner):
    src = _source(owner)
    xml = src["files"][src["main"]]
    frist = '<spiffworkflow:property name="frist" value="plan" />'
    assert frist in xml
    declared = frist + ('<spiffworkflow:property name="frist_anker" value="innflytting" />'
                        '<spiffworkflow:property name="frist_periode" value="{}" />')
    files = {**src["files"], src["main"]: xml.replace(frist, declared.format("P14D"))}
    status, body = _json(owner, "post", f"/admin/modeller/{KEY}/valider", {"files": files})
    assert body["problems"] == []
    files = {**src["files"], src["main"]: xml.replace(frist, declared.format("P99D"))}
    status, body = _json(owner, "post", f"/admin/modeller/{KEY}/valider", {"files": files})
    assert [p["element_id"] for p in body["problems"]] == ["plan_frist"]
    assert "stemmer ikke med fristen" in body["problems"][0]["message"]
    assert body["problems"][0]["line"] == 25


def test_drafts_are_saved_and_a_stale_save_is_409(owner):
    src = _source(owner)
    url = f"/admin/modeller/{KEY}/utkast"
    status, first = _json(owner, "put", url, {"files": src["files"], "revision": 0, "base_version": 1})
    assert (status, first["revision"]) == (200, 1)
    changed = {**src["files"], src["main"]: src["files"][src["main"]].replace('name="', 'name="Ny ', 1)}
    status, second = _json(owner, "put", url, {"files": changed, "revision": 1, "base_version": 1})
    assert (status, second["revision"]) == (200, 2)
    status, stale = _json(owner, "put", url, {"files": src["files"], "revision": 1})
    assert status == 409 and stale["code"] == "conflict"
    reopened = _source(owner)
    assert reopened["source"]["kind"] == "draft" and reopened["source"]["revision"] == 2
    assert reopened["files"][reopened["main"]] == changed[src["main"]]


def test_deploy_makes_a_new_version_then_diff_and_dry_run_by_number(owner):
    from engine.processes import deployments
    src = _source(owner)
    xml = src["files"][src["main"]]
    renamed = xml.replace('name="Registrer innflytting"', 'name="Registrer innflyttingen"')
    assert renamed != xml
    files = {**src["files"], src["main"]: renamed}
    status, saved = _json(owner, "put", f"/admin/modeller/{KEY}/utkast", {"files": files, "revision": 0, "base_version": 1})
    draft_diff = owner.get(f"/admin/modeller/{KEY}/endringer?fra=1&til=utkast").get_data(as_text=True)
    assert 'data-element="registrer" data-kind="changed"' in draft_diff and "Versjon 1 → utkastet" in draft_diff
    status, body = _json(owner, "post", f"/admin/modeller/{KEY}/utrull", {"files": files})
    assert status == 200, body
    assert body["created"] and {"process_key": KEY, "version": 2} in body["versions"]
    assert body["revision"] == saved["revision"] + 1          # the draft now continues from version 2
    assert [v.version for v in deployments.list_versions() if v.process_key == KEY] == [1, 2]
    page = owner.get(f"/admin/modeller/{KEY}/endringer?fra=1&til=2")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-element="registrer" data-kind="changed"' in html
    assert "«Registrer innflytting» → «Registrer innflyttingen»" in html
    r = owner.post(f"/admin/modeller/{KEY}/endringer", {"fra": "1", "til": "2"})
    assert r.status_code == 200 and 'id="dry-run-report"' in r.get_data(as_text=True)
    r = owner.post(f"/admin/modeller/{KEY}/endringer", {"fra": "1", "til": "7"})
    assert r.status_code == 404 and "Fant ikke versjon 7" in r.get_data(as_text=True)


def test_deploy_refusal_names_the_elements(owner):
    src = _source(owner)
    xml = src["files"][src["main"]].replace('value="enkel.schema.json"', 'value="mangler.schema.json"')
    status, body = _json(owner, "post", f"/admin/modeller/{KEY}/utrull", {"files": {**src["files"], src["main"]: xml}})
    assert status == 422 and body["details"] and all(p["element_id"] for p in body["details"])


def test_form_preview_is_the_caseworkers_renderer_and_bad_schemas_are_problems(owner):
    schema = {"type": "object", "required": ["navn"], "properties": {
        "navn": {"type": "string", "title": "Navn på kontakt"},
        "rolle": {"type": "string", "title": "Rolle", "enum": ["a", "b"]}}}
    status, body = _json(owner, "post", "/admin/modeller/forhandsvis",
                         {"schema": json.dumps(schema), "uischema": '{"ui:order": ["rolle", "navn"]}'})
    assert status == 200 and body["problems"] == []
    html = body["html"]
    assert "Navn på kontakt" in html and html.index("Rolle") < html.index("Navn på kontakt")
    assert "må fylles ut" in html           # the caseworker's required mark, from pages/fields.html
    status, bad = _json(owner, "post", "/admin/modeller/forhandsvis", {"schema": '{"type": "objekt"}', "uischema": ""})
    assert bad["html"] == "" and "ugyldig JSON Schema" in bad["problems"][0]
    status, bad = _json(owner, "post", "/admin/modeller/forhandsvis", {"schema": "{", "uischema": ""})
    assert "ikke gyldig JSON" in bad["problems"][0]


def test_json_calls_without_the_csrf_token_are_refused(owner):
    owner._fresh_g()
    r = owner.client.post(f"/admin/modeller/{KEY}/valider", json={"files": {}})
    assert r.status_code in (400, 403)
