"""The calendar invitation of a meeting (RFC 5545 / iTIP RFC 5546), built with ``icalendar``.

Why these choices: calendar clients recognise an update by the same UID with a higher SEQUENCE and
a cancellation by ``METHOD:CANCEL`` with that UID, so the UID is fixed when the meeting is planned
and the SEQUENCE grows with every change.  Times are written in Europe/Oslo with a VTIMEZONE (a
meeting at 10:00 stays at 10:00 across a daylight-saving change, and Outlook needs the definition).
No health data: the SUMMARY is the meeting kind, the LOCATION the place, the description a link; no
resident name.  The resident's own address is listed only in the resident's own copy, so a
caseworker's calendar never holds a way to identify the resident.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import icalendar

from engine import clock

OSLO = ZoneInfo("Europe/Oslo")
PRODID = "-//Oslo kommune//tilbolig//NO"
REQUEST, CANCEL = "REQUEST", "CANCEL"


@dataclass(frozen=True)
class Person:
    email: str | None
    name: str | None        # None for the resident: no name in an invitation
    role: str               # CHAIR | REQ-PARTICIPANT | OPT-PARTICIPANT


@dataclass(frozen=True)
class Invitation:
    uid: str
    sequence: int
    summary: str
    starts_at: datetime
    ends_at: datetime
    place: str | None
    video_link: str | None
    link: str | None
    organizer: Person
    attendees: tuple[Person, ...]


def _address(p: Person, role: str | None = None) -> icalendar.vCalAddress:
    addr = icalendar.vCalAddress(f"mailto:{p.email}" if p.email else "invalid:nomail")
    if p.name:
        addr.params["CN"] = p.name
    if role:
        addr.params["ROLE"] = role
        addr.params["PARTSTAT"] = "NEEDS-ACTION"
        addr.params["RSVP"] = "TRUE"
    return addr


def build(inv: Invitation, method: str = REQUEST) -> bytes:
    """The .ics bytes of ``inv`` with ``METHOD:REQUEST`` (new or changed) or ``METHOD:CANCEL``."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    start = clock.as_utc(inv.starts_at).astimezone(OSLO)
    end = clock.as_utc(inv.ends_at).astimezone(OSLO)
    cal.add_component(icalendar.Timezone.from_tzinfo(OSLO, "Europe/Oslo", first_date=date(start.year - 1, 1, 1),
                                                     last_date=date(end.year + 2, 1, 1)))
    ev = icalendar.Event()
    ev.add("uid", inv.uid)
    ev.add("sequence", inv.sequence)
    ev.add("dtstamp", clock.now())
    ev.add("dtstart", start)
    ev.add("dtend", end)
    ev.add("summary", inv.summary)
    where = inv.place or inv.video_link
    if where:
        ev.add("location", where)
    if inv.video_link:
        ev.add("url", inv.video_link)
    lines = [f"Videomøte: {inv.video_link}"] if inv.video_link else []
    if inv.link:
        lines.append(f"Saken i tilbolig: {inv.link}")
    if lines:
        ev.add("description", "\n".join(lines))
    ev.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    ev.add("transp", "OPAQUE")
    ev.add("organizer", _address(inv.organizer))
    for a in inv.attendees:
        ev.add("attendee", _address(a, a.role))
    cal.add_component(ev)
    return cal.to_ical()
