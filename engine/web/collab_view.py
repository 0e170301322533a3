"""What the case page and the task page show of comments and attachments (issue #17).

Reads only, through ``engine.collab`` (which decides through ``engine.access.consent``); the caller
has already checked and logged the read of the case. Also owns the attachment store of the app
(``ATTACHMENT_STORE_DIR``, default ``instance/attachments``) and the upload cap (``ATTACHMENT_MAX_BYTES``).
"""
from __future__ import annotations

import os
from typing import Any

from flask import current_app, request

from engine.access import users
from engine.bpmn.lanes import Actor
from engine.collab import attachments, comments, sharing
from engine.collab.store import BlobStore, DiskStore
from engine.errors import PayloadTooLarge
from engine.store.models import Case
from engine.web import withheld
from engine.web.i18n import _

#: The sharing choices as the forms offer them (``engine.collab.sharing.CHOICES``).
CATEGORY_WORDS = {"saksgang": "Saksgang – deles alltid med den andre parten",
                  "intern": "Intern – bare for vår organisasjon"}


def category_options() -> list[tuple[str, str]]:
    out = []
    for key in sharing.CHOICES:
        if key in CATEGORY_WORDS:
            out.append((key, _(CATEGORY_WORDS[key])))
        else:
            out.append((key, _("Med samtykke: %(what)s", what=_(comments.category_label(key)))))
    return out


def category_word(key: str) -> str:
    return dict(category_options()).get(key, key)


def store() -> BlobStore:
    """The app's attachment store (one per app, made on first use)."""
    found = current_app.extensions.get("tilbolig.attachments")
    if found is None:
        folder = current_app.config.get("ATTACHMENT_STORE_DIR") or os.path.join(current_app.instance_path, "attachments")
        found = current_app.extensions["tilbolig.attachments"] = DiskStore(folder)
    return found


def max_bytes() -> int:
    return int(current_app.config.get("ATTACHMENT_MAX_BYTES") or attachments.DEFAULT_MAX_BYTES)


#: What a multipart upload may add around the file itself (field names, boundary, the CSRF token).
UPLOAD_OVERHEAD = 256 * 1024


def refuse_oversized() -> None:
    """Refuse an upload whose request is larger than the cap before reading its body, and bound
    what Flask will read of any other (a lying Content-Length is cut off at the same bound)."""
    limit = max_bytes()
    if request.content_length is not None and request.content_length > limit + UPLOAD_OVERHEAD:
        raise PayloadTooLarge(attachments.too_large_text(limit))
    request.max_content_length = limit + UPLOAD_OVERHEAD



#: The views that take an upload (the case's «Legg ved», a task form with a file field).
UPLOAD_ENDPOINTS = frozenset({"pages.add_attachment", "pages.task_post"})


def bound_uploads() -> None:
    """Before anything reads the body (the CSRF check parses the form): an upload larger than the
    attachment cap is refused by its Content-Length with the attachment's own message, and every
    upload is allowed the cap (plus overhead) instead of the app's general request bound."""
    if request.endpoint in UPLOAD_ENDPOINTS and request.mimetype == "multipart/form-data":
        refuse_oversized()


def mentionable(case: Case, side: str | None) -> list[dict[str, Any]]:
    """The users a comment from ``side`` may mention, each with the sharing choices under which they may."""
    if side is None:
        return []
    return [{"username": u.username, "name": u.display_name, "categories": cats}
            for u, cats in sharing.readers(case, side).items()]


def context(actor: Actor, case: Case, task_id: str | None = None, state: dict[str, Any] | None = None) -> dict[str, Any]:
    """The template values for the comments and attachments sections (``state``: a refused post's input)."""
    from engine.cases import visibility
    rd = visibility.reader(actor, case)
    side = sharing.writer_side(rd)
    shown, held = comments.of_case(actor, case, task_id)
    files, files_held = attachments.of_case(actor, case) if task_id is None else ([], [])
    people = users.display_names({r.replaced_by_id for s in shown for r in s.revisions}
                                 | {s.comment.deleted_by_id for s in shown if s.comment.deleted_by_id})
    return {"collab": {
        "comments": shown, "held": [withheld.reason(d) for d in held], "may_write": side is not None,
        "files": files, "files_held": [withheld.reason(d) for d in files_held], "people": people,
        "categories": category_options(), "default_category": sharing.DEFAULT_CATEGORY,
        "category_word": category_word, "mentionable": mentionable(case, side), "task_id": task_id,
        "max_mb": max_bytes() // (1024 * 1024), "state": state or {}, "me": actor.user_id}}
