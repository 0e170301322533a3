"""Case pages: the list of cases, one case (with its live diagram), a new case, and the resident's
own page («Min side»).

Reading a case goes through ``cases.get_case`` (access-checked and logged; 404 outside your
organisation).  A resident reads their case on «Min side», in plain language, not the case page.
"""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for

from engine import cases, clock, forms
from engine.access import users
from engine.bpmn import lanes, spec
from engine.errors import Forbidden, FormInvalid, Unprocessable
from engine.processes import deployments
from engine.store.models import Organisation, ProcessVersion
from engine.web import casepage, collab_view, formrender, listing, mypage, pages_meetings
from engine.web.i18n import _, format_date
from engine.web.page_base import bp, require_actor

#: The process a «Ny sak» starts when several are deployed (PROCESS.md).
MAIN_PROCESS = "institusjon_til_bolig"
RESIDENT_NAME, RESIDENT_USER, INSTITUTION, PROCESS = "_beboer_navn", "_beboer_bruker", "_institusjon", "_prosess"
EXTERNAL_REF = "_ekstern_ref"


@bp.get("/saker")
def case_list():
    actor = require_actor()
    search = (request.args.get("q") or "").strip()[:200] or None
    raw = request.args.get("sorter")
    sort = raw if raw is not None and raw in CASE_SORTS else "nyest"
    page = cases.case_page(actor, status=request.args.get("status") or None, search=search, sort=sort,
                           cursor=listing.cursor_of(request.args))
    return render_template("pages/cases.html", cases=page.rows, status_word=casepage.status_word, search=search,
                           sort=sort, sorts=[(k, _(v)) for k, v in CASE_SORTS.items()],
                           links=listing.page_links("pages.case_list", page),
                           saved=listing.saved_of(actor, "saker"))


#: The case list's orderings (keys of ``engine.cases.queries.CASE_SORTS``) and their labels.
CASE_SORTS = {"nyest": "Nyeste først", "eldst": "Eldste først", "navn": "Beboerens navn",
              "aktivitet": "Sist endret"}


@bp.get("/saker/<int:case_id>")
def case(case_id: int):
    actor = require_actor()
    c = cases.get_case(actor, case_id)
    if actor.has(lanes.RESIDENT) and not actor.is_caseworker:
        return redirect(url_for("pages.my_page"))
    return _case_page(actor, c)


def render_with(actor, c, collab_state: dict, status: int):
    """The case page again after a refused comment or upload (``engine.web.collab_pages``)."""
    return _case_page(actor, c, status=status, collab_state=collab_state)


def _case_page(actor, c, move: dict | None = None, status: int = 200, collab_state: dict | None = None):
    """The case page; ``?utskrift=1`` is its print view (every form and its history unfolded, no
    diagram, the print stylesheet on screen too) — the same reads, through the same consent."""
    view = {**casepage.view(c, actor), **collab_view.context(actor, c, None, collab_state)}
    actionable = {t.id for t in cases.list_tasks(actor, c.id)}
    printing = request.args.get("utskrift") == "1" and not move
    return render_template("pages/case.html", actionable=actionable, move=move or {}, printing=printing,
                           now=clock.now(), may_move=actor.is_caseworker and _deadline_changes() is not None and not printing,
                           **view, **pages_meetings.case_context(actor, c, view["tasks"])), status


def _deadline_changes():
    """The deadline-change use cases, if that capability is installed."""
    try:
        from engine.timers import deadline_changes
    except ImportError:
        return None
    return deadline_changes


@bp.post("/saker/<int:case_id>/frister/<key>/flytt")
def move_deadline(case_id: int, key: str):
    """«Flytt frist»: a new day and a required reason; both kept in the deadline's history."""
    actor = require_actor()
    module = _deadline_changes()
    if module is None:
        abort(404)
    new_date, reason = request.form.get("ny_dato", ""), request.form.get("begrunnelse", "")
    try:
        module.move_deadline(actor, case_id, key, new_date, reason)
    except Unprocessable as exc:
        c = cases.get_case(actor, case_id)
        details = exc.details if isinstance(exc.details, dict) else {}
        errors = {"ny_dato": details.get("due_date", []), "begrunnelse": details.get("reason", [])}
        if not any(errors.values()):
            errors["_"] = [exc.message]
        return _case_page(actor, c, {"key": key, "errors": errors, "ny_dato": new_date, "begrunnelse": reason}, 422)
    flash(_("Fristen er flyttet til %(date)s.", date=format_date(new_date)), "ok")
    return redirect(url_for("pages.case", case_id=case_id) + "#h-deadlines")


