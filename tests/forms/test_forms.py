"""Every form: a valid payload passes, an invalid one fails with the expected field errors."""
from __future__ import annotations

import json
from copy import deepcopy
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from tests.process.examples import EXAMPLES

FORMS = Path(__file__).resolve().parents[2] / "forms"
SCHEMAS = sorted(p.name for p in FORMS.glob("*.schema.json"))


def _schema(name: str) -> dict:
    return json.loads((FORMS / name).read_text(encoding="utf-8"))


def _errors(name: str, data: dict) -> set[tuple[str, str]]:
    """{(field path, failing keyword)}; a missing field is reported at its own path."""
    v = Draft202012Validator(_schema(name), format_checker=Draft202012Validator.FORMAT_CHECKER)
    out = set()
    for e in v.iter_errors(data):
        path = "/".join(str(p) for p in e.absolute_path)
        if e.validator == "required":
            path = "/".join(filter(None, [path, e.message.split("'")[1]]))
        out.add((path, e.validator))
    return out


def _without(data: dict, *paths: str) -> dict:
    data = deepcopy(data)
    for path in paths:
        *parents, last = path.split("/")
        node = data
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node[p]
        del node[last]
    return data


def _with(data: dict, **changes) -> dict:
    data = deepcopy(data)
    data.update(changes)
    return data


E = EXAMPLES
INVALID: dict[str, tuple[dict, set]] = {
    "henvisning.schema.json": (
        _with(_without(E["henvisning.schema.json"], "bydel"), innflytting="05.01.2026", beboer_telefon="12-34"),
        {("bydel", "required"), ("innflytting", "format"), ("beboer_telefon", "pattern")}),
    "innflytting.schema.json": (
        _with(_without(E["innflytting.schema.json"], "innflytting"),
              kontakter=[{"navn": "Per", "rolle": "parorende", "telefon": "abc"}]),
        {("kontakter/0/telefon", "pattern"), ("kontakter", "contains"), ("innflytting", "required")}),
    "bydelskontakter.schema.json": ({"bydelskontakter": []}, {("bydelskontakter", "minItems")}),
    "samtykke.schema.json": (
        _without(E["samtykke.schema.json"], "samtykke_gyldig_til", "samtykke_deling"),
        {("samtykke_gyldig_til", "required"), ("samtykke_deling", "required")}),
    "livskvalitet.schema.json": (
        _with(E["livskvalitet.schema.json"], livet_samlet=8, mansa={"bolig": 0}),
        {("livet_samlet", "maximum"), ("mansa/bolig", "minimum")}),
    "kartlegging.schema.json": (
        _with(_without(E["kartlegging.schema.json"], "levekarsomrader/rusbruk", "ip_tilbudt"),
              behov_hjelp_bolig="kanskje"),
        {("levekarsomrader/rusbruk", "required"), ("ip_tilbudt", "required"), ("behov_hjelp_bolig", "enum")}),
    "plan-for-oppholdet.schema.json": (
        _with(_without(E["plan-for-oppholdet.schema.json"], "sosial_tilhorighet"), plan_mal=[]),
        {("sosial_tilhorighet", "required"), ("plan_mal", "minItems")}),
    "forste-samarbeidsmote.schema.json": (
        _with(_without(E["forste-samarbeidsmote.schema.json"], "kartlegging_ferdigstilt"), motedato="2026-02-30"),
        {("kartlegging_ferdigstilt", "required"), ("motedato", "format")}),
    "samarbeidsmote.schema.json": (
        _without(E["samarbeidsmote.schema.json"], "bolig_status", "faste_moter_avsluttes"),
        {("bolig_status", "required"), ("faste_moter_avsluttes", "required")}),
    "statusrapport.schema.json": (
        _with(_without(E["statusrapport.schema.json"], "beboers_onsker"), institusjonens_vurdering=""),
        {("beboers_onsker", "required"), ("institusjonens_vurdering", "minLength")}),
    "vurder-statusrapport.schema.json": (
        {"statusrapport_tilstrekkelig": False}, {("statusrapport_mangler", "required")}),
    "felles-kartlegging.schema.json": (
        _with(E["felles-kartlegging.schema.json"], avklart_boform="telt"), {("avklart_boform", "enum")}),
    "boligmote.schema.json": (
        _with(E["boligmote.schema.json"], soknadsansvar=[{"soknad": "kommunal_bolig"}]),
        {("soknadsansvar/0/ansvarlig", "required")}),
    "soknader.schema.json": (
        {"soknader": {**_without(E["soknader.schema.json"], "soknader/fact")["soknader"],
                      "kommunal_bolig": {"status": "sendt"}}},
        {("soknader/fact", "required"), ("soknader/kommunal_bolig/dato", "required")}),
    "utflyttingsmote.schema.json": (
        _without(E["utflyttingsmote.schema.json"], "betaling_for_plass", "planlagt_utflytting"),
        {("betaling_for_plass", "required"), ("planlagt_utflytting", "required")}),
    "utflyttingsplan.schema.json": (
        _without(E["utflyttingsplan.schema.json"], "for_innflytting/strom", "naboskap", "overgangsavtale/varighet_uker"),
        {("for_innflytting/strom", "required"), ("naboskap", "required"), ("overgangsavtale/varighet_uker", "required")}),
    "kriseplan.schema.json": (
        _with(_without(E["kriseplan.schema.json"], "ved_rusepisode/hvor_jeg_drar"),
              kontaktpersoner=[{"navn": "Mor", "rolle": "familie", "telefon": "22"}]),
        {("ved_rusepisode/hvor_jeg_drar", "required"), ("kontaktpersoner/0/telefon", "pattern")}),
    "utflytting.schema.json": ({"flyttet_til": "kommunal_bolig"}, {("utflytting", "required")}),
    "sluttrapport.schema.json": (
        _with(E["sluttrapport.schema.json"], avslutningstype="flyttet"), {("avslutningstype", "enum")}),
    "oppfolgingsmote.schema.json": (
        _without(E["oppfolgingsmote.schema.json"], "videre_oppfolging"), {("videre_oppfolging", "required")}),
    "oppfolging-frist.schema.json": ({"oppfolging_ny_dato": "i morgen"},
                                     {("oppfolging_tiltak", "required"), ("oppfolging_ny_dato", "format")}),
    "melding-bolig-tilbudt.schema.json": ({"dato": "28. mai"}, {("dato", "format")}),
    "botid.schema.json": ({"botid_beslutning": "utskrives", "botid_begrunnelse": "Botiden er ute."},
                          {("utskrives_dato", "required"), ("utskrives_til", "required")}),
    "evaluering.schema.json": (
        _with(_without(E["evaluering.schema.json"], "plan_endringer"), evaluering_deltakere=[]),
        {("plan_endringer", "required"), ("evaluering_deltakere", "minItems")}),
    "melding-opphold-avsluttet.schema.json": ({"arsak": "flyttet"}, {("arsak", "enum"), ("dato", "required")}),
    # #16: a survey that was done needs the answer; one that was not needs only why (and when it was tried)
    "livskvalitet-aarlig.schema.json": (
        _with(_without(E["livskvalitet-aarlig.schema.json"], "livet_samlet", "livskvalitet_dato"), mansa={"bolig": 8}),
        {("livet_samlet", "required"), ("livskvalitet_dato", "required"), ("mansa/bolig", "maximum")}),
    "livskvalitet-rapport.schema.json": ({"bekreftet": False, "tall": {"a": 1}},
                                         {("bekreftet", "const"), ("", "additionalProperties")}),
}


