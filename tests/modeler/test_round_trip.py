"""A file saved by the browser modeler (#18 «Done when»): it opens in bpmn-moddle and bpmnlint with
zero findings (tools/bpmn-check, as bpmn.io and Camunda Modeler read it) and keeps every extension
element — our spiffworkflow properties and SpiffArena's scripts, payloads and variables — unchanged."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import etree

from tests.browser.fixtures_pw import login  # noqa: F401 - fixtures come from the plugin
from tests.routine.helpers import deploy_routine

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "bpmn-check"
B = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


def extensions(xml: str) -> dict[str, list[str]]:
    """Element id → its extension elements, canonical (tag, attributes sorted, text trimmed)."""
    root = etree.fromstring(xml.encode("utf-8"))
    out = {}
    for ext in root.iter(f"{B}extensionElements"):
        items = []
        for el in ext.iter():
            if el is ext or not isinstance(el.tag, str):
                continue
            attrs = ",".join(f"{k}={v}" for k, v in sorted(el.attrib.items()))
            items.append(f"{etree.QName(el).localname}[{attrs}]{(el.text or '').strip()}")
        out[ext.getparent().get("id")] = items
    return out


def bpmn_check(paths: list[Path]) -> str:
    assert shutil.which("node") and (TOOL / "node_modules").exists(), "node or tools/bpmn-check/node_modules missing (make assets)"
    out = subprocess.run(["node", str(TOOL / "bpmn-check.mjs"), *map(str, paths)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def test_every_diagram_saved_by_the_modeler_lints_clean_and_keeps_its_extension_elements(page, users, tmp_path):
    from engine.processes import deployments, drafts
    from engine.extensions import db
    deploy_routine()
    login(page, "prosesseier")
    saved: list[Path] = []
    checked = 0
    for pv in deployments.latest_versions():
        page.goto(f"/admin/modeller/{pv.process_key}")
        page.wait_for_selector("#modeler-app[data-ready='1']", timeout=30_000)
        page.get_by_role("button", name="Lagre utkast").click()
        page.wait_for_selector("#modeler-app[data-saved]")
        db.session.expire_all()
        draft = drafts.get_draft(pv.process_key)
        original = drafts.version_files(pv)
        main = drafts.defining_file(original, pv.process_key)
        before, after = extensions(original[main]), extensions(draft.files[main])
        assert after == before, f"{main}: extension elements changed"
        checked += sum(len(v) for v in before.values())
        path = tmp_path / main
        path.write_text(draft.files[main], "utf-8")
        saved.append(path)
    assert len(saved) >= 2 and checked > 100
    assert "0 unreadable, 0 import warnings, 0 lint errors, 0 lint warnings" in bpmn_check(saved)
