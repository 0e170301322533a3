"""The renderer handles every real form generically: what it draws, posted back, is the same data."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from engine import forms
from engine.web import formrender

FORMS = Path(__file__).resolve().parents[2] / "forms"
SCHEMAS = sorted(FORMS.glob("*.schema.json")) if FORMS.is_dir() else []


def posted(fields: list[formrender.Field]) -> MultiDict:
    """What a browser posts for a drawn form (the hidden markers included)."""
    out = MultiDict()
    for f in fields:
        if f.kind in ("group", "section"):
            for k, v in posted(f.children).items(multi=True):
                out.add(k, v)
        elif f.kind == "rows":
            out.add(f.path + "/__list", "1")
            for i, row in enumerate(f.rows):
                out.add(f"{f.path}/{i}/__row", "1")
                for k, v in posted(row).items(multi=True):
                    out.add(k, v)
        elif f.kind == "checkboxes":
            out.add(f.path + "/__list", "1")
            for v in f.value or []:
                out.add(f.path, v)
        elif f.kind == "checkbox":
            out.add(f.path + "/__bool", "1")
            if f.value is True:
                out.add(f.path, "true")
        elif f.kind == "yesno":
            out.add(f.path, {True: "true", False: "false"}.get(f.value, ""))
        else:
            out.add(f.path, "" if f.value is None else str(f.value))
    return out


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_every_form_round_trips_through_the_renderer(path):
    from tests.process.examples import EXAMPLES
    assert path.name in EXAMPLES, f"tests/process/examples.py has no example payload for {path.name}"
    schema = json.loads(path.read_text())
    ui_path = path.with_name(path.name.replace(".schema.json", ".uischema.json"))
    ui = json.loads(ui_path.read_text()) if ui_path.exists() else {}
    example = EXAMPLES[path.name]
    fields = formrender.build(schema, ui, example, {})
    back = forms.strip_empty(formrender.parse(schema, posted(fields)))
    assert forms.validate(schema, back) == {}
    expected = forms.strip_empty(example)
    props = schema.get("properties") or {}
    # unticked boxes post False, and a field the example leaves out shows its schema default
    extra = {k: v for k, v in back.items() if k not in expected}
    for key, value in extra.items():
        assert value in ([], False) or value == props.get(key, {}).get("default"), key
    assert {k: v for k, v in back.items() if k in expected} == expected


def test_unparseable_numbers_are_kept_as_typed_for_the_message():
    schema = {"type": "object", "properties": {"n": {"type": "integer"}, "x": {"type": "number"}}}
    data = formrender.parse(schema, MultiDict([("n", "tolv"), ("x", "2,5")]))
    assert data == {"n": "tolv", "x": 2.5}
    assert forms.validate(schema, data) == {"n": ["Må være et heltall."]}


def test_row_actions_add_and_remove_nested_rows():
    data = {"a": [{"b": [{"c": 1}, {"c": 2}]}]}
    assert formrender.apply_row_action(data, "remove:a/0/b/0") and data == {"a": [{"b": [{"c": 2}]}]}
    assert formrender.apply_row_action(data, "add:a/0/b") and data == {"a": [{"b": [{"c": 2}, {}]}]}
    assert not formrender.apply_row_action(data, "drop:a")
