"""The operations console in the browser: stuck cases, a case's repair page, versions, upload, migration.

Thin like the API: the use cases (``ops``, ``repairs``, ``migration``, ``deployments``) decide and check;
these views only read forms (CSRF-protected by the pages guard) and render.  Session login only.
A refused repair or migration is drawn again with its error summary, the right 4xx status and the
values the administrator typed (#14 item 7); the events, users and webhooks pages are in
``admin_events`` and ``admin_users``, on the same blueprint.
"""
from __future__ import annotations

import json
from typing import Any

from flask import Flask, flash, redirect, render_template, request, url_for

from engine.bpmn import lanes
from engine.errors import DeploymentInvalid, EngineFailure, Forbidden, NotFound, ServiceError, Unprocessable
from engine.ops import console, migration, repairs
from engine.ops import stuck as ops
from engine.processes import deployments
from engine.web import admin_events, admin_mail, admin_users, console_words  # noqa: F401 — their routes are on bp
from engine.web.admin_base import bp
from engine.web.i18n import _, parse_local
from engine.web.page_base import require_actor

REASON_TEXT = {ops.ERROR: "Feil i prosessen", ops.OVERDUE: "Frist passert", ops.IDLE: "Ingen aktivitet",
               ops.BROKEN_TIMER: "Brutt tidtaker", ops.MESSAGE_WAIT: "Venter på melding"}
ACTION_TEXT = {"retry": "Prøv igjen", "edit_data": "Rett data", "fire_timer": "Utløs tidtaker nå",
               "reschedule_timer": "Sett ny tid for tidtaker", "suspend": "Sett på vent", "resume": "Gjenoppta",
               "terminate": "Avbryt saken", "move_token": "Flytt tilbake til oppgave"}
#: A repair's body key → (the form field's suffix, its label) — to link an error to its input.
REPAIR_FIELDS = {"reason": ("reason", "Begrunnelse"), "data": ("data", "Data som skal rettes"),
                 "task_id": ("task", "Oppgave"), "timer": ("timer", "Tidtaker"),
                 "due_at": ("due", "Ny tid"), "element_id": ("element", "Oppgave saken flyttes tilbake til")}


def _texts(table: dict[str, str]) -> dict[str, str]:
    return {k: _(v) for k, v in table.items()}


@bp.get("/")
def home():
    return redirect(url_for("admin_pages.stuck"))


@bp.get("/stuck")
def stuck():
    actor = require_actor()
    a = request.args
    rows = ops.stuck_cases(actor, a.get("reason") or None, a.get("process_version_id") or None,
                           a.get("bydel") or None, a.get("institution") or None)
    names = {v: console.element_names(v) for v in {s.case.process_version_id for s in rows}}
    return render_template("admin/stuck.html", rows=rows, panel=ops.system_panel(actor), names=names,
                           reasons=_texts(REASON_TEXT), args=a, versions=console.version_choices(actor),
                           orgs=console.organisations(actor))


# ------------------------------------------------------------------------------------------------
# a case's repair page
# ------------------------------------------------------------------------------------------------

def _repair_page(actor, case_id: int, action: str | None = None, values: dict[str, Any] | None = None,
                 error: ServiceError | None = None, status: int = 200):
    choices = console.repair_choices(actor, case_id)
    errors: list[tuple[str, str]] = []          # (dom id to link, text)
    general: list[str] = []
    if error is not None:
        general.append(error.message)
        if isinstance(error, EngineFailure):     # what failed this time, in plain words (the engine text folded)
            where = console_words.element_label(error.element_id, choices.names)
            why = console_words.explain_error(error.detail)
            general.append(_("Steget «%(where)s» feilet igjen: %(why)s", where=where, why=why))
        details = error.details if isinstance(error.details, dict) else {}
        for key, texts in details.items():
            if key in ("element_id",) and action == "retry":   # an engine failure's element, not a field
                continue
            suffix, label = REPAIR_FIELDS.get(key, ("data", key))
            text = ", ".join(map(str, texts)) if isinstance(texts, list) else str(texts)
            errors.append((f"{action}-{suffix}", f"{_(label)}: {text}" if key in REPAIR_FIELDS else f"{key}: {text}"))
    return render_template("admin/repair.html", c=choices.case, choices=choices, actions=_texts(ACTION_TEXT),
                           submitted=action, values=values or {}, errors=errors, general=general,
                           reasons=_texts(REASON_TEXT)), status


@bp.get("/cases/<int:case_id>/repair")
def repair_page(case_id: int):
    return _repair_page(require_actor(), case_id)


@bp.post("/cases/<int:case_id>/repair")
def repair(case_id: int):
    actor = require_actor()
    form = request.form
    action = form.get("action", "")
    values = {k: form.get(k, "") for k in ("reason", "data", "task_id", "timer", "due_at", "element_id")}
    try:
        body = _repair_body(action, values)
        case = repairs.repair(actor, case_id, action, body)
    except ServiceError as exc:
        if isinstance(exc, Forbidden) or (isinstance(exc, NotFound) and exc.message == "Fant ikke saken."):
            raise
        return _repair_page(actor, case_id, action, values, exc, exc.status)
    flash(_("Sak %(id)s: %(action)s er utført. Saken har nå status «%(status)s».", id=case.id,
            action=_(ACTION_TEXT.get(action, action)), status=console_words.case_status(case.status)), "ok")
    return redirect(url_for("admin_pages.stuck"))


