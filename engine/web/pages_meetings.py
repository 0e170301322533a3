"""Meeting pages (#17): plan the meeting of a minutes task, move it, cancel it, download its .ics.

Thin views over ``engine.meetings.planning``: a failed save re-renders the form with every field's
message and the values as typed (422); a change made against an older version of the meeting is a
409 with the values kept.  Every form is CSRF-protected by the pages blueprint.
"""
from __future__ import annotations

from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for

from engine import clock
from engine.errors import Conflict, Forbidden, Unprocessable
from engine.meetings import kinds, planning, views
from engine.web.i18n import _
from engine.web.page_base import bp, require_actor

FIELDS = {"dato": "f-dato", "start": "f-start", "slutt": "f-slutt", "sted": "f-sted", "video": "f-video",
          "deltakere": "f-deltakere"}


def _given() -> planning.PlanInput:
    f = request.form
    return planning.PlanInput(day=f.get("dato", ""), start=f.get("start", ""), end=f.get("slutt", ""),
                              place=f.get("sted", ""), video_link=f.get("video", ""),
                              participant_ids=f.getlist("deltakere")[:200])


def _case_link(case_id: int) -> str:
    return url_for("pages.case", case_id=case_id, _external=True)


def _values(given: planning.PlanInput | None, meeting: views.MeetingView | None) -> dict[str, Any]:
    """What the form shows: as typed, else the meeting as planned, else empty."""
    if given is not None:
        return {"dato": given.day, "start": given.start, "slutt": given.end, "sted": given.place,
                "video": given.video_link, "deltakere": {int(i) for i in given.participant_ids if i.isdigit()}}
    if meeting is None:
        return {"dato": "", "start": "", "slutt": "", "sted": "", "video": "", "deltakere": set()}
    s, e = (clock.as_utc(t).astimezone(clock.OSLO) for t in (meeting.starts_at, meeting.ends_at))
    return {"dato": s.date().isoformat(), "start": f"{s:%H:%M}", "slutt": f"{e:%H:%M}", "sted": meeting.place or "",
            "video": meeting.video_link or "", "deltakere": {p.user_id for p in meeting.people}}


def _render(case, task_name: str, candidates, values: dict[str, Any], *, meeting=None, errors=None,
            message: str | None = None, status: int = 200, action: str):
    errors = errors or {}
    labels = {"dato": _("Dato"), "start": _("Starter"), "slutt": _("Slutter"), "sted": _("Sted"),
              "video": _("Videolenke"), "deltakere": _("Deltakere")}
    summary = [(FIELDS.get(k, "f-dato"), labels.get(k, ""), m) for k, ms in errors.items() for m in ms]
    return render_template("pages/meeting_plan.html", case=case, task_name=task_name, candidates=candidates,
                           values=values, meeting=meeting, errors=errors, error_list=summary, message=message,
                           action=action, parties=views.PARTY_WORDS), status


@bp.route("/oppgaver/<task_id>/mote", methods=["GET", "POST"])
def plan_meeting(task_id: str):
    """«Planlegg møtet»: the convenor picks the time, the place and who is invited."""
    actor = require_actor()
    row, case, candidates = planning.plan_context(actor, task_id)
    name = row.name or row.element_id
    action = url_for("pages.plan_meeting", task_id=task_id)
    if request.method == "GET":
        values = _values(None, None)
        values["deltakere"] = {actor.user_id}
        return _render(case, name, candidates, values, action=action)
    given = _given()
    try:
        planning.plan(actor, task_id, given, _case_link(case.id))
    except Unprocessable as exc:
        return _render(case, name, candidates, _values(given, None), errors=exc.details or {},
                       message=exc.message, status=422, action=action)
    except Conflict as exc:
        return _render(case, name, candidates, _values(given, None), message=exc.message, status=409, action=action)
    flash(_("Møtet er planlagt, og invitasjonen er sendt til deltakerne."), "ok")
    return redirect(url_for("pages.case", case_id=case.id) + "#h-meetings")


