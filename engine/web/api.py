"""JSON API under ``/api/v1`` — thin: parse the request, call a use case, shape the answer.

Every body, query and path parameter is read through ``engine.web.inputs`` against the schemas the
OpenAPI document publishes (``engine.web.schemas``), so nothing unchecked reaches a use case.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request, url_for

from engine import cases, clock
from engine.access.rules import require_role
from engine.bpmn.lanes import ADMINISTRATOR, PROSESSEIER, Actor
from engine.cases import visibility
from engine.errors import BadRequest, MessageInvalid, PayloadTooLarge, Problem
from engine.processes import deployments
from engine.store.models import Case, OpenTask, Timer
from engine.web import inputs, withheld
from engine.web.auth import require_actor
from engine.web.i18n import _
from engine.web.openapi import OPENAPI
from webhooks import inbound

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _iso(value) -> str | None:
    return clock.as_utc(value).isoformat() if value else None


#: A deployment's files: how many, and how large each (a BPMN of the routine is ~200 kB).
MAX_FILES, MAX_FILE_BYTES = 50, 5_000_000
#: What a case's error says to anyone but the server log (the engine's text names expressions and variables).
ERROR_TEXT = "Prosessen stoppet med en feil. En administrator kan rette saken."


def task_json(t: OpenTask) -> dict[str, Any]:
    return {"id": t.id, "case_id": t.case_id, "element_id": t.element_id, "name": t.name, "lane": t.lane,
            "role": t.role, "form": t.form, "due_at": _iso(t.due_at), "overdue": t.overdue_at is not None,
            "overdue_at": _iso(t.overdue_at), "created_at": _iso(t.created_at), "claimed_by": t.claimed_by_id,
            "has_draft": t.draft is not None}


def timer_json(t: Timer) -> dict[str, Any]:
    return {"task_id": t.task_id, "element_id": t.element_id, "name": t.name, "kind": t.kind,
            "deadline": t.deadline_key, "due_at": _iso(t.due_at), "host_task_id": t.host_task_id,
            "host_element_id": t.host_element_id, "broken_reason": t.broken_reason}


def case_json(c: Case, detail: bool = False, actor: Actor | None = None) -> dict[str, Any]:
    """A case as the API shows it; an error shows its element to administrators, its engine text to nobody."""
    out = {"id": c.id, "status": c.status, "version": c.version, "process_key": c.process_version.process_key,
           "process_version": c.process_version.version, "bydel": c.bydel.slug, "institution": c.institution.slug,
           "resident_name": c.resident_name, "anchors": c.anchors or {}, "created_at": _iso(c.created_at),
           "updated_at": _iso(c.updated_at), "completed_at": _iso(c.completed_at),
           "links": {"self": url_for("api.get_case", case_id=c.id)}}
    if c.status == cases.ERROR or c.error_message:
        out["error"] = {"message": ERROR_TEXT, "at": _iso(c.error_at)}
        if actor is not None and actor.has(ADMINISTRATOR):
            out["error"]["element_id"] = c.error_element
    if detail:   # the resident is not shown leaders' internal follow-ups (engine.access.consent)
        rd = visibility.reader(actor, c) if actor is not None else None
        tasks, timers = cases.case_tasks(c), cases.case_timers(c)
        out["tasks"] = [task_json(t) for t in (visibility.tasks(rd, tasks) if rd else tasks)]
        out["timers"] = [timer_json(t) for t in (visibility.timers(rd, c, timers) if rd else timers)]
    return out


@bp.get("/openapi.json")
def openapi():
    return jsonify(OPENAPI)


@bp.post("/deployments")
def create_deployment():
    actor = require_actor()
    require_role(actor, PROSESSEIER, ADMINISTRATOR)
    if request.mimetype == "multipart/form-data":
        files = _uploaded_files()
    else:
        raw = inputs.body("Deployment", max_text=MAX_FILE_BYTES)["files"]
        files = {name: text.encode("utf-8") for name, text in raw.items()}
    result = deployments.deploy(files, actor)
    body = {"id": result.deployment.id, "hash": result.deployment.content_hash, "created": result.created,
            "versions": [{"id": v.id, "process_key": v.process_key, "version": v.version, "name": v.name}
                         for v in result.versions]}
    return jsonify(body), 201 if result.created else 200


@bp.post("/deployments/validate")
def validate_deployment():
    actor = require_actor()
    require_role(actor, PROSESSEIER, ADMINISTRATOR)
    raw = inputs.body("Deployment", max_text=MAX_FILE_BYTES)["files"]
    problems: list[Problem] = deployments.validate({n: t.encode("utf-8") for n, t in raw.items()})
    return jsonify({"valid": not problems, "problems": [p.to_dict() for p in problems]})


@bp.get("/process-versions")
def list_versions():
    require_actor()
    rows = deployments.list_versions()
    return jsonify([{"id": v.id, "process_key": v.process_key, "version": v.version, "name": v.name,
                     "deployment_id": v.deployment_id, "hash": v.deployment.content_hash,
                     "created_at": _iso(v.created_at)} for v in rows])


@bp.post("/cases")
def open_case():
    actor = require_actor()
    body = inputs.body("OpenCase")
    case = cases.open_case(actor, body["process_key"], body["bydel"], body["institution"],
                           body["resident"], body.get("data") or {}, body.get("external_ref"))
    return jsonify(case_json(case, detail=True, actor=actor)), 201


@bp.get("/cases")
def list_cases():
    actor = require_actor()
    rows = cases.list_cases(actor, inputs.query("case_status"), inputs.query("limit"), inputs.query("offset"))
    return jsonify([case_json(c, actor=actor) for c in rows])


@bp.get("/cases/<int:case_id>")
def get_case(case_id: int):
    actor = require_actor()
    with_data = inputs.query("data") == "1"
    case = cases.get_case(actor, case_id, "read_data" if with_data else "read")
    body = case_json(case, detail=True, actor=actor)
    if with_data:   # only what the resident's consent lets this reader see; the rest is named as withheld
        rd = visibility.reader(actor, case)
        body["data"], held = visibility.case_data(rd, case, cases.case_data(case), cases.case_events(case))
        body["withheld"] = [withheld.as_json(d) for d in held]
    return jsonify(body)


@bp.get("/cases/<int:case_id>/events")
def case_events(case_id: int):
    actor = require_actor()
    case = cases.get_case(actor, case_id, "read_events")
    shown = visibility.events(visibility.reader(actor, case), case, cases.case_events(case))
    return jsonify([{"id": s.event.id, "at": _iso(s.event.at), "type": s.event.type, "actor_id": s.event.actor_id,
                     "on_behalf_of_id": s.event.on_behalf_of_id, "element_id": s.event.element_id,
                     "task_id": s.event.task_id, "data": s.data,
                     **({"withheld": [withheld.as_json(d) for d in s.withheld]} if s.withheld else {})}
                    for s in shown])


@bp.post("/cases/<int:case_id>/messages")
def send_message(case_id: int):
    """The same body as the webhook, ``{"name", "data"}``; ``payload`` still read, answered as deprecated."""
    actor = require_actor()
    body = inputs.body("Message", refuse=MessageInvalid)
    try:
        msg = inbound.read_message(body)
    except inbound.InvalidEvent as exc:
        raise MessageInvalid(exc.details, exc.message) from exc
    case = cases.deliver_message(actor, case_id, msg.name, msg.payload)
    response = jsonify(case_json(case, detail=True, actor=actor))
    if msg.deprecated:
        response.headers["Deprecation"] = "true"
        response.headers["Warning"] = '299 - "payload is deprecated; send the message payload as data"'
    return response


@bp.get("/tasks")
def list_tasks():
    actor = require_actor()
    case_id = inputs.query("case_id")
    return jsonify([task_json(t) for t in cases.list_tasks(actor, case_id, log_as="list_tasks")])


@bp.get("/tasks/<task_id>")
def get_task(task_id: str):
    actor = require_actor()
    row, case = cases.get_task(actor, inputs.path_text("task_id", task_id))
    body = task_json(row)
    body["schema"] = cases.task_schema(row, case)
    body["ui_schema"] = cases.task_ui_schema(row, case)
    body["draft"], held = visibility.draft(visibility.reader(actor, case), row)   # only for who may act
    if held:
        body["draft_withheld"] = _("Holdt tilbake: utkastet er bare synlig for den som kan utføre oppgaven.")
    body["case_version"] = case.version
    return jsonify(body)


@bp.post("/tasks/<task_id>/complete")
def complete_task(task_id: str):
    actor = require_actor()
    body = inputs.body("CompleteTask")
    case = cases.complete_task(actor, inputs.path_text("task_id", task_id), body.get("data") or {},
                               body.get("version"))
    cases.preload_names(case)    # one statement for what the answer names, not three lazy loads
    return jsonify(case_json(case, detail=True, actor=actor))


@bp.put("/tasks/<task_id>/draft")
def save_draft(task_id: str):
    actor = require_actor()
    data = inputs.body("Draft").get("data") or {}
    row = cases.save_draft(actor, inputs.path_text("task_id", task_id), data)
    return jsonify(task_json(row))


def _uploaded_files() -> dict[str, bytes]:
    """Multipart files, bounded in number and size (the whole request is bounded by MAX_CONTENT_LENGTH)."""
    uploads = request.files.getlist("files") or list(request.files.values())
    if not uploads:
        raise BadRequest("Forventet filer i feltet «files».")
    if len(uploads) > MAX_FILES:
        raise PayloadTooLarge(f"Høyst {MAX_FILES} filer i én utrulling.")
    files: dict[str, bytes] = {}
    for storage in uploads:
        content = storage.read(MAX_FILE_BYTES + 1)
        if len(content) > MAX_FILE_BYTES:
            raise PayloadTooLarge(f"En fil kan være høyst {MAX_FILE_BYTES // 1_000_000} MB.")
        name = (storage.filename or "upload.bpmn")[:200]
        files[name] = content
    return files
