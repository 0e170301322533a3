"""The browser modeler in Chromium (#18 «Done when»): a process owner opens the routine, renames a
task, sets a deadline in the properties panel, sees a problem marked on the element, fixes it,
deploys, sees the diff and dry-runs the migration of the running case.  Also: axe on the modeler
page and on the diff page."""
from __future__ import annotations

import json

import pytest

from tests.browser.fixtures_pw import login, screenshot  # noqa: F401 - fixtures come from the plugin
from tests.browser.test_day import AXE
from tests.routine.helpers import Routine, deploy_routine

pytestmark = pytest.mark.browser
KEY = "institusjon_til_bolig"

#: The first user task and the first timer that carries a `frist` (found in the diagram, not by id,
#: so the test survives a redrawn routine).
FIND = """() => {
  const reg = window.tilboligModeler.get('elementRegistry');
  const task = reg.filter(e => e.type === 'bpmn:UserTask' && e.businessObject.name)[0];
  const timer = reg.filter(e => e.type === 'bpmn:BoundaryEvent' &&
      (e.businessObject.eventDefinitions || []).some(d => d.$type === 'bpmn:TimerEventDefinition' && d.timeDate &&
        /^frist\\(/.test(d.timeDate.body)))[0];
  return {task: task.id, taskName: task.businessObject.name, timer: timer.id};
}"""


