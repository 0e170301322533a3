"""Forms people can fill (#14): long forms in sections, yes/no as radio buttons, MANSA as a 1–7
scale, a length cap on every text, and no future date where the past is asked."""
from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

from werkzeug.datastructures import MultiDict

from engine import clock, forms
from engine.web import formrender
from tests.process.examples import EXAMPLES

FORMS = Path(__file__).resolve().parents[2] / "forms"


def _load(name: str) -> tuple[dict, dict]:
    return (json.loads((FORMS / f"{name}.schema.json").read_text(encoding="utf-8")),
            json.loads((FORMS / f"{name}.uischema.json").read_text(encoding="utf-8")))


def _flat(fields):
    for f in fields:
        yield f
        yield from _flat(f.children)
        for row in f.rows:
            yield from _flat(row)


def _render(app, fields) -> str:
    from flask import render_template_string
    with app.test_request_context("/"):
        return render_template_string('{% from "pages/fields.html" import field, form_steps %}'
                                      "{{ form_steps(fields) }}{% for f in fields %}{{ field(f) }}{% endfor %}",
                                      fields=fields)


def test_long_forms_come_in_titled_sections_with_links_to_each(ctx):
    for name, titles in (("kartlegging", ["Kartleggingen", "Bolig og oppfølging", "Økonomi og andre forhold",
                                          "Individuell plan", "Levekår og mål"]),
                         ("utflyttingsplan", ["Før innflytting", "Å bo", "Hverdagen", "Overgangen"])):
        schema, ui = _load(name)
        fields = formrender.build(schema, ui, {}, {})
        assert [f.kind for f in fields] == ["section"] * len(titles) and [f.label for f in fields] == titles
        # every field of the form is in exactly one section: nothing lost, nothing twice
        top = [c.name for f in fields for c in f.children]
        assert sorted(top) == sorted(schema["properties"])
        html = _render(ctx, fields)
        assert html.count('<fieldset class="section"') == len(titles) and 'id="form-steps"' in html
        assert f'<a href="#{fields[1].dom_id}">{titles[1]}</a>' in html
    schema, ui = _load("soknader")
    [group, _vedlagt] = formrender.build(schema, ui, {}, {})
    assert [c.label for c in group.children] == ["Bolig og økonomi", "Oppfølging og behandling", "Annet"]


def test_sections_change_nothing_in_what_is_posted_and_validated(ctx):
    from tests.web.test_formrender import posted
    for name in ("kartlegging", "utflyttingsplan", "soknader"):
        schema, ui = _load(name)
        data = EXAMPLES[f"{name}.schema.json"]
        back = formrender.parse(schema, posted(formrender.build(schema, ui, data, {})))
        assert forms.validate(schema, forms.strip_empty(back)) == {} and forms.strip_empty(back) == forms.strip_empty(data)


def test_required_yes_no_facts_are_radio_buttons_that_must_be_answered(ctx):
    schema, ui = _load("kartlegging")
    by_path = {f.path: f for f in _flat(formrender.build(schema, ui, {}, {}))}
    assert by_path["har_individuell_plan"].kind == "yesno"
    html = _render(ctx, [by_path["har_individuell_plan"]])
    assert html.count('type="radio"') == 2 and ">Ja</label>" in html and ">Nei</label>" in html
    # not answered is «must be filled in», not a silent «no» from an unticked box
    data = formrender.parse(schema, MultiDict([("kartlegging_dato", "2026-03-01")]))
    assert "har_individuell_plan" not in data
    assert forms.validate(schema, forms.strip_empty(data))["har_individuell_plan"] == ["Feltet må fylles ut."]
    assert formrender.parse(schema, MultiDict([("har_individuell_plan", "false")]))["har_individuell_plan"] is False
    for name in ("forste-samarbeidsmote", "vurder-statusrapport", "utflyttingsplan", "sluttrapport"):
        schema, ui = _load(name)
        required_bools = [f for f in _flat(formrender.build(schema, ui, {}, {})) if f.required and f.kind in ("checkbox", "yesno")]
        assert required_bools and all(f.kind == "yesno" for f in required_bools), name


def test_mansa_is_a_one_to_seven_scale_of_radio_buttons(ctx):
    schema, ui = _load("livskvalitet")
    fields = {f.path: f for f in _flat(formrender.build(schema, ui, {"mansa": {"bolig": 5}}, {}))}
    scale = fields["mansa/bolig"]
    assert scale.kind == "radio" and [v for v, _t in scale.options] == [str(i) for i in range(1, 8)]
    assert scale.options[0][1] == "1 – kunne ikke vært verre" and scale.options[6][1] == "7 – kunne ikke vært bedre"
    assert scale.value == "5" and fields["livet_samlet"].kind == "radio"
    html = _render(ctx, [fields["mansa/bolig"]])
    assert 'class="choice scale' in html and html.count('type="radio"') == 7
    assert re.search(r'value="5"[^>]*checked', html) and html.count("checked") == 1
    back = formrender.parse(schema, MultiDict([("livet_samlet", "6"), ("mansa/bolig", "3")]))
    assert back["livet_samlet"] == 6 and back["mansa"]["bolig"] == 3
    assert forms.validate(schema, {**back, "livet_samlet": 8})["livet_samlet"] == ["Kan være høyst 7."]


def _strings(node, path=""):
    if isinstance(node, dict):
        if node.get("type") == "string" and not any(k in node for k in ("enum", "format", "const", "oneOf", "pattern")):
            yield path, node
        for key, value in node.items():
            yield from _strings(value, f"{path}/{key}")
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value, path)


def test_every_free_text_field_has_a_length_cap_and_the_input_says_it(ctx):
    missing = [f"{p.name}{path}" for p in sorted(FORMS.glob("*.schema.json")) if (FORMS / p.name.replace(".schema.", ".uischema.")).exists()
               for path, node in _strings(json.loads(p.read_text(encoding="utf-8"))) if "maxLength" not in node]
    assert missing == []
    schema, ui = _load("evaluering")        # a form added by #12 is covered too
    texts = [f for f in _flat(formrender.build(schema, ui, {}, {})) if f.kind in ("text", "textarea")]
    assert texts and all(f.attrs.get("maxlength") for f in texts)
    assert 'maxlength="4000"' in _render(ctx, texts)


def test_a_report_date_or_moving_out_day_in_the_future_is_refused(clock_at):
    clock_at(2026, 5, 10, 12)
    for name, key in (("statusrapport", "statusrapport_dato"), ("utflytting", "utflytting")):
        schema, _ui = _load(name)
        good = dict(EXAMPLES[f"{name}.schema.json"])
        today = clock.today_oslo()
        for ok in (today, today - timedelta(days=30)):
            assert key not in forms.validate(schema, {**good, key: ok.isoformat()}), (name, ok)
        for bad in (today + timedelta(days=1), date(2099, 12, 31)):
            assert forms.validate(schema, {**good, key: bad.isoformat()})[key] == ["Datoen kan ikke være etter i dag."]


def test_the_examples_helper_knows_every_past_only_date():
    from tests.process.examples import PAST_ONLY
    marked = {}
    for p in sorted(FORMS.glob("*.schema.json")):
        for key, node in (json.loads(p.read_text(encoding="utf-8")).get("properties") or {}).items():
            if node.get(forms.NOT_AFTER_TODAY):
                marked[p.name] = key
    assert marked == PAST_ONLY
