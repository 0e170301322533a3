"""Errors become one JSON shape with a stable ``code`` — translated here, once, at the edge.

No exception text or stack trace ever reaches a client; unexpected errors are logged server-side.
"""
from __future__ import annotations

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from engine.errors import ServiceError

_HTTP_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type",
               422: "unprocessable", 429: "too_many_requests"}
_HTTP_TEXT = {400: "Ugyldig forespørsel.", 401: "Du må logge inn.", 403: "Du har ikke tilgang.",
              404: "Fant ikke siden eller ressursen.", 405: "Metoden er ikke tillatt.",
              409: "Konflikt: ressursen er endret av noen andre.",
              413: "Forespørselen er for stor.", 415: "Ukjent innholdstype.", 422: "Kan ikke behandle innholdet."}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/webhooks/") or request.is_json


def json_error(status: int, code: str, message: str, details=None):
    body = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return jsonify(body), status


def init_app(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        if _wants_json() or not app.extensions.get("html_errors"):
            return jsonify(exc.to_dict()), exc.status
        return app.extensions["html_errors"](exc.status, exc.message, exc)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        if _wants_json() or not app.extensions.get("html_errors"):
            return json_error(status, _HTTP_CODES.get(status, "http_error"), _HTTP_TEXT.get(status, "Feil."))
        return app.extensions["html_errors"](status, _HTTP_TEXT.get(status, "Feil."), exc)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        app.logger.exception("unexpected error on %s %s", request.method, request.path)
        try:
            from engine.extensions import db
            db.session.rollback()
        except Exception:  # noqa: BLE001
            pass
        if _wants_json() or not app.extensions.get("html_errors"):
            return json_error(500, "internal_error", "Det oppstod en intern feil. Den er logget.")
        return app.extensions["html_errors"](500, "Det oppstod en intern feil.", exc)
