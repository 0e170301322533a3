"""Reading a request safely: bodies, query strings and path ids, checked against ``engine.web.schemas``.

Why this exists (issue #13): a wrong JSON type, a body nested thousands deep, an id of 2^63,
``limit=abc``, a NUL byte or a lone surrogate each reached the database or the template engine and
came back as HTTP 500.  Here each is refused at the door with 400 (the request cannot be read) or
422 (it can, but breaks the schema), with the field and a Norwegian reason, before a use case runs.
The schemas are the ones the OpenAPI document shows, so the document and the server agree.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from flask import Flask, request
from werkzeug.routing import BaseConverter

from engine import forms
from engine.errors import BadRequest, ServiceError, Unprocessable
from engine.web import schemas

#: Text a database or an encoder cannot take: NUL (PostgreSQL text) and unpaired UTF-16 halves.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_INTEGER = re.compile(r"^-?[0-9]{1,19}$")


class BoundedInt(BaseConverter):
    """``<int:…>`` in every route: ASCII digits; a value outside 1..``schemas.MAX_ID`` becomes 0, which no row has.

    Werkzeug's own converter took any length, and an id past BIGINT then failed inside the
    database (500).  Refusing the match instead would answer 405 where a sibling rule differs only
    in its method, so the id is kept in range and the use case answers 404 as for any unknown id.
    """

    regex = r"[0-9]+"
    weight = 50

    def to_python(self, value: str) -> int:
        if len(value) > 19:       # no int() of thousands of digits
            return 0
        number = int(value)
        return number if 1 <= number <= schemas.MAX_ID else 0

    def to_url(self, value: Any) -> str:
        return str(int(value))


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} er ikke gyldig JSON")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("tallet er for stort")
    return number


def _check_tree(value: Any, max_text: int) -> None:
    """Depth, text length and storable characters of a parsed JSON value (iteratively: no recursion)."""
    stack: list[tuple[Any, int, str]] = [(value, 1, "")]
    while stack:
        item, depth, path = stack.pop()
        if depth > schemas.MAX_DEPTH:
            raise Unprocessable(f"Forespørselen er nøstet for dypt (høyst {schemas.MAX_DEPTH} nivåer).",
                                {path or "_": [f"Høyst {schemas.MAX_DEPTH} nivåer."]})
        if isinstance(item, str):
            _check_text(item, path, max_text)
        elif isinstance(item, dict):
            for key, child in item.items():
                _check_text(key, path, 200)
                stack.append((child, depth + 1, f"{path}/{key}" if path else key))
        elif isinstance(item, list):
            stack.extend((child, depth + 1, f"{path}/{i}" if path else str(i)) for i, child in enumerate(item))


def _check_text(text: str, path: str, max_text: int) -> None:
    if len(text) > max_text:
        raise Unprocessable("En tekst i forespørselen er for lang.", {path or "_": [f"Kan ha høyst {max_text} tegn."]})
    if _UNSTORABLE.search(text):
        raise Unprocessable("Forespørselen inneholder tegn som ikke kan lagres (NUL eller ugyldig Unicode).",
                            {path or "_": ["Inneholder ugyldige tegn."]})


def parse_json() -> Any:
    """The request body as JSON, or 400: not JSON, NaN/Infinity, or nested past the parser's reach."""
    if not request.is_json:
        raise BadRequest("Forventet et JSON-objekt i forespørselen (Content-Type: application/json).")
    raw = request.get_data(cache=True)
    try:
        return json.loads(raw, parse_constant=_no_constant, parse_float=_finite)
    except (ValueError, RecursionError):    # UnicodeDecodeError is a ValueError
        raise BadRequest("Forespørselen er ikke gyldig JSON.") from None


def body(name: str, max_text: int = schemas.MAX_TEXT,
         refuse: Callable[[dict[str, list[str]]], ServiceError] | None = None) -> dict[str, Any]:
    """The JSON body, checked against ``schemas.BODIES[name]``: 400 if unreadable, 422 with every field error
    (``refuse`` builds that 422 when an endpoint has its own code, e.g. ``message_invalid``)."""
    value = parse_json()
    if not isinstance(value, dict):
        raise BadRequest("Forventet et JSON-objekt i forespørselen.")
    try:
        _check_tree(value, max_text)
    except Unprocessable as exc:
        if refuse is None:
            raise
        raise refuse(exc.details) from exc
    errors = forms.validate(schemas.BODIES[name], value)
    if errors:
        raise refuse(errors) if refuse else Unprocessable("Forespørselen har feil.", errors)
    return value


def query(key: str) -> Any:
    """One query parameter, parsed strictly against ``schemas.QUERY[key]`` (its default if absent); 400 otherwise."""
    schema = schemas.QUERY[key]
    name = schemas.QUERY_NAMES.get(key, key)
    raw = request.args.get(name)
    if raw is None:
        return schema.get("default")
    if schema.get("type") == "integer":
        low, high = schema.get("minimum", 0), schema.get("maximum", schemas.MAX_ID)
        if not _INTEGER.match(raw) or not low <= int(raw) <= high:
            raise BadRequest(f"«{name}» må være et heltall fra {low} til {high}.", {name: ["Ugyldig tall."]})
        return int(raw)
    if "enum" in schema and raw not in schema["enum"]:
        raise BadRequest(f"Ukjent verdi for «{name}». Tillatt: {', '.join(schema['enum'])}.",
                         {name: ["Velg en av de gyldige verdiene."]})
    if forms.validate(schema, raw):
        raise BadRequest(f"Ugyldig verdi for «{name}».", {name: ["Har feil format."]})
    return raw


def path_text(name: str, value: str) -> str:
    """A text path parameter (task id, deadline key, file name) as ``schemas.PATH`` bounds it; else 404."""
    from engine.errors import NotFound
    if forms.validate(schemas.PATH[name], value):
        raise NotFound("Fant ikke ressursen.")
    return value


def _refuse_unstorable() -> None:
    """Path, query and form fields with NUL or broken Unicode never reach a use case (400)."""
    texts = [request.path, *request.args.keys(), *request.args.values()]
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        texts += [*request.form.keys(), *request.form.values()]
    if any(isinstance(t, str) and _UNSTORABLE.search(t) for t in texts):
        raise BadRequest("Forespørselen inneholder tegn som ikke kan lagres (NUL eller ugyldig Unicode).")


def _refuse_unknown_query() -> None:
    """``/api/v1`` takes only the query parameters its OpenAPI operation lists: ``?limt=5`` is a 400
    naming the parameter, not a silent default (schemathesis sends such requests, and so do typos)."""
    rule = request.url_rule
    if rule is None or not rule.rule.startswith("/api/v1/") or not request.args:
        return
    from engine.web.openapi import query_names
    allowed = query_names(request.method.lower(), _API_PATH.sub(r"{\1}", rule.rule))
    unknown = sorted(set(request.args) - allowed)
    if unknown:
        raise BadRequest(f"Ukjent parameter: {', '.join(unknown)[:200]}.",
                         {"query": [f"Tillatt: {', '.join(sorted(allowed)) or 'ingen'}."]})


_API_PATH = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


def init_app(app: Flask) -> None:
    """Bounded ids in every ``<int:…>`` route (before any blueprint is registered); the guards."""
    app.url_map.converters["int"] = BoundedInt
    app.before_request(_refuse_unstorable)
    app.before_request(_refuse_unknown_query)