def _repair_body(action: str, values: dict[str, str]) -> dict[str, Any]:
    """The form's strings as the repair's body: JSON data parsed, the picked time read as Oslo time."""
    data = None
    if values["data"].strip():
        try:
            data = json.loads(values["data"])
        except ValueError:
            raise Unprocessable(_("Dataene kan ikke leses."),
                                {"data": [_("Skriv feltene som JSON, for eksempel {\"deler\": \"4\"}.")]}) from None
        if not isinstance(data, dict):
            raise Unprocessable(_("Dataene kan ikke leses."), {"data": [_("Skriv feltene som et JSON-objekt.")]})
    due_at = None
    if action == "reschedule_timer":
        due = parse_local(values["due_at"])
        if due is None:
            raise Unprocessable(_("Velg når tidtakeren skal gå."), {"due_at": [_("Velg dato og klokkeslett (norsk tid).")]})
        due_at = due.isoformat()
    return {"reason": values["reason"], "data": data, "task_id": values["task_id"] or None,
            "timer": values["timer"] or None, "due_at": due_at, "element_id": values["element_id"] or None}


# ------------------------------------------------------------------------------------------------
# versions, upload, migration
# ------------------------------------------------------------------------------------------------

def _versions_page(actor, problems=None, uploaded_xml=None, status=200):
    return render_template("admin/versions.html", versions=_grouped(ops.versions(actor)), problems=problems,
                           uploaded_xml=uploaded_xml, is_admin=actor.has(lanes.ADMINISTRATOR)), status


def _grouped(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row["process_key"], []).append(row)
    return out


@bp.get("/versions")
def versions():
    return _versions_page(require_actor())


@bp.post("/versions")
def upload():
    """Deploy uploaded BPMN/DMN/forms; on refusal list the problems and highlight them in the diagram."""
    actor = require_actor()
    if not (actor.has(lanes.PROSESSEIER) or actor.has(lanes.ADMINISTRATOR)):
        raise Forbidden(_("Bare prosesseiere og administratorer kan rulle ut diagrammer."))
    files = {s.filename: s.read() for s in request.files.getlist("files") if s and s.filename}
    if not files:
        from engine.errors import Problem
        return _versions_page(actor, problems=[Problem("", _("Velg minst én fil."))], status=422)
    try:
        result = deployments.deploy(files, actor)
    except DeploymentInvalid as exc:
        xml = next((d.decode("utf-8", "replace") for n, d in files.items() if n.lower().endswith(".bpmn")), None)
        return _versions_page(actor, problems=exc.problems, uploaded_xml=xml, status=422)
    names = ", ".join(f"{v.name or v.process_key} {_('versjon')} {v.version}" for v in result.versions)
    flash(_("Utrullet: %(names)s.", names=names) if result.created
          else _("Identisk innhold fantes allerede: %(names)s.", names=names), "ok")
    return redirect(url_for("admin_pages.versions"))


@bp.get("/versions/<int:version_id>")
def version(version_id: int):
    actor = require_actor()
    rows = [v for v in ops.versions(actor) if v["id"] == version_id]
    if not rows:
        raise NotFound(_("Fant ikke versjonen."))
    pv = deployments.get_version(version_id)
    bpmn = next((n for n in rows[0]["files"] if n.lower().endswith(".bpmn")), None)
    return render_template("admin/version.html", v=rows[0], pv=pv, bpmn=bpmn)


def _migration_page(actor, values: dict[str, str], report=None, error: ServiceError | None = None,
                    status: int = 200):
    labels = {v["id"]: v for v in ops.versions(actor)}
    return render_template("admin/migration.html", groups=console.version_choices(actor), values=values,
                           report=report, error=error, labels=labels), status


@bp.get("/migrations")
def migration_form():
    actor = require_actor()
    return _migration_page(actor, {k: request.args.get(k, "") for k in ("from_version_id", "to_version_id")})


@bp.post("/migrations")
def migrate():
    actor = require_actor()
    form = request.form
    values = {k: form.get(k, "") for k in ("from_version_id", "to_version_id", "reason")}
    dry_run = form.get("run") != "1"
    try:
        if not values["from_version_id"] or not values["to_version_id"]:
            raise Unprocessable(_("Velg begge versjonene."),
                                {k: [_("Påkrevd.")] for k in ("from_version_id", "to_version_id") if not values[k]})
        report = migration.migrate(actor, values["from_version_id"], values["to_version_id"], dry_run,
                                   values["reason"] or None)
    except ServiceError as exc:
        if isinstance(exc, Forbidden):
            raise
        return _migration_page(actor, values, error=exc, status=exc.status)
    return _migration_page(actor, values, report=report.to_dict())


def init_app(app: Flask) -> None:
    console_words.init_app(app)
    app.register_blueprint(bp)
