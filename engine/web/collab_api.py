"""``/api/v1`` routes for comments (issue #17) — thin: read through ``engine.collab``, shape the answer.

The same rules as the pages: reading the comments is a logged read of the case (``read_comments``),
consent decides each comment, what is held back is named, not shown.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from engine import cases, clock
from engine.collab import comments
from engine.web import inputs, withheld
from engine.web.auth import require_actor

bp = Blueprint("collab_api", __name__, url_prefix="/api/v1")


def _iso(value) -> str | None:
    return clock.as_utc(value).isoformat() if value else None


def comment_json(s: comments.Shown) -> dict[str, Any]:
    c = s.comment
    deleted = c.deleted_at is not None
    return {"id": c.id, "case_id": c.case_id, "task_id": c.task_id, "author_id": c.author_id, "author": s.author,
            "lane": c.lane, "category": c.category, "body": None if deleted else c.body,
            "mentions": s.mentioned, "created_at": _iso(c.created_at), "edited_at": _iso(c.edited_at),
            "deleted_at": _iso(c.deleted_at),
            "revisions": [] if deleted else [{"body": r.body, "written_at": _iso(r.written_at),
                                              "replaced_at": _iso(r.replaced_at), "replaced_by": r.replaced_by_id}
                                             for r in s.revisions]}


def _one(actor, comment_id: int, case_id: int) -> dict[str, Any]:
    case = cases.get_case(actor, case_id, "read_comments")
    shown, _held = comments.of_case(actor, case)
    return comment_json(next(s for s in shown if s.comment.id == comment_id))


@bp.get("/cases/<int:case_id>/comments")
def list_comments(case_id: int):
    actor = require_actor()
    task_id = inputs.query("task_id")
    case = cases.get_case(actor, case_id, "read_comments")
    shown, held = comments.of_case(actor, case, task_id)
    return jsonify({"comments": [comment_json(s) for s in shown], "withheld": [withheld.as_json(d) for d in held]})


@bp.post("/cases/<int:case_id>/comments")
def add_comment(case_id: int):
    actor = require_actor()
    body = inputs.body("NewComment")
    c = comments.add(actor, case_id, body["body"], body.get("category"), body.get("task_id"))
    return jsonify(_one(actor, c.id, c.case_id)), 201


@bp.patch("/comments/<int:comment_id>")
def edit_comment(comment_id: int):
    actor = require_actor()
    body = inputs.body("CommentChange")
    c = comments.edit(actor, comment_id, body["body"])
    return jsonify(_one(actor, c.id, c.case_id))


@bp.delete("/comments/<int:comment_id>")
def delete_comment(comment_id: int):
    actor = require_actor()
    c = comments.delete(actor, comment_id)
    return jsonify(_one(actor, c.id, c.case_id))
