"""Deploying: valid diagrams become immutable versions; anything wrong is refused whole, with where and why."""
from __future__ import annotations

import sqlalchemy as sa

from engine.processes import deployments
from engine.extensions import db
from engine.store.models import Deployment, ProcessVersion
from tests.conftest import fixture_files

BPMN = (fixture_files("tre_baner.bpmn")["tre_baner.bpmn"]).decode()
FORM = fixture_files("enkel.schema.json")["enkel.schema.json"].decode()


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_deploy_creates_version_and_same_content_returns_it(api):
    owner = api("admin")
    r = owner.post("/api/v1/deployments", json={"files": {"tre_baner.bpmn": BPMN, "enkel.schema.json": FORM}})
    assert r.status_code == 201, r.json
    assert r.json["created"] is True
    assert [v["process_key"] for v in r.json["versions"]] == ["tre_baner"]
    again = owner.post("/api/v1/deployments", json={"files": {"enkel.schema.json": FORM, "tre_baner.bpmn": BPMN}})
    assert again.status_code == 200
    assert again.json["id"] == r.json["id"] and again.json["created"] is False
    assert _count(Deployment) == 1 and _count(ProcessVersion) == 1


def test_changed_content_is_a_new_version(api):
    owner = api("admin")
    owner.post("/api/v1/deployments", json={"files": {"tre_baner.bpmn": BPMN, "enkel.schema.json": FORM}})
    r = owner.post("/api/v1/deployments", json={"files": {"tre_baner.bpmn": BPMN.replace("Ferdig", "Ferdig!"),
                                                          "enkel.schema.json": FORM}})
    assert r.status_code == 201
    assert r.json["versions"][0]["version"] == 2


def test_forms_are_taken_from_forms_folder_when_not_uploaded(ctx, users, monkeypatch):
    # monkeypatch: the app is shared by the session, and a leaked FORMS_DIR breaks every later deployment
    monkeypatch.setitem(ctx.config, "FORMS_DIR", str(__import__("pathlib").Path(__file__).parent.parent / "fixtures"))
    result = deployments.deploy({"tre_baner.bpmn": BPMN.encode()}, None)
    assert result.created and "enkel.schema.json" in result.deployment.files


def _refused(api, files: dict[str, str]):
    r = api("admin").post("/api/v1/deployments", json={"files": files})
    assert r.status_code == 422, r.json
    assert r.json["code"] == "deployment_invalid"
    assert _count(Deployment) == 0 and _count(ProcessVersion) == 0   # nothing stored
    return r.json["details"]


def test_refused_with_element_ids_and_lines(api):
    bad = BPMN.replace('value="enkel.schema.json" /><spiffworkflow:property name="rolle"',
                       'value="mangler.schema.json" /><spiffworkflow:property name="rolle"')
    bad = bad.replace("<bpmn:flowNodeRef>samtykke</bpmn:flowNodeRef>", "")
    problems = _refused(api, {"tre_baner.bpmn": bad, "enkel.schema.json": FORM})
    by_id = {p["element_id"]: p for p in problems}
    assert "folg_opp" in by_id and "mangler.schema.json" in by_id["folg_opp"]["message"]
    assert "samtykke" in by_id and "bane" in by_id["samtykke"]["message"]
    assert all(p["file"] == "tre_baner.bpmn" and p["line"] for p in problems)


def test_malformed_xml_reports_line(api):
    problems = _refused(api, {"x.bpmn": BPMN.replace("</bpmn:process>", "</bpmn:prosess>")})
    assert problems[0]["file"] == "x.bpmn" and problems[0]["line"] and "XML" in problems[0]["message"]


def test_xsd_errors_are_all_listed(api):
    bad = BPMN.replace('<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="registrer" />',
                       '<bpmn:sequenceFlow id="f1" sourceRef="start" /><bpmn:fooTask id="x" />')
    problems = _refused(api, {"tre_baner.bpmn": bad, "enkel.schema.json": FORM})
    assert len(problems) >= 2 and all(p["line"] for p in problems)