def _meeting_view(actor, meeting_id: int):
    m, case = planning.get_meeting(actor, meeting_id)
    view = next(v for v in views.for_case(case, actor) if v.id == m.id)
    return view, case


@bp.route("/moter/<int:meeting_id>/endre", methods=["GET", "POST"])
def move_meeting(meeting_id: int):
    """«Flytt møtet»: a new time, place or list of participants; an update goes to everyone."""
    actor = require_actor()
    view, case = _meeting_view(actor, meeting_id)
    if not view.may_change:
        raise Forbidden(_("Bare den som kaller inn til møtet kan flytte det, og bare mens det er planlagt."))
    candidates = planning.candidates(case)
    action = url_for("pages.move_meeting", meeting_id=meeting_id)
    if request.method == "GET":
        return _render(case, view.title, candidates, _values(None, view), meeting=view, action=action)
    given = _given()
    try:
        planning.move(actor, meeting_id, given, _sequence(), _case_link(case.id))
    except Unprocessable as exc:
        return _render(case, view.title, candidates, _values(given, view), meeting=view, errors=exc.details or {},
                       message=exc.message, status=422, action=action)
    except Conflict as exc:
        return _render(case, view.title, candidates, _values(given, view), meeting=view, message=exc.message,
                       status=409, action=action)
    flash(_("Møtet er flyttet, og deltakerne har fått en oppdatert invitasjon."), "ok")
    return redirect(url_for("pages.case", case_id=case.id) + "#h-meetings")


def _sequence() -> int | None:
    raw = request.form.get("sekvens", "")
    return int(raw) if raw.isdigit() else None


@bp.post("/moter/<int:meeting_id>/avlys")
def cancel_meeting(meeting_id: int):
    actor = require_actor()
    m, case = planning.get_meeting(actor, meeting_id)
    try:
        planning.cancel(actor, meeting_id, _sequence(), _case_link(case.id))
    except Conflict as exc:
        flash(exc.message, "error")
        return redirect(url_for("pages.case", case_id=case.id) + "#h-meetings")
    flash(_("Møtet er avlyst, og deltakerne har fått beskjed."), "ok")
    return redirect(url_for("pages.case", case_id=case.id) + "#h-meetings")


@bp.get("/moter/<int:meeting_id>/invitasjon.ics")
def meeting_ics(meeting_id: int):
    """The meeting as a calendar file, for anyone who may read the case (404 otherwise; logged)."""
    actor = require_actor()
    filename, data = planning.ics_download(actor, meeting_id)
    return Response(data, mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff"})


def case_context(actor, case, tasks) -> dict[str, Any]:
    """The case page's «Møter»: the meetings, what ``actor`` may plan, and missed duties to attend."""
    return {"meetings": views.for_case(case, actor), "meeting_plannable": planning.plannable(actor, case, tasks),
            "meeting_missed": views.missed(case), "meeting_parties": {k: _(v) for k, v in views.PARTY_WORDS.items()}}


def task_meeting(actor, row, case) -> views.MeetingView | None:
    """The meeting planned for a minutes task (shown above its form), if any."""
    return views.planned_for_task(row.id, case, actor) if kinds.of_form(row.form) else None


def prefill(row, case, data: dict[str, Any]) -> dict[str, Any]:
    """The minutes form's date from the plan, unless the form already has one (a draft, an earlier answer
    of the same field is a different meeting's: the plan wins over that, never over a draft)."""
    kind = kinds.of_form(row.form)
    planned = views.planned_for_task(row.id, case) if kind else None
    if kind is None or planned is None or (row.draft and data.get(kind.date_field)):
        return data
    return {**data, kind.date_field: clock.as_utc(planned.starts_at).astimezone(clock.OSLO).date().isoformat()}


def resident_meetings(actor, case) -> list[views.MeetingView]:
    """Min side: the planned meetings the resident is invited to (PROCESS.md: sees own plan and meetings)."""
    return [v for v in views.for_case(case) if v.status == "planlagt" and any(p.user_id == actor.user_id for p in v.people)]
