"""The operations console in the browser: stuck cases with repairs, system panel, versions, upload, migration.

Thin like the API: the use cases (``ops``, ``repairs``, ``migration``, ``deployments``) decide and check;
these views only read forms (CSRF-protected by the pages guard) and render.  Session login only.
"""
from __future__ import annotations

import json

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for

from engine.bpmn import lanes
from engine.errors import DeploymentInvalid, ServiceError
from engine.ops import migration, repairs
from engine.ops import stuck as ops
from engine.processes import deployments
from engine.web.page_base import require_actor

bp = Blueprint("admin_pages", __name__, url_prefix="/admin", template_folder="templates")

REASON_TEXT = {ops.ERROR: "Feil i prosessen", ops.OVERDUE: "Frist passert", ops.IDLE: "Ingen aktivitet",
               ops.BROKEN_TIMER: "Brutt tidtaker", ops.MESSAGE_WAIT: "Venter på melding"}
ACTION_TEXT = {"retry": "Prøv igjen", "edit_data": "Rett data", "fire_timer": "Utløs tidtaker nå",
               "reschedule_timer": "Sett ny tid for tidtaker", "suspend": "Sett på vent", "resume": "Gjenoppta",
               "terminate": "Avbryt saken", "move_token": "Flytt tilbake til oppgave"}


@bp.get("/")
def home():
    return redirect(url_for("admin_pages.stuck"))


@bp.get("/stuck")
def stuck():
    actor = require_actor()
    a = request.args
    rows = ops.stuck_cases(actor, a.get("reason") or None, a.get("process_version_id") or None,
                           a.get("bydel") or None, a.get("institution") or None)
    panel = ops.system_panel(actor)
    return render_template("admin/stuck.html", rows=rows, panel=panel, reasons=REASON_TEXT, actions=ACTION_TEXT,
                           args=a)


@bp.post("/cases/<int:case_id>/repair")
def repair(case_id: int):
    actor = require_actor()
    form = request.form
    action = form.get("action", "")
    try:
        data = json.loads(form["data"]) if form.get("data", "").strip() else None
    except ValueError:
        flash("Data må være et gyldig JSON-objekt.", "error")
        return redirect(url_for("admin_pages.stuck"))
    body = {"reason": form.get("reason"), "data": data, "task_id": form.get("task_id") or None,
            "timer": form.get("timer") or None, "due_at": form.get("due_at") or None,
            "element_id": form.get("element_id") or None}
    try:
        case = repairs.repair(actor, case_id, action, body)
    except ServiceError as exc:
        if exc.status == 403:
            raise
        details = ""
        if isinstance(exc.details, dict):
            details = " " + "; ".join(f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
                                      for k, v in exc.details.items())
        flash(f"Sak {case_id}: {exc.message}{details}", "error")
        return redirect(url_for("admin_pages.stuck"))
    flash(f"Sak {case.id}: {ACTION_TEXT.get(action, action)} er utført (status {case.status}).", "ok")
    return redirect(url_for("admin_pages.stuck"))


def _versions_page(actor, problems=None, uploaded_xml=None, report=None, status=200):
    return render_template("admin/versions.html", versions=ops.versions(actor), problems=problems,
                           uploaded_xml=uploaded_xml, report=report,
                           is_admin=actor.has(lanes.ADMINISTRATOR)), status


@bp.get("/versions")
def versions():
    return _versions_page(require_actor())


@bp.post("/versions")
def upload():
    """Deploy uploaded BPMN/DMN/forms; on refusal list the problems and highlight them in the diagram."""
    actor = require_actor()
    if not (actor.has(lanes.PROSESSEIER) or actor.has(lanes.ADMINISTRATOR)):
        from engine.errors import Forbidden
        raise Forbidden("Bare prosesseiere og administratorer kan rulle ut diagrammer.")
    files = {s.filename: s.read() for s in request.files.getlist("files") if s and s.filename}
    if not files:
        flash("Velg minst én fil.", "error")
        return redirect(url_for("admin_pages.versions"))
    try:
        result = deployments.deploy(files, actor)
    except DeploymentInvalid as exc:
        xml = next((d.decode("utf-8", "replace") for n, d in files.items() if n.lower().endswith(".bpmn")), None)
        return _versions_page(actor, problems=exc.problems, uploaded_xml=xml, status=422)
    names = ", ".join(f"{v.process_key} v{v.version}" for v in result.versions)
    flash(f"Utrullet: {names}." if result.created else f"Identisk innhold fantes allerede: {names}.", "ok")
    return redirect(url_for("admin_pages.versions"))


@bp.get("/versions/<int:version_id>")
def version(version_id: int):
    actor = require_actor()
    rows = [v for v in ops.versions(actor) if v["id"] == version_id]
    if not rows:
        from engine.errors import NotFound
        raise NotFound("Fant ikke versjonen.")
    pv = deployments.get_version(version_id)
    bpmn = next((n for n in rows[0]["files"] if n.lower().endswith(".bpmn")), None)
    return render_template("admin/version.html", v=rows[0], pv=pv, bpmn=bpmn)


@bp.post("/migrations")
def migrate():
    actor = require_actor()
    form = request.form
    dry_run = form.get("run") != "1"
    try:
        report = migration.migrate(actor, form.get("from_version_id"), form.get("to_version_id"), dry_run,
                                   form.get("reason") or None)
    except ServiceError as exc:
        if exc.status == 403:
            raise
        flash(exc.message, "error")
        return redirect(url_for("admin_pages.versions"))
    return _versions_page(actor, report=report.to_dict())


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
