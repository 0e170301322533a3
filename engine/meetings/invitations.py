"""The invitation mails of a meeting and its .ics download.

One mail per participant, each with the participant's own copy of the calendar object: as the
``text/calendar`` alternative part (what makes Outlook and Gmail show «Godta / Avslå») and as an
``invitasjon.ics`` attachment (for clients that show only attachments).  The mail says the kind of
meeting, when and where, and links to the case — no resident name, nothing about health (#17).
The dedup key holds the meeting, its SEQUENCE and the person, so a retry never sends twice and a
move is a new mail.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from engine import clock
from engine.bpmn import lanes
from engine.extensions import db
from engine.meetings import ical, kinds
from engine.notify.mail import MailAttachment, enqueue_mail
from engine.store.meetings import Meeting
from engine.store.models import Case, User

MONTHS = ("januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september", "oktober",
          "november", "desember")
WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
SUBJECTS = {"REQUEST": "Invitasjon", "UPDATE": "Endret tid eller sted", "CANCEL": "Avlyst"}


def when(start: datetime, end: datetime) -> str:
    """«tirsdag 12. januar 2027 kl. 10.00–11.30» in Oslo time."""
    s, e = clock.as_utc(start).astimezone(clock.OSLO), clock.as_utc(end).astimezone(clock.OSLO)
    return (f"{WEEKDAYS[s.weekday()]} {s.day}. {MONTHS[s.month - 1]} {s.year} "
            f"kl. {s:%H.%M}–{e:%H.%M}")


def _email(user: User | None) -> str | None:
    return (getattr(user, "email", None) or None) if user is not None else None


def _role(m: Meeting, party: str, user_id: int) -> str:
    if user_id == m.organizer_id:
        return "CHAIR"
    kind = kinds.BY_KEY[m.kind]
    return "REQ-PARTICIPANT" if party in (m.convenor, kind.obliged) else "OPT-PARTICIPANT"


def calendar(m: Meeting, method: str, viewer_id: int | None, link: str | None) -> bytes:
    """The .ics of ``m`` as ``viewer_id`` gets it (the resident is listed only in the resident's copy)."""
    people = {u.id: u for u in db.session.query(User).filter(
        User.id.in_([p.user_id for p in m.participants] + [m.organizer_id]))}
    organizer = people.get(m.organizer_id)
    attendees = []
    for p in m.participants:
        if p.party == lanes.BEBOER and p.user_id != viewer_id:
            continue
        u = people.get(p.user_id)
        name = None if p.party == lanes.BEBOER else (u.display_name if u else None)
        attendees.append(ical.Person(_email(u), name, _role(m, p.party, p.user_id)))
    inv = ical.Invitation(uid=m.uid, sequence=m.sequence, summary=kinds.BY_KEY[m.kind].title, starts_at=m.starts_at,
                          ends_at=m.ends_at, place=m.place, video_link=m.video_link, link=link,
                          organizer=ical.Person(_email(organizer), organizer.display_name if organizer else None,
                                                "CHAIR"),
                          attendees=tuple(attendees))
    return ical.build(inv, method)


def send(m: Meeting, case: Case, link: str | None, *, method: str, to: Sequence[int]) -> int:
    """Put one mail per person in ``to`` (who has an address) into the mail outbox; the count queued."""
    people = [(i, u, _email(u)) for i, u in ((i, db.session.get(User, i)) for i in to)]
    people = [(i, u, a) for i, u, a in people if a]
    if not people:
        return 0
    title = kinds.BY_KEY[m.kind].title
    word = SUBJECTS["UPDATE" if method == "REQUEST" and m.sequence > 0 else method]
    sent = 0
    for user_id, _user, address in people:
        is_resident = user_id == case.resident_user_id
        own_link = link if not is_resident else None      # the resident reads their case on «Min side»
        data = calendar(m, method, user_id, own_link)
        lines = [f"{word}: {title}", f"Tid: {when(m.starts_at, m.ends_at)}"]
        if m.place:
            lines.append(f"Sted: {m.place}")
        if m.video_link:
            lines.append(f"Videomøte: {m.video_link}")
        if own_link:
            lines += ["", f"Se saken i tilbolig: {own_link}"]
        lines += ["", "Invitasjonen ligger ved som kalenderfil (invitasjon.ics)."]
        content_type = f"text/calendar; method={method}"
        enqueue_mail(to_user_id=user_id, to_address=address, kind=f"meeting.{method.lower()}",
                     subject=f"{word}: {title} {when(m.starts_at, m.ends_at)}", text="\n".join(lines),
                     attachments=[MailAttachment("invitasjon.ics", content_type, data)],
                     alternative=MailAttachment("invite.ics", content_type, data),
                     dedup_key=f"meeting:{m.id}:{m.sequence}:{method}:{user_id}", case_id=case.id)
        sent += 1
    return sent
