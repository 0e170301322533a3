"""Errors become one JSON shape with a stable ``code`` — translated here, once, at the edge.

No exception text or stack trace ever reaches a client.  Every response carries a correlation id
(``X-Request-Id``: the caller's if it sent a sane one, else a new one); an unexpected error or an
engine failure is logged server-side under that id, and the client is shown the id — never the
expression or variable names that failed (issue #13).  Administrators also see which diagram
element failed, so they can find the case in the console.
"""
from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from flask import Flask, g, jsonify, request
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from engine import logs
from engine.errors import EngineFailure, ServiceError

log = logging.getLogger("tilbolig.errors")

REQUEST_ID_HEADER = "X-Request-Id"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
_SURROGATE = re.compile("[\ud800-\udfff]")

_HTTP_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type",
               422: "unprocessable", 429: "too_many_requests"}
_HTTP_TEXT = {400: "Ugyldig forespørsel.", 401: "Du må logge inn.", 403: "Du har ikke tilgang.",
              404: "Fant ikke siden eller ressursen.", 405: "Metoden er ikke tillatt.",
              409: "Konflikt: ressursen er endret av noen andre.",
              413: "Forespørselen er for stor.", 415: "Ukjent innholdstype.", 422: "Kan ikke behandle innholdet."}


def request_id() -> str:
    """This request's correlation id (kept in the WSGI environ: an app context may outlive a request)."""
    rid = request.environ.get("tilbolig.request_id")
    if rid is None:
        sent = request.headers.get(REQUEST_ID_HEADER, "")
        rid = sent if _SANE_ID.match(sent) else uuid.uuid4().hex
        request.environ["tilbolig.request_id"] = rid
    return rid


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/webhooks/") or request.is_json


def json_error(status: int, code: str, message: str, details=None):
    body = {"code": code, "message": message, "request_id": request_id()}
    if details is not None:
        body["details"] = details
    return jsonify(body), status


def _caller_is_administrator() -> bool:
    """Whether the caller may see an engine failure's element id; never raises (we are already failing)."""
    try:
        from engine.bpmn.lanes import ADMINISTRATOR
        from engine.web.auth import current_user
        user = current_user()
        return user is not None and ADMINISTRATOR in user.role_set
    except Exception:  # noqa: BLE001 - an error page must not fail on its own
        return False


def engine_failure_body(exc: EngineFailure) -> dict[str, Any]:
    """What a client learns of an engine failure: the generic message and the request id (plus the
    element for administrators).  The expression text and variable names go to the log only."""
    rid = request_id()
    log.warning("engine failure [request %s] at element %s: %s", rid, exc.element_id, exc.detail)
    body: dict[str, Any] = {"code": exc.code, "message": f"{exc.message} Feil-ID: {rid}.", "request_id": rid}
    if exc.element_id and _caller_is_administrator():
        body["details"] = {"element_id": exc.element_id}
    return body


def safe_text(value):
    """Jinja's ``finalize``: every printed value with unpaired surrogates gets U+FFFD instead, so one
    bad stored character cannot make a page fail to encode (it did: a task page 500 for everyone)."""
    if isinstance(value, str) and _SURROGATE.search(value):
        cleaned = value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return Markup(cleaned) if isinstance(value, Markup) else cleaned
    return value


def _stamp(response):
    response.headers[REQUEST_ID_HEADER] = request_id()
    return response


def _bind_request() -> None:
    """Every log line of this request carries its id (engine.logs; the JSON logs' correlation id)."""
    g.tilbolig_log_token = logs.bind(request_id=request_id(), method=request.method, path=request.path)


def _unbind_request(exc: BaseException | None = None) -> None:
    token = g.pop("tilbolig_log_token", None)
    if token is not None:
        logs.reset(token)


def init_app(app: Flask) -> None:
    app.before_request(_bind_request)
    app.teardown_request(_unbind_request)
    app.after_request(_stamp)
    app.jinja_env.finalize = safe_text
    app.jinja_env.globals["request_id"] = request_id     # the error page shows it: a person can quote it

    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        if isinstance(exc, EngineFailure):
            body = engine_failure_body(exc)
            if _wants_json() or not app.extensions.get("html_errors"):
                return jsonify(body), exc.status
            return app.extensions["html_errors"](exc.status, body["message"], exc)
        if _wants_json() or not app.extensions.get("html_errors"):
            return jsonify({**exc.to_dict(), "request_id": request_id()}), exc.status
        return app.extensions["html_errors"](exc.status, exc.message, exc)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        if _wants_json() or not app.extensions.get("html_errors"):
            return json_error(status, _HTTP_CODES.get(status, "http_error"), _HTTP_TEXT.get(status, "Feil."))
        return app.extensions["html_errors"](status, _HTTP_TEXT.get(status, "Feil."), exc)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        rid = request_id()
        app.logger.exception("unexpected error [request %s] on %s %s", rid, request.method, request.path)
        try:
            from engine.extensions import db
            db.session.rollback()
        except Exception:  # noqa: BLE001
            pass
        text = f"Det oppstod en intern feil. Den er logget med feil-ID {rid}."
        if _wants_json() or not app.extensions.get("html_errors"):
            return json_error(500, "internal_error", text)
        return app.extensions["html_errors"](500, text, exc)
