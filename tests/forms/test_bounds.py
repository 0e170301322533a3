"""Bounds every form gets, whatever its schema says (issue 13): dates in the years 1900–2100, text
capped at 10,000 characters unless the schema allows more, and no lone surrogates."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import forms

SCHEMA = {
    "type": "object",
    "properties": {
        "innflytting": {"type": "string", "format": "date"},
        "moete": {"type": "string", "format": "date-time"},
        "kommentar": {"type": "string"},
        "kort": {"type": "string", "maxLength": 20},
        "notat": {"type": "string", "maxLength": 50_000},
        "fritt": {},
        "kontakter": {"type": "array", "items": {"type": "object", "properties": {"navn": {"type": "string"}}}},
    },
    "additionalProperties": True,
}
RANGE = "Datoen må være mellom år 1900 og 2100."


@pytest.mark.parametrize("value, errors", [
    ("2026-03-01", {}),
    ("1900-01-01", {}),
    ("2100-12-31", {}),
    ("9999-12-31", {"innflytting": [RANGE]}),
    ("1899-12-31", {"innflytting": [RANGE]}),
    ("0001-01-01", {"innflytting": [RANGE]}),
    ("2026-02-30", {"innflytting": ["Må være en dato (ÅÅÅÅ-MM-DD)."]}),
    ("20260301", {"innflytting": ["Må være en dato (ÅÅÅÅ-MM-DD)."]}),     # fromisoformat would take it
])
def test_dates_must_be_real_and_between_1900_and_2100(value, errors):
    assert forms.validate(SCHEMA, {"innflytting": value}) == errors


def test_the_date_range_is_the_one_deadlines_are_computed_for():
    from engine.bpmn import norwegian_holidays
    assert (forms.FIRST_YEAR, forms.LAST_YEAR) == (norwegian_holidays.FIRST_YEAR, norwegian_holidays.LAST_YEAR)


@pytest.mark.parametrize("value, errors", [
    ("2026-03-01T10:00:00+01:00", {}),
    ("2026-03-01T09:00:00Z", {}),
    ("2026-03-01 10:00", {}),
    ("9999-12-31T23:59:59Z", {"moete": [RANGE]}),
    ("i morgen kl. 10", {"moete": ["Må være et tidspunkt."]}),
    ("2026-03-01", {"moete": ["Må være et tidspunkt."]}),
])
def test_date_times_are_checked_too(value, errors):
    assert forms.validate(SCHEMA, {"moete": value}) == errors


def test_text_without_max_length_is_capped_at_the_default():
    assert forms.validate(SCHEMA, {"kommentar": "x" * forms.DEFAULT_MAX_LENGTH}) == {}
    too_long = "x" * (forms.DEFAULT_MAX_LENGTH + 1)
    assert forms.validate(SCHEMA, {"kommentar": too_long}) == {"kommentar": ["Kan ha høyst 10000 tegn."]}
    # Text under no ``type: string`` (an empty schema, an undeclared field, a key) is capped at the
    # longest text any field of the form allows: here «notat», 50,000.
    assert forms.validate(SCHEMA, {"fritt": "x" * 50_001}) == {"fritt": ["Kan ha høyst 50000 tegn."]}
    assert forms.validate(SCHEMA, {"ukjent": "x" * 50_001}) == {"ukjent": ["Kan ha høyst 50000 tegn."]}
    assert forms.validate(SCHEMA, {"x" * 50_001: 1}) == {"x" * 50_001: ["Kan ha høyst 50000 tegn."]}


def test_a_schema_max_length_still_rules_both_ways():
    assert forms.validate(SCHEMA, {"kort": "x" * 21}) == {"kort": ["Kan ha høyst 20 tegn."]}
    assert forms.validate(SCHEMA, {"notat": "x" * 40_000}) == {}
    assert forms.validate(SCHEMA, {"notat": "x" * 50_001}) == {"notat": ["Kan ha høyst 50000 tegn."]}


def test_a_default_cap_applies_where_no_field_allows_more():
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    assert forms.validate(schema, {"b": "x" * 10_001}) == {"b": ["Kan ha høyst 10000 tegn."]}
    assert forms.validate(schema, {"a": "x" * 10_001}) == {"a": ["Kan ha høyst 10000 tegn."]}


@pytest.mark.parametrize("data, path", [
    ({"kommentar": "hei \ud800"}, "kommentar"),
    ({"kontakter": [{"navn": "Per \udfff"}]}, "kontakter/0/navn"),
    ({"fritt": ["a", {"b": "\udc00"}]}, "fritt/1/b"),
])
def test_lone_surrogates_are_a_field_error(data, path):
    errors = forms.validate(SCHEMA, data)
    assert errors == {path: ["Inneholder ugyldige tegn."]}
    json.dumps(errors).encode("utf-8")


def test_a_lone_surrogate_in_a_key_is_reported_at_a_path_that_can_be_sent():
    errors = forms.validate(SCHEMA, json.loads('{"felt\\ud800": "x"}'))
    assert list(errors.values()) == [["Inneholder ugyldige tegn."]]
    assert "?" in next(iter(errors))
    json.dumps(errors, ensure_ascii=False).encode("utf-8")


def test_valid_astral_characters_are_fine():
    assert forms.validate(SCHEMA, json.loads('{"kommentar": "\\ud83d\\ude00 ok"}')) == {}


def test_every_form_of_the_routine_still_accepts_its_example():
    from tests.process.examples import EXAMPLES
    root = Path(__file__).resolve().parents[2] / "forms"
    for name, example in EXAMPLES.items():
        schema = json.loads((root / name).read_text(encoding="utf-8"))
        assert forms.validate(schema, forms.strip_empty(example)) == {}, name


def test_the_api_refuses_an_impossible_date_as_a_field_error(api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    r = api("kari.gamleoslo").post("/api/v1/cases", json={
        "process_key": "tre_baner", "bydel": "gamle-oslo", "institution": "bygdoy",
        "resident": {"name": "Tore Testbeboer", "username": "beboer.test"}, "data": {"innflytting": "2026-03-01"}})
    task = r.json["tasks"][0]
    bad = {"dato": "9999-12-31", "kommentar": "x"}
    r = api("kari.gamleoslo").post(f"/api/v1/tasks/{task['id']}/complete", json={"data": bad})
    assert r.status_code == 422 and r.json["code"] == "form_invalid"
    assert r.json["details"] == {"dato": [RANGE]}
    # A lone surrogate is refused at the API's door (#13: it would not even store as a draft on
    # PostgreSQL), as a field error too.
    r = api("kari.gamleoslo").post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {**bad, "kommentar": "x\ud800"}})
    assert r.status_code == 422 and r.json["details"] == {"data/kommentar": ["Inneholder ugyldige tegn."]}
