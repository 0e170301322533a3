"""The meeting pages, server-side: plan through the form (errors kept), the case page lists the meeting,
the task page shows the plan with the date prefilled, the .ics only for readers of the case (logged)."""
from __future__ import annotations

import icalendar
import sqlalchemy as sa

from engine.extensions import db
from engine.meetings import planning
from engine.store.meetings import Meeting
from engine.store.models import AccessLog
from tests.meetings.helpers import actor, open_first_meeting, plan_input, user
from tests.web.conftest import Browser


def _browser(ctx, name: str) -> Browser:
    return Browser(ctx.test_client()).login(name)


def test_plan_through_the_form_keeps_what_was_typed_and_then_shows_it_on_the_case(ctx, routine, clock):
    case_id, task_id = open_first_meeting(routine, clock)
    b = _browser(ctx, "ingrid.bygdoy")
    page = b.get(f"/saker/{case_id}").get_data(as_text=True)
    assert f"/oppgaver/{task_id}/mote" in page                      # «Planlegg møtet» for the convenor
    assert "Planlegg møtet" in b.get(f"/oppgaver/{task_id}/mote").get_data(as_text=True)
    kari = str(user("kari.gamleoslo").id)
    bad = b.post(f"/oppgaver/{task_id}/mote", {"dato": "2026-01-20", "start": "10:00", "slutt": "09:00",
                                               "sted": "Møterom 2", "deltakere": kari})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Møtet må slutte etter at det begynner." in text
    assert 'value="Møterom 2"' in text and f'id="p-{kari}" name="deltakere" value="{kari}" checked' in text
    ok = b.post(f"/oppgaver/{task_id}/mote", {"dato": "2026-01-20", "start": "10:00", "slutt": "11:30",
                                              "sted": "Møterom 2", "deltakere": kari})
    assert ok.status_code == 302
    page = b.get(f"/saker/{case_id}").get_data(as_text=True)
    assert "Første samarbeidsmøte" in page and "tirsdag 20. januar 2026 kl. 10.00–11.30" in page
    assert "plikter å delta" in page and "Avlys møtet" in page
    # the bydel sees it too, but may not move it
    other = _browser(ctx, "kari.gamleoslo").get(f"/saker/{case_id}").get_data(as_text=True)
    assert "tirsdag 20. januar 2026" in other and "Avlys møtet" not in other


def test_the_task_page_shows_the_plan_and_prefills_the_date(ctx, routine, clock):
    _case_id, task_id = open_first_meeting(routine, clock)
    planning.plan(actor("ingrid.bygdoy"), task_id, plan_input(day="2026-01-21"))
    text = _browser(ctx, "ingrid.bygdoy").get(f"/oppgaver/{task_id}").get_data(as_text=True)
    assert 'id="task-meeting"' in text and "onsdag 21. januar 2026" in text
    assert 'name="motedato"' in text and 'value="2026-01-21"' in text


def test_only_readers_of_the_case_download_the_ics_and_every_try_is_logged(ctx, routine, clock):
    _case_id, task_id = open_first_meeting(routine, clock)
    m = planning.plan(actor("ingrid.bygdoy"), task_id, plan_input())
    got = _browser(ctx, "kari.gamleoslo").get(f"/moter/{m.id}/invitasjon.ics")
    assert got.status_code == 200 and got.mimetype == "text/calendar"
    cal = icalendar.Calendar.from_ical(got.data)
    ev = cal.walk("VEVENT")[0]
    assert (str(cal["METHOD"]), str(ev["UID"]), int(ev["SEQUENCE"])) == ("REQUEST", m.uid, 0)
    assert str(ev["SUMMARY"]) == "Første samarbeidsmøte" and "Ola Beboer" not in got.get_data(as_text=True)
    refused = _browser(ctx, "ola.grunerlokka").get(f"/moter/{m.id}/invitasjon.ics")
    assert refused.status_code == 404
    rows = [(r.user_id, r.action, r.granted) for r in db.session.scalars(
        sa.select(AccessLog).where(AccessLog.action == "meeting_ics").order_by(AccessLog.id))]
    assert rows == [(user("kari.gamleoslo").id, "meeting_ics", True), (user("ola.grunerlokka").id, "meeting_ics", False)]


def test_move_and_cancel_through_the_pages_with_a_stale_form_refused(ctx, routine, clock):
    _case_id, task_id = open_first_meeting(routine, clock)
    m = planning.plan(actor("ingrid.bygdoy"), task_id, plan_input())
    b = _browser(ctx, "leder.bygdoy")
    form = b.get(f"/moter/{m.id}/endre").get_data(as_text=True)
    assert 'name="sekvens" value="0"' in form and 'value="Møterom 2, Bygdøy"' in form
    kari = str(user("kari.gamleoslo").id)
    moved = b.post(f"/moter/{m.id}/endre", {"dato": "2026-01-22", "start": "13:00", "slutt": "14:00",
                                           "sted": "Møterom 3", "deltakere": kari, "sekvens": "0"})
    assert moved.status_code == 302
    stale = b.post(f"/moter/{m.id}/endre", {"dato": "2026-01-23", "start": "13:00", "slutt": "14:00",
                                           "sted": "Møterom 3", "deltakere": kari, "sekvens": "0"})
    assert stale.status_code == 409 and 'value="2026-01-23"' in stale.get_data(as_text=True)
    assert b.post(f"/moter/{m.id}/avlys", {"sekvens": "1"}).status_code == 302
    db.session.expire_all()
    done = db.session.get(Meeting, m.id)
    assert (done.status, done.sequence, done.place) == ("avlyst", 2, "Møterom 3")


def test_the_resident_sees_the_meetings_they_are_invited_to_on_min_side(ctx, routine, clock):
    _case_id, task_id = open_first_meeting(routine, clock)
    m = planning.plan(actor("ingrid.bygdoy"), task_id, plan_input())
    b = _browser(ctx, "beboer.test")
    text = b.get("/min-side").get_data(as_text=True)
    assert 'id="my-meetings"' in text and "Første samarbeidsmøte: tirsdag 20. januar 2026" in text
    got = b.get(f"/moter/{m.id}/invitasjon.ics")
    ev = icalendar.Calendar.from_ical(got.data).walk("VEVENT")[0]
    assert "mailto:beboer.test@tilbolig.test" in [str(a) for a in ev.get("ATTENDEE")]   # their own copy lists them
    # not invited: nothing on Min side
    planning.move(actor("ingrid.bygdoy"), m.id, plan_input(who=("kari.gamleoslo",)), 0)
    assert 'id="my-meetings"' not in b.get("/min-side").get_data(as_text=True)


def test_only_the_convenor_opens_the_move_form(ctx, routine, clock):
    _case_id, task_id = open_first_meeting(routine, clock)
    m = planning.plan(actor("ingrid.bygdoy"), task_id, plan_input())
    assert _browser(ctx, "kari.gamleoslo").get(f"/moter/{m.id}/endre").status_code == 403
    assert _browser(ctx, "ola.grunerlokka").get(f"/moter/{m.id}/endre").status_code == 404