def test_non_bpmn_and_invalid_schema_refused(api):
    problems = _refused(api, {"a.bpmn": '<?xml version="1.0"?><html><body/></html>',
                              "enkel.schema.json": '{"type": "objekt"}'})
    messages = " ".join(p["message"] for p in problems)
    assert "ikke en BPMN-fil" in messages and "JSON Schema" in messages


def test_xxe_is_refused_and_file_not_read(api, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPP-HEMMELIG")
    xxe = (f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file://{secret}">]>'
           + BPMN.split("?>", 1)[1].replace("Henvist", "&xxe;"))
    r = api("admin").post("/api/v1/deployments", json={"files": {"tre_baner.bpmn": xxe, "enkel.schema.json": FORM}})
    assert r.status_code == 422
    assert "TOPP-HEMMELIG" not in r.get_data(as_text=True)


def test_billion_laughs_is_refused_quickly(api):
    lol = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)) + "]>"
    lol += '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol9;</bpmn:definitions>'
    _refused(api, {"lol.bpmn": lol})


def test_50_mb_upload_is_refused_with_413(api):
    big = "x" * (50 * 1024 * 1024)
    r = api("admin").post("/api/v1/deployments", json={"files": {"big.bpmn": big}})
    assert r.status_code == 413 and r.json["code"] == "payload_too_large"
    assert _count(Deployment) == 0


def test_script_escape_refused_at_deploy(api):
    evil = BPMN.replace("andel = 100 / int(deler)", "__import__('os').system('id')")
    problems = _refused(api, {"tre_baner.bpmn": evil, "enkel.schema.json": FORM})
    assert problems[0]["element_id"] == "beregn" and "ikke tillatt" in problems[0]["message"]


def test_scripts_need_a_trusted_deployer(api, ctx, monkeypatch):
    """The fixture has a script task: a process owner may not deploy it unless configured (or trusted
    with the role skriptbetrodd, which this one is not: tests/spine/test_trusted_scripts.py)."""
    monkeypatch.setitem(ctx.config, "ALLOW_SCRIPTS_FROM_PROCESS_OWNERS", False)
    from engine.extensions import db as _db
    from engine.store.models import User
    owner = _db.session.scalar(sa.select(User).where(User.username == "prosesseier"))
    owner.roles = "prosesseier"
    _db.session.commit()
    r = api("prosesseier").post("/api/v1/deployments", json={"files": {"tre_baner.bpmn": BPMN, "enkel.schema.json": FORM}})
    assert r.status_code == 422 and "skript" in r.json["details"][0]["message"]
    r = api("admin").post("/api/v1/deployments", json={"files": {"tre_baner.bpmn": BPMN, "enkel.schema.json": FORM}})
    assert r.status_code == 201, r.json


def test_constant_timer_expression_must_be_valid(api):
    bad = BPMN.replace('frist(innflytting, "P14D")', '"14 dager"')
    problems = _refused(api, {"tre_baner.bpmn": bad, "enkel.schema.json": FORM})
    assert problems[0]["element_id"] == "plan_frist" and "ISO 8601" in problems[0]["message"]


def test_caseworker_may_not_deploy(api):
    r = api("kari.gamleoslo").post("/api/v1/deployments", json={"files": {"tre_baner.bpmn": BPMN}})
    assert r.status_code == 403 and r.json["code"] == "forbidden"


def test_cli_validate_and_deploy_exit_codes(ctx, users, tmp_path):
    runner = ctx.test_cli_runner()
    good = tmp_path / "good"
    good.mkdir()
    (good / "tre_baner.bpmn").write_text(BPMN)
    (good / "enkel.schema.json").write_text(FORM)
    assert runner.invoke(args=["validate", str(good)]).exit_code == 0
    bad = tmp_path / "bad.bpmn"
    bad.write_text(BPMN.replace("</bpmn:process>", ""))
    result = runner.invoke(args=["validate", str(bad)])
    assert result.exit_code == 1 and "bad.bpmn" in result.output
    assert runner.invoke(args=["deploy", str(bad)]).exit_code == 1
    assert _count(Deployment) == 0
    result = runner.invoke(args=["deploy", str(good)])
    assert result.exit_code == 0 and "tre_baner versjon 1" in result.output
