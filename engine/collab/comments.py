"""Comments on a case (optionally on one of its tasks), with @-mentions; edits kept, deletions marked.

Only a caseworker of the case's bydel or institution writes one, choosing how it is shared
(``engine.collab.sharing``). ``@brukernavn`` mentions a colleague: a mention of someone who would
not see the comment — outside the case, or on the other side without the consent that covers it —
is refused with a sentence naming them, and nothing is saved (the person can fix the text or the
sharing). A mention is recorded as the audit change ``comment.mentioned`` (``user_ids``,
``comment_id``) in the same transaction as the comment, which is what notifications listen to.
An edit keeps the text it replaces (``comment_revisions``); a deletion keeps the row and its text.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlalchemy as sa

from engine import clock
from engine.access import rules as access
from engine.access.consent import Decision
from engine.access.sharing import CATEGORIES
from engine.bpmn.lanes import Actor
from engine.cases import visibility
from engine.cases.changes import Change
from engine.cases.unit_of_work import record_case_changes
from engine.collab import sharing
from engine.errors import Forbidden, NotFound, Unprocessable
from engine.extensions import db
from engine.store.collab import Comment, CommentRevision
from engine.store.models import Case, OpenTask, User

MAX_LENGTH = 5000
MENTION = re.compile(r"(?<![\w.@])@([A-Za-z0-9][A-Za-z0-9._-]{0,79})")


@dataclass
class Shown:
    """A comment as one reader gets it."""

    comment: Comment
    author: str
    revisions: list[CommentRevision] = field(default_factory=list)
    mentioned: list[str] = field(default_factory=list)


def mentioned_names(body: str) -> list[str]:
    """Usernames written as ``@name`` (a trailing full stop belongs to the sentence), in order, once each."""
    out: list[str] = []
    for m in MENTION.finditer(body):
        name = m.group(1).rstrip("._-")
        if name and name not in out:
            out.append(name)
    return out


def _check_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise Unprocessable("Kommentaren er tom.", {"body": ["Skriv en kommentar."]})
    if len(body) > MAX_LENGTH:
        raise Unprocessable("Kommentaren er for lang.", {"body": [f"Kan ha høyst {MAX_LENGTH} tegn."]})
    return body


def _mentions(case: Case, lane: str, category: str, body: str, author_id: int) -> list[int]:
    """The ids of the users ``body`` mentions; ``Unprocessable`` naming anyone who may not be mentioned."""
    names = mentioned_names(body)
    if not names:
        return []
    allowed = {u.username: u for u in sharing.readers_of(case, lane, category)}
    refused = [n for n in names if n not in allowed]
    if refused:
        listed = ", ".join(f"@{n}" for n in refused)
        raise Unprocessable("Kan ikke nevne noen som ikke kan se kommentaren.", {"body": [
            f"Kan ikke nevne {listed}: bare saksbehandlere som kan se saken og denne kommentaren (slik den deles) "
            "kan nevnes. Fjern navnet eller endre delingen."]})
    return [allowed[n].id for n in names if allowed[n].id != author_id]


def add(actor: Actor, case_id: int, body: str, category: str | None = None, task_id: str | None = None) -> Comment:
    """Write a comment (and its mentions) in one transaction; the case must be readable (logged)."""
    case = access.require_read(actor, db.session.get(Case, case_id), "comment")
    rd = visibility.reader(actor, case)
    side = sharing.writer_side(rd)
    if side is None:
        db.session.commit()
        raise Forbidden("Bare saksbehandlere i bydelen og institusjonen kan skrive kommentarer.")
    category = category or sharing.DEFAULT_CATEGORY
    errors: dict[str, list[str]] = {}
    if category not in sharing.CHOICES:
        errors["category"] = ["Velg hvordan kommentaren deles."]
    element_id = None
    if task_id:
        row = db.session.get(OpenTask, str(task_id))
        if row is None or row.case_id != case.id or rd.hides_task(row.role, row.form):
            errors["task_id"] = ["Oppgaven er ikke åpen i denne saken."]
        else:
            element_id = row.element_id
    try:
        body = _check_body(body)
    except Unprocessable as exc:
        errors.update(exc.details)
    if errors:
        db.session.commit()   # the access-log row stands
        raise Unprocessable("Kommentaren ble ikke lagret.", errors)
    try:
        user_ids = _mentions(case, side, category, body, actor.user_id)
    except Unprocessable:
        db.session.commit()
        raise
    c = Comment(case_id=case.id, task_id=str(task_id) if task_id else None, element_id=element_id,
                author_id=actor.user_id, lane=side, category=category, body=body, mentions=user_ids,
                created_at=clock.now())
    db.session.add(c)
    db.session.flush()
    changes = [Change("comment.added", actor, task_id=c.task_id, element_id=element_id, data={"comment_id": c.id})]
    if user_ids:
        changes.append(Change("comment.mentioned", actor, task_id=c.task_id, element_id=element_id,
                              data={"user_ids": user_ids, "comment_id": c.id}))
    record_case_changes(case.id, changes)
    db.session.commit()
    return c


def _own(actor: Actor, comment_id: int, action: str) -> tuple[Comment, Case]:
    c = db.session.get(Comment, comment_id)
    if c is None:
        raise NotFound("Fant ikke kommentaren.")
    case = access.require_read(actor, db.session.get(Case, c.case_id), action)
    if not sharing.decide_comment(visibility.reader(actor, case), c).visible:
        access.log(actor, case.id, action, granted=False)
        db.session.commit()
        raise NotFound("Fant ikke kommentaren.")
    if c.author_id != actor.user_id:
        access.log(actor, case.id, action, granted=False)
        db.session.commit()
        raise Forbidden("Bare den som skrev kommentaren kan endre eller slette den.")
    if c.deleted_at is not None:
        db.session.commit()
        raise Unprocessable("Kommentaren er slettet.", {"body": ["Kommentaren er slettet og kan ikke endres."]})
    return c, case


def edit(actor: Actor, comment_id: int, body: str) -> Comment:
    """Replace a comment's text, keeping the old one; new mentions are recorded (the old ones are not repeated)."""
    c, case = _own(actor, comment_id, "comment_edit")
    try:
        body = _check_body(body)
        user_ids = _mentions(case, c.lane, c.category, body, actor.user_id)
    except Unprocessable:
        db.session.commit()
        raise
    if body == c.body:
        db.session.commit()
        return c
    now = clock.now()
    db.session.add(CommentRevision(comment_id=c.id, body=c.body, written_at=c.edited_at or c.created_at,
                                   replaced_at=now, replaced_by_id=actor.user_id))
    new = [u for u in user_ids if u not in (c.mentions or [])]
    c.body, c.edited_at, c.mentions = body, now, sorted(set(c.mentions or []) | set(user_ids))
    changes = [Change("comment.edited", actor, task_id=c.task_id, element_id=c.element_id, data={"comment_id": c.id})]
    if new:
        changes.append(Change("comment.mentioned", actor, task_id=c.task_id, element_id=c.element_id,
                              data={"user_ids": new, "comment_id": c.id}))
    record_case_changes(case.id, changes)
    db.session.commit()
    return c


