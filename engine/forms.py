"""Form schemas: validate submitted data and explain every error per field, in Norwegian.

A user task names its JSON Schema (``formJsonSchemaFilename``); the schema travels with the
process version.  Validation is always server-side and reports *all* errors at once, keyed by the
field path (``kontakter/0/telefon``) so a page can show each beside its field.  No Flask, no database.

Input is bounded whatever the schema says, because it is stored and computed with: a date
(``format: date``/``date-time``) must lie in the years 1900–2100 (deadlines are counted from
it), text without ``maxLength`` may hold at most :data:`DEFAULT_MAX_LENGTH` characters, and
text with a lone surrogate (``"\\ud800"`` in JSON: not Unicode, and refused by PostgreSQL) is
a field error rather than a server error.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError

from engine import clock

#: Years a date field may name: the range deadlines are computed for (``engine.bpmn.norwegian_holidays``;
#: forms may not import the engine core, so the numbers are repeated and a test keeps them equal).
FIRST_YEAR, LAST_YEAR = 1900, 2100
#: The most characters a text field may hold when its schema sets no ``maxLength``.
DEFAULT_MAX_LENGTH = 10_000

#: A human task whose diagram names no form (a plain Camunda Modeler diagram, an abstract or manual
#: task): «Fullfør» with an optional comment, and nothing else may be sent.
FORMLESS_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "description": "Denne oppgaven har ikke noe skjema. Skriv gjerne en kommentar om hva som ble gjort, "
                   "og trykk «Fullfør».",
    "properties": {"kommentar": {"type": "string", "title": "Kommentar (valgfritt)", "maxLength": 2000}},
}
FORMLESS_UI_SCHEMA: dict[str, Any] = {"kommentar": {"ui:widget": "textarea"}}

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
        if value in _DATE_FORMATS and _date_of(error.instance, value) is not None:
            return f"Datoen må være mellom år {FIRST_YEAR} og {LAST_YEAR}."
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
    if kind == NOT_AFTER_TODAY:
        return "Datoen kan ikke være etter i dag."
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


# -- bounds every schema gets -------------------------------------------------------------------

_DATE_FORMATS = ("date", "date-time")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
                        r"(?:[Zz]|[+-][0-9]{2}:[0-9]{2})?")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _date_of(value: object, fmt: str) -> date | None:
    """The calendar date a ``date``/``date-time`` text names, or None if it names none."""
    if not isinstance(value, str) or not (_DATE if fmt == "date" else _DATE_TIME).fullmatch(value):
        return None
    try:
        if fmt == "date":
            return date.fromisoformat(value)
        return datetime.fromisoformat(value.upper().replace("Z", "+00:00")).date()
    except ValueError:
        return None


def _in_range(fmt: str) -> Any:
    def check(value: object) -> bool:
        day = _date_of(value, fmt)
        return not isinstance(value, str) or (day is not None and FIRST_YEAR <= day.year <= LAST_YEAR)
    return check


# The standard checker (email, …) with dates that must also be in range.  Without this, date-time
# was not checked at all (it needs an optional package).
_FORMAT_CHECKER = FormatChecker(formats=())
_FORMAT_CHECKER.checkers.update(Draft202012Validator.FORMAT_CHECKER.checkers)
for _fmt in _DATE_FORMATS:
    _FORMAT_CHECKER.checks(_fmt)(_in_range(_fmt))

_check_type = Draft202012Validator.VALIDATORS["type"]


def _type_and_default_length(validator, types, instance, schema) -> Iterator[ValidationError]:
    """``type``, plus: a string whose schema sets no ``maxLength`` gets :data:`DEFAULT_MAX_LENGTH`."""
    yield from _check_type(validator, types, instance, schema)
    if isinstance(instance, str) and "maxLength" not in schema and len(instance) > DEFAULT_MAX_LENGTH:
        yield ValidationError(f"longer than {DEFAULT_MAX_LENGTH}", validator="maxLength",
                              validator_value=DEFAULT_MAX_LENGTH)


#: A date the form asks about the past (the day a report was written, the day the resident moved
#: out): ``"x-ikkeEtterIDag": true`` refuses a day after today in Oslo (#14: 2099-12-31 was accepted).
NOT_AFTER_TODAY = "x-ikkeEtterIDag"


def _not_after_today(validator, wanted, instance, schema) -> Iterator[ValidationError]:
    day = _date_of(instance, schema.get("format") or "date")
    if wanted is True and day is not None and day > clock.today_oslo():
        yield ValidationError("after today", validator=NOT_AFTER_TODAY, validator_value=True)


_Validator = validators.extend(Draft202012Validator, {"type": _type_and_default_length,
                                                      NOT_AFTER_TODAY: _not_after_today})


def _largest_max_length(schema: object) -> int:
    if isinstance(schema, dict):
        own = schema.get("maxLength")
        return max([own if isinstance(own, int) else 0, *map(_largest_max_length, schema.values())])
    if isinstance(schema, list):
        return max(map(_largest_max_length, schema), default=0)
    return 0


def _texts(data: Any, path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """Every text in ``data`` with its path: values and object keys (a key is reported at its own path)."""
    if isinstance(data, str):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            if isinstance(key, str):
                yield (*path, key), key
            yield from _texts(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _texts(value, (*path, index))


def _bound_errors(data: Any, cap: int) -> Iterator[tuple[tuple, str]]:
    """Texts the schema cannot see: strings under no ``type: string`` and lone surrogates anywhere."""
    for path, text in _texts(data):
        if _SURROGATE.search(text):
            yield path, "Inneholder ugyldige tegn."
        elif len(text) > cap:
            yield path, f"Kan ha høyst {cap} tegn."


def _safe(path: str) -> str:
    """A field path fit for JSON (a lone surrogate in a key would break the response)."""
    return path.encode("utf-8", "replace").decode("utf-8") if _SURROGATE.search(path) else path


_VALIDATORS: dict[int, tuple[dict, Draft202012Validator, int]] = {}


def _validator(schema: dict) -> tuple[Draft202012Validator, int]:
    """One compiled validator per schema object (schemas live as long as their process version),
    with the longest text any of its fields allows."""
    entry = _VALIDATORS.get(id(schema))
    if entry is None or entry[0] is not schema:
        if len(_VALIDATORS) > 1000:
            _VALIDATORS.clear()
        cap = max(DEFAULT_MAX_LENGTH, _largest_max_length(schema))
        entry = (schema, _Validator(schema, format_checker=_FORMAT_CHECKER), cap)
        _VALIDATORS[id(schema)] = entry
    return entry[1], entry[2]


def validate(schema: dict, data: Any) -> dict[str, list[str]]:
    """Every field error of ``data`` against ``schema``; an empty dict means valid."""
    validator, cap = _validator(schema)
    errors: dict[str, list[str]] = {}

    def add(path: str, message: str) -> None:
        messages = errors.setdefault(_safe(path), [])
        if message not in messages:
            messages.append(message)
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        add(_path(error), _message(error))
    for path, message in _bound_errors(data, cap):
        add("/".join(map(str, path)) or "_", message)
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
