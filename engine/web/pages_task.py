"""The task page: one user task's form, drawn from its JSON Schema; «Lagre utkast» and «Fullfør».

A failed «Fullfør» re-renders the form with every field's message beside the field and the values
as typed (the use case also keeps them as the task's draft, so nothing is lost).  A task completed
by someone else meanwhile (409) is said plainly.  Adding or removing a row in a list re-renders
server-side: no JavaScript needed.
"""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from engine import cases
from engine.access import rules as access
from engine.access import users as user_lookup
from engine.bpmn import lanes
from engine.cases import visibility, worklist
from engine.errors import Conflict, FormInvalid
from engine.web import collab_fields, collab_view, formrender, pages_meetings
from engine.web.collab_fields import field_files
from engine.web.i18n import _
from engine.web.page_base import bp, require_actor


def _initial(row, case, schema: dict | None, actor) -> dict[str, Any]:
    """A saved draft (only for someone who may complete the task), else the case's earlier answers
    to the same fields (a living plan is edited, not retyped) — as far as consent lets ``actor`` see them."""
    rd = visibility.reader(actor, case)
    draft, _held = visibility.draft(rd, row)
    if draft is not None:
        return dict(draft)
    # The task's own branch knows best (e.g. which step holds a deadline up); the case's data fills in.
    known = {**cases.case_data(case), **cases.task_data(case, row.id)}
    return visibility.prefill(rd, case, schema, known, cases.case_events(case))


def render_with(row, case, actor, collab_state: dict, status: int):
    """The task page again after a refused comment (``engine.web.collab_pages``), the form as it was."""
    return _render(row, case, actor, _initial(row, case, cases.task_schema(row, case), actor), None, status,
                   collab_state)


def _render(row, case, actor, data: dict, errors: dict | None = None, status: int = 200,
            collab_state: dict | None = None):
    schema = cases.task_schema(row, case) or {"type": "object", "properties": {}}
    ui = cases.task_ui_schema(row, case) or {}
    fields = formrender.build(schema, ui, data, errors or {})
    cap = lanes.capacity(actor, access.parties(case), row.lane, row.role)
    general = (errors or {}).get("_", [])
    known_paths = _paths(fields)
    orphans = [(p, m) for p, ms in (errors or {}).items() if p != "_" and p not in known_paths for m in ms]
    claimer = user_lookup.get(row.claimed_by_id) if row.claimed_by_id not in (None, actor.user_id) else None
    return render_template("pages/task.html", task=row, case=case, fields=fields, errors=errors or {},
                           meeting=pages_meetings.task_meeting(actor, row, case),
                           general_errors=general + [m for _p, m in orphans], schema=schema,
                           on_behalf=cap == lanes.Capacity.ON_BEHALF, may_act=cap is not None,
                           error_list=formrender.error_list(fields), claimer=claimer,
                           colleagues=worklist.colleagues(actor, row) if cap is not None else [],
                           is_leader=actor.has(lanes.LEDER), files=field_files(case, fields),
                           **collab_view.context(actor, case, row.id, collab_state)), status


def _paths(fields) -> set[str]:
    out = set()
    for f in fields:
        out.add(f.path)
        out |= _paths(f.children)
        for r in f.rows:
            out |= _paths(r)
    return out


#: The checkbox that confirms completing a task someone else has taken («Jeg fullfører likevel»).
CONFIRM = "_likevel"


@bp.get("/oppgaver/<task_id>")
def task(task_id: str):
    actor = require_actor()
    row, case = cases.get_task(actor, task_id)
    data = _initial(row, case, cases.task_schema(row, case), actor)
    return _render(row, case, actor, pages_meetings.prefill(row, case, data))


def _stale(actor, task_id: str, refusal: Conflict):
    """A form posted for a task that is no longer open: 409 with the typed values shown again.

    ``cases.get_task`` has already decided 409 (not 404) from the audit trail.  The task is gone, so
    there is nothing to keep a draft on; the values are re-rendered (not saved) so the user can copy
    what they wrote.  Only *their* values are shown — the completed answer is read on the case page,
    through consent.  A task closed without completion keeps the plain 409 page.
    """
    found = cases.completed_task(actor, task_id)
    if found is None:
        raise refusal
    case, event = found
    schema, ui = cases.completed_forms(case, event)
    schema = schema or {"type": "object", "properties": {}}
    fields = formrender.build(schema, ui or {}, formrender.parse(schema, request.form), {})
    name = (event.data or {}).get("name") or event.element_id
    return render_template("pages/conflict.html", case=case, name=name, completed_at=event.at, fields=fields,
                           message=_("Oppgaven «%(name)s» er allerede fullført.", name=name)), 409


@bp.post("/oppgaver/<task_id>")
def task_post(task_id: str):
    actor = require_actor()
    try:
        row, case = cases.get_task(actor, task_id, acting=True)
    except Conflict as exc:               # closed meanwhile (the audit trail knows): 409, values kept
        return _stale(actor, task_id, exc)
    schema = cases.task_schema(row, case) or {"type": "object", "properties": {}}
    if collab_fields.file_fields(schema):
        collab_view.refuse_oversized()   # before the body is read: the upload cap, not the page's
    data = formrender.parse(schema, request.form)
    name, case_id = row.name or row.element_id, case.id      # the row is gone once completed
    if file_errors := collab_fields.receive(actor, row, case, schema, data):
        return _render(row, case, actor, data, file_errors, 422)
    action = request.form.get("_handling", "")
    if action.startswith(("add:", "remove:")):
        formrender.apply_row_action(data, action)
        return _render(row, case, actor, data)
    if action == "utkast":
        cases.save_draft(actor, task_id, data)
        flash(_("Utkastet er lagret. Du kan fortsette senere."), "ok")
        return redirect(url_for("pages.task", task_id=task_id))
    if row.claimed_by_id not in (None, actor.user_id) and request.form.get(CONFIRM) != "1":
        # Someone else has taken it: ask first (#14), keeping every value typed.
        claimer = user_lookup.get(row.claimed_by_id)
        who = claimer.display_name if claimer is not None else _("En kollega")
        return _render(row, case, actor, data, {"_": [_("%(name)s har tatt denne oppgaven. Kryss av for «Jeg fullfører "
                                                        "likevel» og trykk «Fullfør» igjen hvis du skal fullføre den "
                                                        "i stedet.", name=who)]}, 409)
    try:
        # No expected version: a parallel task completed meanwhile must not block this one; the
        # use case still refuses (409) if *this* task is no longer open.
        cases.complete_task(actor, task_id, data)
    except FormInvalid as exc:
        return _render(row, case, actor, data, exc.errors, 422)
    except Conflict as exc:
        fields = formrender.build(schema, cases.task_ui_schema(row, case) or {}, data, {})
        return render_template("pages/conflict.html", case=case, name=name, fields=fields, message=exc.message), 409
    flash(_("«%(name)s» er fullført.", name=name), "ok")
    if actor.has(lanes.RESIDENT) and not actor.is_caseworker:
        return redirect(url_for("pages.my_page"))
    return redirect(url_for("pages.case", case_id=case_id))