@bp.get("/saker/<int:case_id>/diagram.bpmn")
def case_diagram(case_id: int):
    """The BPMN file bpmn-js draws: the case's process, or with ``?prosess=<key>`` one it calls
    (the drill-down); 404 for a process the case's version does not call."""
    actor = require_actor()
    c = cases.get_case(actor, case_id)
    xml = casepage.diagram_xml(c, (request.args.get("prosess") or "").strip()[:200] or None)
    if xml is None:
        abort(404)
    return Response(xml, mimetype="application/xml", headers={"Cache-Control": "private, max-age=300"})


def _processes() -> list[ProcessVersion]:
    """The newest version of every process a caseworker may start, the main routine first.

    A process called by another deployed process (the stay, the housing clarification …) starts
    inside its parent, never on its own; neither does one without a start form to refer with.
    """
    keys = deployments.process_keys()
    versions = [v for v in (deployments.latest_version(k) for k in keys) if v is not None]
    bundles = {v.id: deployments.bundle_for(v.id) for v in versions}
    called = set().union(*(spec.called_processes(b) for b in bundles.values())) if bundles else set()
    startable = [v for v in versions if v.process_key not in called and spec.start_form(bundles[v.id].spec)]
    return sorted(startable, key=lambda v: (v.process_key != MAIN_PROCESS, v.name or v.process_key))


def _start_schema(pv: ProcessVersion | None) -> dict:
    if pv is None:
        return {"type": "object", "properties": {}}
    bundle = deployments.bundle_for(pv.id)
    return bundle.form(spec.start_form(bundle.spec)) or {"type": "object", "properties": {}}


def _start_ui(pv: ProcessVersion | None) -> dict:
    """The start form's UI schema: the start event's ``formUiSchemaFilename``, else ``<name>.uischema.json``."""
    if pv is None:
        return {}
    bundle = deployments.bundle_for(pv.id)
    return bundle.form(spec.start_ui_form(bundle.spec)) or {}


@bp.route("/saker/ny", methods=["GET", "POST"])
def new_case():
    actor = require_actor()
    org = users.organisation(actor.organisation_id)
    if not (actor.is_caseworker and org is not None and org.kind == "bydel"):
        raise Forbidden(_("Bare saksbehandlere i en bydel kan opprette en sak."))
    processes = _processes()
    chosen = request.values.get(PROCESS) or (processes[0].process_key if processes else None)
    pv = next((p for p in processes if p.process_key == chosen), None)
    schema = _start_schema(pv)
    data, errors, extra, status = {}, {}, {}, 200
    if request.method == "POST":
        data = formrender.parse(schema, request.form)
        extra = {k: (request.form.get(k) or "").strip()[:200]
                 for k in (RESIDENT_NAME, RESIDENT_USER, INSTITUTION, EXTERNAL_REF)}
        _fill_from_case_fields(schema, data, extra, org)
        action = request.form.get("_handling", "")
        if action.startswith(("add:", "remove:")):
            formrender.apply_row_action(data, action)
        elif pv is None:
            errors = {"_": [_("Ingen prosess er tatt i bruk ennå.")]}
            status = 422
        elif errors := _check(schema, data, extra):
            status = 422                      # every field in one round, before anything is written
        else:
            try:
                new = cases.open_case(actor, pv.process_key, org.id, extra[INSTITUTION],
                                      {"name": extra[RESIDENT_NAME], "username": extra[RESIDENT_USER] or None}, data,
                                      external_ref=extra[EXTERNAL_REF] or None)
            except FormInvalid as exc:
                errors, status = _onto_case_fields(exc.errors), 422
            except Unprocessable as exc:
                errors, status = _extra_errors(exc), 422
            else:
                flash(_("Saken er opprettet."), "ok")
                return redirect(url_for("pages.case", case_id=new.id))
    institutions = users.organisations("institusjon")
    residents = users.active_residents()
    ui = dict(_start_ui(pv))
    for key in SHARED_FIELDS:                 # asked once, in «Beboer og institusjon» above
        if key in (schema.get("properties") or {}):
            ui[key] = {**(ui.get(key) or {}), "ui:widget": "hidden"}
    fields = formrender.build(schema, ui, data, errors)
    labels = {RESIDENT_NAME: _("Beboerens navn"), RESIDENT_USER: _("Beboerens brukerkonto"),
              INSTITUTION: _("Institusjon"), EXTERNAL_REF: _("Ekstern referanse")}
    summary = [(f"f-{k}", label, m) for k, label in labels.items() for m in errors.get(k, [])]
    return render_template("pages/new_case.html", fields=fields, errors=errors, extra=extra, org=org,
                           institutions=institutions, residents=residents, processes=processes, chosen=chosen,
                           error_list=summary + formrender.error_list(fields), general_errors=errors.get("_", []),
                           names=(RESIDENT_NAME, RESIDENT_USER, INSTITUTION, PROCESS, EXTERNAL_REF)), status