def _axe(pg, exclude: list[str] | None = None) -> list[dict]:
    """axe-core's violations, optionally leaving out parts (the drawing canvas: bpmn-js's SVG is a
    picture with its own keyboard model, checked by its makers, not a form of ours)."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed: run `make assets` (npm ci)")
    pg.evaluate(AXE.read_text(encoding="utf-8"))
    ctx = json.dumps({"exclude": [[s] for s in exclude]}) if exclude else "document"
    return pg.evaluate(f"axe.run({ctx}).then(r => r.violations.map(v => ({{id: v.id, nodes: v.nodes.length, "
                       f"targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}})))")


def _wait_settled(page, done: int) -> int:
    """Wait until the edits after check ``done`` are validated and saved (no wait_for_function: the
    page's CSP forbids eval); the new count of checks."""
    page.wait_for_selector(f"#modeler-app[data-pending='0']:not([data-done='{done}'])", timeout=15_000)
    return int(page.locator("#modeler-app").get_attribute("data-done"))


def _open(page):
    page.goto(f"/admin/modeller/{KEY}")
    page.wait_for_selector("#modeler-app[data-ready='1']", timeout=30_000)


def test_owner_edits_the_routine_sees_a_problem_fixes_it_deploys_diffs_and_dry_runs(page, users, app, monkeypatch):
    from engine import clock
    # the routine has scripts: this owner is trusted with them (how `make run` is configured is #18 item 7)
    monkeypatch.setitem(app.config, "ALLOW_SCRIPTS_FROM_PROCESS_OWNERS", True)
    deploy_routine()
    case_id = Routine().open(clock.today_oslo().isoformat())
    login(page, "prosesseier")
    page.goto("/admin/modeller/")
    page.locator("#modeler-processes").get_by_role("link", name="Fra institusjon til bolig").click()
    page.wait_for_selector("#modeler-app[data-ready='1']", timeout=30_000)
    assert page.locator("#problem-count").inner_text() == "Ingen problemer"
    found = page.evaluate(FIND)
    seq = 0

    # rename a task on the canvas (direct editing, as a person does)
    page.locator(f"g.djs-element[data-element-id='{found['task']}']").dblclick()
    editor = page.locator(".djs-direct-editing-parent")
    editor.press("Control+a")
    editor.type("Skriv sluttrapporten")
    page.locator("#canvas").click(position={"x": 5, "y": 5})
    seq = _wait_settled(page, seq)
    assert page.evaluate(f"window.tilboligModeler.get('elementRegistry').get('{found['task']}').businessObject.name") \
        == "Skriv sluttrapporten"

    # set a deadline in the properties panel — first wrong: the problem is marked on the element
    page.locator(f"g.djs-element[data-element-id='{found['timer']}']").click()
    group = page.locator("[data-group-id='group-tilbolig']")
    if group.locator(".bio-properties-panel-group-header.open").count() == 0:
        group.locator(".bio-properties-panel-group-header").click()
    assert group.get_by_label("Frist (fra fristkatalogen)").input_value()
    period = group.get_by_label("Periode")
    period.fill("14 dager")
    seq = _wait_settled(page, seq)
    assert page.locator(f"g.djs-element.tb-problem[data-element-id='{found['timer']}']").count() == 1
    problems = " ".join(page.locator(f"#problems li[data-element='{found['timer']}']").all_inner_texts())
    assert "ugyldig periode" in problems
    assert "Problem" in page.locator("#problem-count").inner_text() or "problem" in page.locator("#problem-count").inner_text()
    # the problem in the list leads to the element
    page.locator(f"#problems li[data-element='{found['timer']}'] button").first.click()
    assert page.locator(f"g.djs-element.selected[data-element-id='{found['timer']}']").count() == 1
    screenshot(page, "modeler-problem")

    # fix it: 5 weeks, rolled to the next working day
    period.fill("P5W")
    seq = _wait_settled(page, seq)
    group.get_by_label("Flytt til neste virkedag når fristen faller på helg eller helligdag").click()
    seq = _wait_settled(page, seq)
    assert page.locator("#problem-count").inner_text() == "Ingen problemer"
    assert page.locator("g.djs-element.tb-problem").count() == 0
    xml = page.evaluate("window.tilboligModeler.saveXML().then(r => r.xml)")
    assert 'name="frist_periode" value="P5W"' in xml and 'name="frist_virkedag" value="ja"' in xml
    assert ', "P5W", virkedag=True)</bpmn:timeDate>' in xml
    assert int(page.locator("#modeler-app").get_attribute("data-saved")) > 0
    screenshot(page, "modeler")

    # deploy → a new version; the diff shows the renamed task and the changed timer
    page.get_by_role("button", name="Rull ut ny versjon").click()
    page.wait_for_selector("#see-diff", timeout=30_000)
    assert "Rullet ut som versjon 2" in page.locator("#deploy-result").inner_text()
    page.locator("#see-diff").click()
    page.wait_for_selector("#diff-diagram[data-ready='1']", timeout=30_000)
    row = page.locator(f"#diff-list tr[data-element='{found['task']}']")
    assert row.get_attribute("data-kind") == "changed" and "Skriv sluttrapporten" in row.inner_text()
    assert page.locator(f"#diff-list tr[data-element='{found['timer']}']").get_attribute("data-kind") == "changed"
    assert page.locator(f"#diff-diagram g.tb-diff-changed[data-element-id='{found['task']}']").count() == 1
    screenshot(page, "modeler-diff")

    # dry-run the migration of the running case, by version number
    page.get_by_role("button", name="Prøvekjør flytting fra versjon 1 til 2").click()
    report = page.locator("#dry-run-report")
    assert "Ingenting er flyttet" in report.inner_text()
    assert page.locator(f"#dry-run-report li[data-case='{case_id}']").count() == 1
    assert "kan flyttes" in page.locator(f"#dry-run-report li[data-case='{case_id}']").inner_text()


def test_axe_finds_nothing_on_the_modeler_and_the_diff_page(page, users):
    deploy_routine()
    login(page, "prosesseier")
    _open(page)
    page.locator("#form-file").select_option("sluttrapport.schema.json")
    page.wait_for_selector("#form-preview[data-rendered]")
    assert page.locator("#form-preview label").count() > 0
    violations = _axe(page, exclude=["#canvas"])
    assert violations == [], violations
    page.goto(f"/admin/modeller/{KEY}/endringer")
    violations = _axe(page)
    assert violations == [], violations
