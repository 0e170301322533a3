"""The operations console over HTTP: stuck cases, system panel, repairs, versions, migrations, /metrics.

Thin: parse, call ``engine.ops`` / ``engine.repairs`` / ``engine.migration``, shape the answer.
``init_app`` also registers the CLI group (``flask admin``), the HTML pages and the latency hooks.
"""
from __future__ import annotations

import logging
import time
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request

from engine.bpmn import lanes
from engine.ops import metrics, migration, repairs
from engine.ops import stuck as ops
from engine.web import inputs
from engine.web.api import case_json
from engine.web.auth import current_user, require_actor

bp = Blueprint("admin_api", __name__, url_prefix="/api/v1/admin")
metrics_bp = Blueprint("metrics", __name__)
access_log = logging.getLogger("tilbolig.access")


def stuck_json(s: ops.StuckCase) -> dict[str, Any]:
    c = s.case
    return {"case_id": c.id, "status": c.status, "process_key": c.process_version.process_key,
            "process_version": c.process_version.version, "process_version_id": c.process_version_id,
            "bydel": c.bydel.slug, "institution": c.institution.slug, "resident_name": c.resident_name,
            "reasons": [ops.reason_json(r) for r in s.reasons]}


@bp.get("/stuck")
def stuck():
    actor = require_actor()
    rows = ops.stuck_cases(actor, inputs.query("stuck_reason"), inputs.query("process_version_id"),
                           inputs.query("bydel"), inputs.query("institution"))
    return jsonify([stuck_json(s) for s in rows])


@bp.get("/system")
def system():
    return jsonify(ops.system_panel(require_actor()))


@bp.post("/cases/<int:case_id>/<action>")
def repair(case_id: int, action: str):
    actor = require_actor()
    case = repairs.repair(actor, case_id, action, inputs.body("Repair"))
    return jsonify(case_json(case, detail=True, actor=actor))


@bp.get("/versions")
def versions():
    return jsonify(ops.versions(require_actor()))


@bp.get("/versions/<int:version_id>/files/<name>")
def version_file(version_id: int, name: str):
    actor = require_actor()
    disposition = "attachment" if inputs.query("download") == "1" else "inline"
    text = ops.version_file(actor, version_id, inputs.path_text("name", name))
    mimetype = "application/json" if name.endswith(".json") else "application/xml"
    return Response(text, mimetype=mimetype,
                    headers={"Content-Disposition": f'{disposition}; filename="{name}"'})


@bp.post("/migrations")
def migrations():
    actor = require_actor()
    body = inputs.body("Migration")
    report = migration.migrate(actor, body["from_version_id"], body["to_version_id"], body.get("dry_run", True),
                               body.get("reason"))
    return jsonify(report.to_dict())


def _from_localhost() -> bool:
    return request.remote_addr in ("127.0.0.1", "::1") and "X-Forwarded-For" not in request.headers


@metrics_bp.get("/metrics")
def metrics_endpoint():
    if not _from_localhost():   # plain-text refusals: a scraper is not a browser to redirect to login
        user = current_user()
        if user is None:
            return Response("Mangler token (Authorization: Bearer ...)\n", 401, content_type="text/plain; charset=utf-8",
                            headers={"WWW-Authenticate": "Bearer"})
        if lanes.ADMINISTRATOR not in user.role_set:
            return Response("Bare administratorer kan lese målingene.\n", 403, content_type="text/plain; charset=utf-8")
    return Response(metrics.render(), content_type=metrics.CONTENT_TYPE)


def _start_timer() -> None:
    g.tilbolig_started = time.perf_counter()


def _observe(response):
    started = g.pop("tilbolig_started", None)
    if started is not None and request.endpoint != "metrics.metrics_endpoint":
        seconds = time.perf_counter() - started
        metrics.observe(request.method, response.status_code, seconds)
        if current_app.config.get("ACCESS_LOG"):   # production: one JSON line per request, with its id
            access_log.info("%s %s %s", request.method, request.path, response.status_code,
                            extra={"status": response.status_code, "duration_ms": round(seconds * 1000, 2),
                                   "bytes": response.calculate_content_length(), "remote": request.remote_addr})
    return response


def init_app(app: Flask) -> None:
    app.before_request(_start_timer)
    app.after_request(_observe)
    app.register_blueprint(bp)
    app.register_blueprint(metrics_bp)
