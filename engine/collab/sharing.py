"""Who sees a comment or an attachment, and whom a comment may mention — decided by ``engine.access.consent``.

A comment (and an attachment on the case itself) is written by one side of the case (the bydel or
the institution) and carries a sharing category the writer chose: ``saksgang`` (always shared
with the other side), a consent category (shared with the other side only while the resident's
consent covers it in that direction; a withdrawal hides it again, as it hides form answers), or
``intern`` (never leaves the writer's organisation). The consent rule decides through a
:class:`~engine.access.consent.Source` made of the writer's side and that category.

They are the organisations' working notes: the resident does not see comments or case
attachments (Min side is the resident's view), nor does an administrator, who reads a case only to
repair it. An attachment on a *form field* is an answer of that form: it is decided exactly as the
field's value (the form's policy, the task's lane), so the resident sees files in their own forms.
"""
from __future__ import annotations

import sqlalchemy as sa

from engine import clock
from engine.access import consent
from engine.access import rules as access
from engine.access.consent import Decision, Reader, Source
from engine.access.sharing import CATEGORIES, INTERN, SAKSGANG, FormPolicy
from engine.bpmn import lanes
from engine.extensions import db
from engine.store.collab import Attachment, Comment
from engine.store.models import Case, User

#: The categories a writer may choose, in the order offered; the default is consent-bound (safe side).
CHOICES = (SAKSGANG, *CATEGORIES, INTERN)
DEFAULT_CATEGORY = "moter_og_rapporter"
#: Why something is not shown to this reader at all (not a consent matter: it is not theirs).
NOT_FOR_VIEWER = Decision(False, consent.NOT_FOR_RESIDENT)


def writer_side(rd: Reader) -> str | None:
    """The side a caseworker writes from (None: the resident or an administrator — they do not write notes)."""
    return rd.viewer if rd.viewer in (lanes.BYDEL, lanes.INSTITUSJON) else None


def note_source(lane: str, category: str) -> Source:
    return Source(lane, FormPolicy(category))


def decide_comment(rd: Reader, c: Comment) -> Decision:
    if rd.viewer not in (lanes.BYDEL, lanes.INSTITUSJON):
        return NOT_FOR_VIEWER
    return rd.decide(note_source(c.lane, c.category))


def decide_attachment(rd: Reader, a: Attachment) -> Decision:
    if a.form:     # a form's answer: the form's own policy, field by field
        return rd.decide(Source.form(a.lane, a.form), a.field)
    if rd.viewer not in (lanes.BYDEL, lanes.INSTITUSJON):
        return NOT_FOR_VIEWER
    return rd.decide(note_source(a.lane, a.category))


def readers_of(case: Case, lane: str, category: str) -> list[User]:
    """Active caseworkers of the case's two organisations who would see a note of ``lane``/``category``
    now — the only people a comment may mention."""
    return [u for u, cats in readers(case, lane).items() if category in cats]


def readers(case: Case, lane: str) -> dict[User, list[str]]:
    """Each active caseworker of the case's two organisations → the sharing choices under which they
    would see a note from ``lane`` (two queries: the users and the consent). The autocomplete's list."""
    parties = access.parties(case)
    grant = consent.current(case.id)
    today = clock.today_oslo()
    rows = db.session.scalars(sa.select(User).where(User.active.is_(True),
                                                    User.organisation_id.in_([case.bydel_id, case.institution_id]))
                              .order_by(User.display_name))
    out: dict[User, list[str]] = {}
    for u in rows:
        actor = access.actor_for(u)
        if not actor.is_caseworker or not lanes.may_read(actor, parties):
            continue
        rd = Reader(actor, parties, grant, today)
        cats = [c for c in CHOICES if rd.decide(note_source(lane, c)).visible]
        if cats:
            out[u] = cats
    return out