def _check(schema: dict, data: dict, extra: dict[str, str]) -> dict[str, list[str]]:
    """Every error of the page at once: the case's own fields and the henvisning (#14: no second
    round after the first is fixed).  The use case checks again; this is for the person."""
    errors: dict[str, list[str]] = {}
    if not extra.get(RESIDENT_NAME):
        errors[RESIDENT_NAME] = [_("Skriv beboerens navn.")]
    slug = extra.get(INSTITUTION)
    inst = users.organisation_by_slug(slug) if slug else None
    if not slug:
        errors[INSTITUTION] = [_("Velg institusjon.")]
    elif inst is None or inst.kind != "institusjon":
        errors[INSTITUTION] = [_("Velg en institusjon fra listen.")]
    if extra.get(RESIDENT_USER) and users.by_username(extra[RESIDENT_USER]) is None:
        errors[RESIDENT_USER] = [_("Velg en brukerkonto fra listen.")]
    if schema.get("properties"):
        for path, messages in _onto_case_fields(forms.validate(schema, forms.strip_empty(data))).items():
            if path not in errors:            # a shared field's own message says it better
                errors[path] = messages
    return errors


#: Henvisning fields that repeat what the case itself records: filled from the case fields, not asked twice.
SHARED_FIELDS = {"beboer_navn": RESIDENT_NAME, "institusjon": INSTITUTION, "bydel": None}


def _fill_from_case_fields(schema: dict, data: dict, extra: dict, org: Organisation) -> None:
    props = schema.get("properties") or {}
    if "beboer_navn" in props and extra.get(RESIDENT_NAME):
        data["beboer_navn"] = extra[RESIDENT_NAME]
    if "institusjon" in props and extra.get(INSTITUTION):
        inst = users.organisation_by_slug(extra[INSTITUTION])
        if inst is not None:
            data["institusjon"] = inst.name
    if "bydel" in props:
        data["bydel"] = org.name


def _onto_case_fields(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """An error on a shared henvisning field is shown on the case field that fills it."""
    out: dict[str, list[str]] = {}
    for path, messages in errors.items():
        target = SHARED_FIELDS.get(path) if path in SHARED_FIELDS else path
        out.setdefault(target or "_", []).extend(messages)
    return out


def _extra_errors(exc: Unprocessable) -> dict[str, list[str]]:
    """Map the use case's field names for the case itself onto this page's fields."""
    mapping = {"resident/name": RESIDENT_NAME, "resident/username": RESIDENT_USER, "institusjon": INSTITUTION}
    details = exc.details if isinstance(exc.details, dict) else {}
    out = {mapping.get(str(k), str(k)): v for k, v in details.items()}
    return out or {"_": [exc.message]}


@bp.get("/min-side")
def my_page():
    """The resident's own plan: what comes next, what to do, what they answered (``mypage``)."""
    actor = require_actor()
    own = [c for c in cases.list_cases(actor, limit=20) if c.resident_user_id == actor.user_id]
    return render_template("pages/my_page.html", items=[mypage.case_view(actor, c) for c in own])
