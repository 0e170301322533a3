"""``/api/v1`` routes for deadlines and timers — thin: parse, call a use case, shape the answer."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify

from engine import clock
from engine.store.timers import DeadlineChange
from engine.timers import deadline_changes
from engine.timers import overview as timer_overview
from engine.web import inputs
from engine.web.auth import require_actor

bp = Blueprint("timers_api", __name__, url_prefix="/api/v1")


def _iso(value) -> str | None:
    return clock.as_utc(value).isoformat() if value else None


def change_json(c: DeadlineChange) -> dict[str, Any]:
    return {"id": c.id, "deadline": c.deadline_key, "timer_element_id": c.timer_element_id,
            "timer_task_id": c.timer_task_id, "old_due_at": _iso(c.old_due_at), "new_due_at": _iso(c.new_due_at),
            "new_date": c.new_date.isoformat(), "by": c.actor.username if c.actor else None,
            "by_name": c.actor.display_name if c.actor else None, "reason": c.reason, "at": _iso(c.at)}


def _timer_json(t) -> dict[str, Any]:
    return {"case_id": t.case_id, "task_id": t.task_id, "element_id": t.element_id, "name": t.name,
            "kind": t.kind, "deadline": t.deadline_key, "due_at": _iso(t.due_at), "host_task_id": t.host_task_id,
            "host_element_id": t.host_element_id, "broken_reason": t.broken_reason}


@bp.get("/cases/<int:case_id>/deadlines")
def list_deadlines(case_id: int):
    actor = require_actor()
    case, items, history = deadline_changes.case_deadlines(actor, case_id)
    return jsonify({
        "case_id": case.id, "version": case.version,
        "deadlines": [{**_timer_json(d.timer), "due_date": d.due_date.isoformat() if d.due_date else None,
                       "host_task": ({"id": d.host_task.id, "name": d.host_task.name, "lane": d.host_task.lane,
                                      "overdue": d.host_task.overdue_at is not None} if d.host_task else None),
                       "changes": [change_json(c) for c in d.changes]} for d in items],
        "history": [change_json(c) for c in history]})


@bp.post("/cases/<int:case_id>/deadlines/<key>")
def move_deadline(case_id: int, key: str):
    actor = require_actor()
    body = inputs.body("MoveDeadline")
    change = deadline_changes.move_deadline(actor, case_id, inputs.path_text("key", key), body["due_date"],
                                            body["reason"])
    return jsonify(change_json(change))


@bp.get("/timers")
def list_timers():
    actor = require_actor()
    view = timer_overview.overview(actor, inputs.query("timer_state"))
    # a worker that has not ticked for several intervals (at least 30 s) is taken to have stalled
    stall_after = max(30.0, 5 * float(current_app.config.get("SCHEDULER_TICK_SECONDS", 1.0)))
    ages = [timer_overview.heartbeat_age(b, view.now) for b in view.heartbeats]
    return jsonify({
        "scheduler": {"newest_heartbeat_age_seconds": round(min(ages), 3) if ages else None,
                      "stalled": not ages or min(ages) > stall_after, "stall_after_seconds": stall_after},
        "state": view.state, "now": view.now.isoformat(),
        "timers": [_timer_json(t) for t in view.timers],
        "overdue_tasks": [{"id": t.id, "case_id": t.case_id, "element_id": t.element_id, "name": t.name,
                           "lane": t.lane, "due_at": _iso(t.due_at), "overdue_at": _iso(t.overdue_at)}
                          for t in view.overdue_tasks],
        "heartbeats": [{"worker": b.worker, "last_tick_at": _iso(b.last_tick_at),
                        "age_seconds": round(timer_overview.heartbeat_age(b, view.now), 3), "ticks": b.ticks,
                        "timers_fired": b.timers_fired, "started_at": _iso(b.started_at)} for b in view.heartbeats]})
