"""The browser modeler's pages and JSON endpoints (#18 items 1–3), for process owners.

Thin: ``engine.processes.drafts`` opens, validates, saves and deploys; ``engine.ops.version_diff``
compares versions and dry-runs a migration by version number; the form preview is the caseworker's
own renderer (``formrender`` + ``pages/fields.html``).  Session login only; the JSON calls carry the
page's CSRF token in ``X-CSRFToken`` (the pages guard checks it like any form).
"""
from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, render_template, request, url_for

from engine.errors import DeploymentInvalid, ServiceError, Unprocessable
from engine.ops import version_diff
from engine.processes import deployments, drafts
from engine.web import formrender
from engine.web.i18n import _
from engine.web.page_base import require_actor

bp = Blueprint("modeler", __name__, url_prefix="/admin/modeller", template_folder="templates")


def _owner():
    actor = require_actor()
    drafts.require_owner(actor)
    return actor


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Unprocessable(_("Forventet et JSON-objekt."))
    return body


@bp.get("/")
def index():
    _owner()
    latest = deployments.latest_versions()
    return render_template("admin/modeler_index.html", versions=latest,
                           drafts={v.process_key: drafts.get_draft(v.process_key) for v in latest})


@bp.get("/<key>")
def page(key: str):
    _owner()
    latest = deployments.latest_version(key)
    versions = [v for v in deployments.list_versions() if v.process_key == key]
    version = request.args.get("versjon", "")
    draft = drafts.get_draft(key)
    base = next((v.version for v in versions if draft and v.id == draft.base_version_id), None)
    return render_template("admin/modeler.html", key=key, latest=latest, versions=versions, version=version,
                           draft=draft, draft_base=base)


@bp.get("/<key>/kilde")
def source(key: str):
    opened = drafts.open_source(_owner(), key, request.args.get("versjon") or None)
    return jsonify({**opened, "forms": drafts.form_names(), "catalogue": drafts.deadline_catalogue()})


@bp.post("/<key>/valider")
def validate(key: str):
    problems = drafts.validate(_owner(), _json_body().get("files"))
    return jsonify({"problems": [p.to_dict() for p in problems]})


@bp.put("/<key>/utkast")
def save_draft(key: str):
    body = _json_body()
    draft = drafts.save_draft(_owner(), key, body.get("files"), body.get("revision", 0), body.get("base_version"))
    return jsonify({"revision": draft.revision})


@bp.post("/<key>/utkast/forkast")
def discard(key: str):
    drafts.discard_draft(_owner(), key)
    return Response(status=303, headers={"Location": url_for("modeler.page", key=key)})


@bp.post("/<key>/utrull")
def deploy(key: str):
    actor = _owner()
    try:
        result = drafts.deploy(actor, key, _json_body().get("files"))
    except DeploymentInvalid as exc:   # the problems with their element ids, for the markers
        return jsonify({"code": exc.code, "message": _("Diagrammet ble ikke rullet ut: %(n)d problem(er).",
                                                        n=len(exc.problems)),
                        "details": [p.to_dict() for p in exc.problems]}), exc.status
    draft = drafts.get_draft(key)
    return jsonify({"created": result.created, "revision": draft.revision if draft else 0,
                    "versions": [{"process_key": v.process_key, "version": v.version} for v in result.versions]})


@bp.get("/skjema/<name>")
def form_file(name: str):
    _owner()
    return Response(drafts.form_text(name), mimetype="application/json")


@bp.post("/forhandsvis")
def preview():
    """The form as the caseworker will see it, from the schema text being edited."""
    _owner()
    body = _json_body()
    problems: list[str] = []
    schema = _parse(body.get("schema"), _("Skjemaet"), problems)
    ui = _parse(body.get("uischema"), _("UI-skjemaet"), problems) if (body.get("uischema") or "").strip() else {}
    if schema is not None:
        problems += [p.message for p in drafts.form_problems(str(body.get("name") or "skjema.schema.json"),
                                                             json.dumps(schema))]
    html = ""
    if isinstance(schema, dict) and not problems:
        try:
            fields = formrender.build(schema, ui if isinstance(ui, dict) else {}, {}, {})
            html = render_template("admin/_form_preview.html", fields=fields)
        except Exception:  # noqa: BLE001 — a schema the renderer cannot draw is a problem to show, not a 500
            problems.append(_("Skjemaet kan ikke tegnes."))
    return jsonify({"html": html, "problems": problems})


def _parse(text: Any, what: str, problems: list[str]) -> Any:
    if not isinstance(text, str) or len(text) > 1_000_000:
        problems.append(_("%(what)s mangler.", what=what))
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        problems.append(_("%(what)s er ikke gyldig JSON: %(why)s", what=what, why=str(exc)))
        return None


@bp.get("/<key>/endringer")
def changes(key: str):
    actor = _owner()
    return _changes_page(actor, key, request.args.get("fra", ""), request.args.get("til", ""))


@bp.post("/<key>/endringer")
def dry_run(key: str):
    actor = _owner()
    form = request.form
    old, new = form.get("fra", ""), form.get("til", "")
    try:
        report = version_diff.dry_run(actor, key, old, new)
    except ServiceError as exc:
        return _changes_page(actor, key, old, new, error=exc.message, status=exc.status)
    return _changes_page(actor, key, old, new, report=report)


def _changes_page(actor, key: str, old: str, new: str, report=None, error: str | None = None, status: int = 200):
    versions = [v for v in deployments.list_versions() if v.process_key == key]
    if not old and len(versions) >= 2:
        old, new = str(versions[-2].version), str(versions[-1].version)
    diff = None
    if old and new:
        try:
            diff = version_diff.compare(actor, key, old, new)
        except ServiceError as exc:
            error, status = exc.message, exc.status
    return render_template("admin/modeler_diff.html", key=key, versions=versions, old=old, new=new, diff=diff,
                           report=report, error=error, has_draft=drafts.get_draft(key) is not None,
                           markers=json.dumps({c["element_id"]: c["kind"] for c in (diff or {}).get("changes", [])})), status


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