def delete(actor: Actor, comment_id: int) -> Comment:
    """Mark a comment deleted: it leaves the page, but its row and text stay in the record."""
    c, case = _own(actor, comment_id, "comment_delete")
    c.deleted_at, c.deleted_by_id = clock.now(), actor.user_id
    record_case_changes(case.id, [Change("comment.deleted", actor, task_id=c.task_id, element_id=c.element_id,
                                         data={"comment_id": c.id})])
    db.session.commit()
    return c


def of_case(actor: Actor, case: Case, task_id: str | None = None) -> tuple[list[Shown], list[Decision]]:
    """The case's comments ``actor`` may see (oldest first; of one task if ``task_id``), and what was held
    back (grouped). The caller has checked and logged the read of the case."""
    query = sa.select(Comment).where(Comment.case_id == case.id)
    if task_id is not None:
        query = query.where(Comment.task_id == str(task_id))
    rows = list(db.session.scalars(query.order_by(Comment.id)))
    rd = visibility.reader(actor, case)
    shown: list[Comment] = []
    held: list[Decision] = []
    for c in rows:
        d = sharing.decide_comment(rd, c)
        if d.visible:
            shown.append(c)
        elif d is not sharing.NOT_FOR_VIEWER:
            held.append(d)
    ids = [c.id for c in shown]
    revisions: dict[int, list[CommentRevision]] = {}
    if ids:
        for r in db.session.scalars(sa.select(CommentRevision).where(CommentRevision.comment_id.in_(ids))
                                    .order_by(CommentRevision.id.desc())):
            revisions.setdefault(r.comment_id, []).append(r)
    people = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(
        {c.author_id for c in shown} | {i for c in shown for i in (c.mentions or [])})))} if shown else {}
    out = [Shown(c, people[c.author_id].display_name if c.author_id in people else "", revisions.get(c.id, []),
                 [people[i].username for i in (c.mentions or []) if i in people]) for c in shown]
    return out, visibility.withheld_groups(held)


def category_label(category: str) -> str:
    if category in CATEGORIES:
        return CATEGORIES[category]
    return {"saksgang": "saksgang", "intern": "intern"}.get(category, category)