def test_a_survey_not_done_needs_no_answer_but_a_known_reason():
    name = "livskvalitet-aarlig.schema.json"
    declined = {"maling_status": "avslatt", "livskvalitet_dato": "2027-02-01"}
    assert _errors(name, declined) == set()
    assert _errors(name, _with(declined, maling_status="glemt")) == {("maling_status", "enum")}


def test_every_form_has_a_case_here():
    assert set(SCHEMAS) == set(EXAMPLES) == set(INVALID)


@pytest.mark.parametrize("name", SCHEMAS)
def test_schema_is_draft_2020_12_with_norwegian_titles(name):
    schema = _schema(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] and schema["required"]

    def walk(node, path):
        for key, prop in (node.get("properties") or {}).items():
            assert prop.get("title"), f"{name}: {path}{key} has no title"
            assert "fodselsnummer" not in key and "personnummer" not in key
            walk(prop, f"{path}{key}/")
            if isinstance(prop.get("items"), dict):
                walk(prop["items"], f"{path}{key}/*/")
    walk(schema, "")


@pytest.mark.parametrize("name", SCHEMAS)
def test_valid_payload_passes(name):
    assert _errors(name, EXAMPLES[name]) == set()


@pytest.mark.parametrize("name", SCHEMAS)
def test_invalid_payload_fails_with_the_expected_field_errors(name):
    data, expected = INVALID[name]
    assert _errors(name, data) == expected


@pytest.mark.parametrize("name", sorted(p.name for p in FORMS.glob("*.uischema.json")))
def test_ui_schema_orders_existing_fields(name):
    ui = json.loads((FORMS / name).read_text(encoding="utf-8"))
    schema = _schema(name.replace(".uischema.json", ".schema.json"))
    assert set(ui["ui:order"]) == set(schema["properties"])
    _check_ui(ui, schema)


#: What a ui-schema may say of a field (#14 added sections, and labels for a 1–7 scale).
UI_KEYS = {"ui:widget", "ui:help", "ui:enumNames"}


def _check_ui(ui: dict, schema: dict) -> None:
    """Every key names a field of ``schema`` (or of its sub-forms, rows under ``items``); every
    section (``ui:groups``) is titled and names existing fields, each field in one section at most."""
    props = schema.get("properties") or {}
    for key, value in ui.items():
        if key == "ui:order":
            continue
        if key == "ui:groups":
            named = [n for g in value for n in g["fields"]]
            assert all(g["title"] for g in value) and len(named) == len(set(named)) and set(named) <= set(props)
            continue
        assert key in props, key
        own = {k for k in value if k.startswith("ui:") and k != "ui:groups"}
        assert own <= UI_KEYS, (key, own)
        if "ui:enumNames" in value:
            low, high = props[key]["minimum"], props[key]["maximum"]
            assert len(value["ui:enumNames"]) == high - low + 1
        nested = {k: v for k, v in value.items() if not k.startswith("ui:") or k == "ui:groups"}
        if nested:
            sub = props[key]
            if "items" in nested:
                _check_ui(nested["items"], sub["items"])
            else:
                _check_ui(nested, sub)


def test_dates_are_dates_and_phones_have_a_pattern():
    for name in SCHEMAS:
        text = (FORMS / name).read_text(encoding="utf-8")
        assert '"dato"' not in text or '"format": "date"' in text
        for node in _iter(_schema(name)):
            if node.get("title", "").lower().startswith("telefon") or node.get("title", "").endswith("telefon"):
                assert node.get("pattern") == r"^\+?[0-9 ]{8,15}$", name


def _iter(node):
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _iter(v)
    elif isinstance(node, list):
        for v in node:
            yield from _iter(v)
