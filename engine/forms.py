"""Form schemas: validate submitted data and explain every error per field, in Norwegian.

A user task names its JSON Schema (``formJsonSchemaFilename``); the schema travels with the
process version.  Validation is always server-side and reports *all* errors at once, keyed by the
field path (``kontakter/0/telefon``) so a page can show each beside its field.  No Flask, no database.
"""
from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

_TYPES = {"string": "tekst", "integer": "et heltall", "number": "et tall", "boolean": "ja/nei",
          "array": "en liste", "object": "et objekt", "null": "tom"}
_FORMATS = {"date": "en dato (ÅÅÅÅ-MM-DD)", "date-time": "et tidspunkt", "email": "en e-postadresse",
            "uri": "en nettadresse"}


def _message(error: ValidationError) -> str:
    kind, value = error.validator, error.validator_value
    if kind == "required":
        return "Feltet må fylles ut."
    if kind == "type":
        wanted = value if isinstance(value, list) else [value]
        return "Må være " + " eller ".join(_TYPES.get(str(w), str(w)) for w in wanted) + "."
    if kind == "format":
        return f"Må være {_FORMATS.get(value, value)}."
    if kind == "pattern":
        return "Har feil format."
    if kind == "enum":
        return "Velg en av de gyldige verdiene."
    if kind == "const":
        return "Har feil verdi."
    if kind == "minLength":
        return "Feltet må fylles ut." if value == 1 else f"Må ha minst {value} tegn."
    if kind == "maxLength":
        return f"Kan ha høyst {value} tegn."
    if kind == "minimum":
        return f"Må være minst {value}."
    if kind == "maximum":
        return f"Kan være høyst {value}."
    if kind == "minItems":
        return f"Må ha minst {value} rad(er)."
    if kind == "maxItems":
        return f"Kan ha høyst {value} rader."
    if kind == "additionalProperties":
        return "Inneholder felt som ikke hører til skjemaet."
    return "Ugyldig verdi."


def _path(error: ValidationError) -> str:
    parts = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        # jsonschema reports a missing field on its parent; point at the field itself.
        missing = error.message.split("'")[1] if "'" in error.message else ""
        parts.append(missing)
    if error.validator == "dependentRequired":
        parts.append(error.message.split("'")[1])
    return "/".join(parts) or "_"


_VALIDATORS: dict[int, tuple[dict, Draft202012Validator]] = {}


def _validator(schema: dict) -> Draft202012Validator:
    """One compiled validator per schema object (schemas live as long as their process version)."""
    entry = _VALIDATORS.get(id(schema))
    if entry is None or entry[0] is not schema:
        if len(_VALIDATORS) > 1000:
            _VALIDATORS.clear()
        entry = (schema, Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER))
        _VALIDATORS[id(schema)] = entry
    return entry[1]


def validate(schema: dict, data: Any) -> dict[str, list[str]]:
    """Every field error of ``data`` against ``schema``; an empty dict means valid."""
    validator = _validator(schema)
    errors: dict[str, list[str]] = {}
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        errors.setdefault(_path(error), []).append(_message(error))
    return errors


def strip_empty(data: dict[str, Any]) -> dict[str, Any]:
    """Drop empty strings and ``None`` so 'not filled in' is reported as *required*, not as a bad format."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if value is None or value == "":
            continue
        if isinstance(value, dict):
            value = strip_empty(value)
        elif isinstance(value, list):
            value = [strip_empty(v) if isinstance(v, dict) else v for v in value if v not in (None, "")]
        out[key] = value
    return out
