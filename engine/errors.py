"""One exception hierarchy for the service, translated to HTTP/CLI answers once, at the edge.

Each error carries a stable ``code`` (what clients switch on), a Norwegian ``message`` for people,
an HTTP ``status`` and optional structured ``details`` (field errors, diagram problems). Must not
import Flask.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


class ServiceError(Exception):
    """Base of every error the service reports to a caller on purpose."""

    code = "error"
    status = 400

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return body


class BadRequest(ServiceError):
    code, status = "bad_request", 400


class Unauthenticated(ServiceError):
    code, status = "unauthenticated", 401


class Forbidden(ServiceError):
    code, status = "forbidden", 403


class NotFound(ServiceError):
    code, status = "not_found", 404


class Conflict(ServiceError):
    """A stale write: somebody else changed the case (or completed the task) first."""

    code, status = "conflict", 409


class PayloadTooLarge(ServiceError):
    code, status = "payload_too_large", 413


class Unprocessable(ServiceError):
    code, status = "unprocessable", 422


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a deployment: where (file, line, element) and why."""

    file: str
    message: str
    line: int | None = None
    element_id: str | None = None
    element_name: str | None = None      # the element's name in the diagram, when it has one
    #: The element in words, for people: «brukeroppgaven «Registrer innflytting» (registrer)».
    element: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        elem = f" {self.element}" if self.element else f" [{self.element_id}]" if self.element_id else ""
        if self.element and self.message.lower().startswith(self.element.lower()):
            elem = ""                        # the sentence already names it
        return f"{where}{elem}: {self.message}"


class DeploymentInvalid(ServiceError):
    """A diagram (or a form it references) was refused; nothing was stored."""

    code, status = "deployment_invalid", 422

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(er) i diagrammet", [p.to_dict() for p in problems])
        self.problems = problems


class FormInvalid(ServiceError):
    """Form data failed its schema; ``details`` maps field paths to messages."""

    code, status = "form_invalid", 422

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("Skjemaet har feil", errors)
        self.errors = errors


class MessageInvalid(Unprocessable):
    """A message (webhook or API) was refused at the door: a bad body or a payload that fails the
    message's schema. ``details`` maps body paths (``name``, ``data/dato``) to messages; nothing was stored."""

    code = "message_invalid"

    def __init__(self, errors: dict[str, list[str]], message: str = "Meldingen kan ikke tas imot.") -> None:
        super().__init__(message, errors)
        self.errors = errors


class EngineFailure(ServiceError):
    """A script or expression failed while the engine stepped; the step was rolled back.

    ``detail`` (the engine's own text: the expression, variable names) is for the server log and the
    operations console only; it is not part of ``details``, so it never travels to a client.
    """

    code, status = "engine_error", 422

    def __init__(self, message: str, element_id: str | None, detail: str) -> None:
        super().__init__(message, {"element_id": element_id})
        self.element_id = element_id
        self.detail = detail
