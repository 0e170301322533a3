"""Pages for comments and attachments: write, edit, delete a comment; attach, download, delete a file.

Thin: each view calls ``engine.collab`` and redirects back (to the case page, or the task page for a
comment on a task). A refused post re-renders the page it came from with the message beside the
field and the text kept (422/413). A download is sent with ``X-Content-Type-Options: nosniff``, a
CSP that allows nothing to run, and ``Content-Disposition: attachment`` for everything but images.
"""
from __future__ import annotations

from flask import Response, flash, redirect, request, url_for

from engine import cases
from engine.collab import attachments, comments
from engine.collab.store import read_chunks
from engine.errors import NotFound, PayloadTooLarge, Unprocessable
from engine.web import collab_view, pages_case, pages_task
from engine.web.i18n import _
from engine.web.page_base import bp, require_actor

DOWNLOAD_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'"


def _back(case_id: int, task_id: str | None, anchor: str):
    if task_id:
        return redirect(url_for("pages.task", task_id=task_id) + anchor)
    return redirect(url_for("pages.case", case_id=case_id) + anchor)


def _again(actor, case_id: int, task_id: str | None, state: dict, status: int):
    """The page the post came from, with the refusal shown and the input kept."""
    if task_id:
        try:
            row, case = cases.get_task(actor, task_id)
        except NotFound:
            pass
        else:
            return pages_task.render_with(row, case, actor, state, status)
    return pages_case.render_with(actor, cases.get_case(actor, case_id), state, status)


@bp.post("/saker/<int:case_id>/kommentarer")
def add_comment(case_id: int):
    actor = require_actor()
    body, category = request.form.get("kommentar", ""), request.form.get("deles") or None
    task_id = (request.form.get("oppgave") or "").strip()[:36] or None
    try:
        comments.add(actor, case_id, body, category, task_id)
    except Unprocessable as exc:
        state = {"body": body, "category": category, "errors": exc.details if isinstance(exc.details, dict) else {}}
        return _again(actor, case_id, task_id, state, 422)
    flash(_("Kommentaren er lagret."), "ok")
    return _back(case_id, task_id, "#kommentarer")


@bp.post("/kommentarer/<int:comment_id>/endre")
def edit_comment(comment_id: int):
    actor = require_actor()
    body = request.form.get("kommentar", "")
    try:
        c = comments.edit(actor, comment_id, body)
    except Unprocessable as exc:
        case_id = int(request.form.get("sak") or 0)
        state = {"edit": comment_id, "edit_body": body, "errors": exc.details if isinstance(exc.details, dict) else {}}
        return _again(actor, case_id, (request.form.get("oppgave") or None), state, 422)
    flash(_("Kommentaren er endret. Den forrige teksten er tatt vare på."), "ok")
    return _back(c.case_id, request.form.get("oppgave") or None, f"#kommentar-{c.id}")


@bp.post("/kommentarer/<int:comment_id>/slett")
def delete_comment(comment_id: int):
    actor = require_actor()
    c = comments.delete(actor, comment_id)
    flash(_("Kommentaren er slettet."), "ok")
    return _back(c.case_id, request.form.get("oppgave") or None, "#kommentarer")


def upload_from_request(actor, case_id: int, target: attachments.Target, name: str = "fil"):
    storage = request.files.get(name)
    if storage is None or not storage.filename:
        raise Unprocessable(_("Velg en fil."), {"file": [_("Velg en fil å laste opp.")]})
    return attachments.upload(actor, case_id, read_chunks(storage.stream), storage.filename,
                              store=collab_view.store(), limit=collab_view.max_bytes(), target=target)


@bp.post("/saker/<int:case_id>/vedlegg")
def add_attachment(case_id: int):
    actor = require_actor()
    try:
        collab_view.refuse_oversized()
        a = upload_from_request(actor, case_id, attachments.Target(category=request.form.get("deles") or None))
    except (Unprocessable, PayloadTooLarge) as exc:
        details = exc.details if isinstance(exc.details, dict) else {}
        state = {"file_errors": details.get("file") or [exc.message], "category": request.form.get("deles")}
        return _again(actor, case_id, None, state, exc.status)
    flash(_("«%(name)s» er lagt ved saken.", name=a.filename), "ok")
    return _back(case_id, None, "#vedlegg")


@bp.get("/vedlegg/<int:attachment_id>")
def attachment(attachment_id: int):
    actor = require_actor()
    a, stream = attachments.open_for(actor, attachment_id, collab_view.store())
    inline = a.content_type in attachments.sniff.INLINE and request.args.get("last_ned") != "1"
    response = Response(read_chunks(stream), mimetype=a.content_type, direct_passthrough=True)
    response.call_on_close(stream.close)
    response.headers.set("Content-Disposition", "inline" if inline else "attachment", filename=a.filename)
    response.headers["Content-Length"] = str(a.size)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = DOWNLOAD_CSP
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/vedlegg/<int:attachment_id>/slett")
def delete_attachment(attachment_id: int):
    actor = require_actor()
    a = attachments.delete(actor, attachment_id)
    flash(_("Vedlegget er slettet."), "ok")
    return _back(a.case_id, None, "#vedlegg")
