"""Invitations through a real SMTP server (aiosmtpd on 127.0.0.1): one per participant, a valid .ics
parsed back with ``icalendar``; a move is an update (same UID, SEQUENCE+1); a cancel is METHOD:CANCEL."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import icalendar

from engine.meetings import planning
from engine.notify import delivery
from tests.meetings.helpers import actor, open_first_meeting, plan_input

OSLO = ZoneInfo("Europe/Oslo")


def _calendars(msg) -> tuple[icalendar.Calendar, icalendar.Calendar]:
    """The text/calendar alternative part and the .ics attachment of one mail, both parsed."""
    att = next(p for p in msg.iter_attachments() if p.get_filename() == "invitasjon.ics")
    alt = next(p for p in next(q for q in msg.walk() if q.get_content_type() == "multipart/alternative").iter_parts()
               if p.get_content_type() == "text/calendar")
    return (icalendar.Calendar.from_ical(alt.get_payload(decode=True)),
            icalendar.Calendar.from_ical(att.get_payload(decode=True)))


def _event(cal: icalendar.Calendar) -> icalendar.Event:
    (ev,) = cal.walk("VEVENT")
    return ev


def _by_recipient(messages) -> dict[str, object]:
    """The invitation mails (those with a calendar part) by recipient; notify's own in-app/e-mail
    notifications of the same change are not ours to count here."""
    return {m["To"]: m for m in messages if any(p.get_content_type() == "text/calendar" for p in m.walk())}


def test_one_invitation_per_participant_then_an_update_then_a_cancellation(smtp_app, smtp_server, routine, clock):
    _case_id, task_id = open_first_meeting(routine, clock)
    m = planning.plan(actor("ingrid.bygdoy"), task_id, plan_input(start="10:00", end="11:30"),
                      "http://tilbolig.test/saker/1")
    delivery.deliver_due()
    sent = _by_recipient(smtp_server.messages)
    assert sorted(sent) == ["beboer.test@tilbolig.test", "ingrid.bygdoy@tilbolig.test", "kari.gamleoslo@tilbolig.test"]
    for to, msg in sent.items():
        alt, att = _calendars(msg)
        assert alt.to_ical() == att.to_ical()
        ev = _event(alt)
        assert (str(alt["METHOD"]), str(ev["UID"]), int(ev["SEQUENCE"])) == ("REQUEST", m.uid, 0)
        start = ev.decoded("DTSTART")
        assert start == datetime(2026, 1, 20, 10, 0, tzinfo=OSLO) and start.utcoffset().total_seconds() == 3600
        assert ev["DTSTART"].params["TZID"] == "Europe/Oslo" and alt.walk("VTIMEZONE")[0]["TZID"] == "Europe/Oslo"
        assert str(ev["SUMMARY"]) == "Første samarbeidsmøte" and str(ev["LOCATION"]) == "Møterom 2, Bygdøy"
        assert str(ev["ORGANIZER"]) == "mailto:ingrid.bygdoy@tilbolig.test"
        roles = {str(a): a.params["ROLE"] for a in ev.get("ATTENDEE")}
        assert roles["mailto:kari.gamleoslo@tilbolig.test"] == "REQ-PARTICIPANT"     # bydelen plikter å delta
        # the resident's address is in the resident's own copy only; no resident name anywhere
        assert ("mailto:beboer.test@tilbolig.test" in roles) == (to == "beboer.test@tilbolig.test")
        body = msg.as_string()
        assert "Ola Beboer" not in body and "Tore" not in body
        assert msg["Subject"].startswith("Invitasjon: Første samarbeidsmøte")

    smtp_server.clear()
    moved = planning.move(actor("ingrid.bygdoy"), m.id, plan_input(day="2026-03-30", start="09:00", end="10:00",
                                                                   who=("kari.gamleoslo",)), 0, None)
    delivery.deliver_due()
    sent = _by_recipient(smtp_server.messages)
    update = _event(_calendars(sent["kari.gamleoslo@tilbolig.test"])[0])
    assert (str(update["UID"]), int(update["SEQUENCE"])) == (m.uid, moved.sequence) == (m.uid, 1)
    # after the change to summer time, 09:00 in Oslo is still 09:00 in Oslo (UTC+2)
    assert update.decoded("DTSTART") == datetime(2026, 3, 30, 9, 0, tzinfo=OSLO)
    assert update.decoded("DTSTART").utcoffset().total_seconds() == 7200
    assert sent["kari.gamleoslo@tilbolig.test"]["Subject"].startswith("Endret tid eller sted")
    # the resident, taken off the list, gets a cancellation with the same UID
    dropped, _att = _calendars(sent["beboer.test@tilbolig.test"])
    assert (str(dropped["METHOD"]), str(_event(dropped)["UID"])) == ("CANCEL", m.uid)

    smtp_server.clear()
    planning.cancel(actor("ingrid.bygdoy"), m.id, 1)
    delivery.deliver_due()
    sent = _by_recipient(smtp_server.messages)
    assert sorted(sent) == ["ingrid.bygdoy@tilbolig.test", "kari.gamleoslo@tilbolig.test"]
    for msg in sent.values():
        cal, _att = _calendars(msg)
        ev = _event(cal)
        assert (str(cal["METHOD"]), str(ev["UID"]), int(ev["SEQUENCE"]), str(ev["STATUS"])) == \
            ("CANCEL", m.uid, 2, "CANCELLED")
        assert msg["Subject"].startswith("Avlyst: Første samarbeidsmøte")
    # nothing more is sent on another run of the worker
    assert delivery.deliver_due().attempted == 0


def test_a_rolled_back_plan_sends_nothing(smtp_app, smtp_server, routine, clock):
    _case_id, task_id = open_first_meeting(routine, clock)
    try:
        planning.plan(actor("ingrid.bygdoy"), task_id, plan_input(end="09:00"))
    except Exception:  # noqa: BLE001  (422: the field errors)
        pass
    delivery.deliver_due()
    assert _by_recipient(smtp_server.messages) == {}


def test_a_meeting_change_is_one_mail_per_participant_and_the_bell_still_rings(smtp_app, smtp_server, routine, clock):
    """The invitation is the e-mail: notify's hook rings the bell for the meeting but sends no second
    «Du er invitert» mail (nor a digest line) beside the .ics."""
    from engine.extensions import db
    from engine.store.notify import Notification
    _case_id, task_id = open_first_meeting(routine, clock)
    planning.plan(actor("ingrid.bygdoy"), task_id, plan_input(start="10:00", end="11:30"), "http://tilbolig.test/saker/1")
    delivery.deliver_due()
    # every mail but the «Ny oppgave» ones of getting this far is about the meeting: exactly the invitations
    about_meeting = [m for m in smtp_server.messages if "Ny oppgave" not in m["Subject"]]
    assert sorted(m["To"] for m in about_meeting) == sorted(_by_recipient(smtp_server.messages))
    assert len(about_meeting) == 3
    rung = db.session.query(Notification).filter(Notification.kind == "meeting.planned").all()
    assert rung and all(n.mail == "none" for n in rung)
