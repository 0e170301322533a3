"""Case changes become notifications, in the same transaction as the change (a UoW change hook).

What rings whom:

* ``task.created`` — the users who may act on the new task (``recipients.lane_users``): one
  notification per user per change, however many tasks it opened (a survey opens hundreds);
* ``task.assigned`` — the user it was given to (not when they took it themselves);
* ``deadline.overdue`` — the user who took the task, or else its lane (the worker's scan catches
  deadlines that passed with no timer, and «due in 7 days»: ``engine.notify.scan``);
* ``comment.mentioned`` (``data.user_ids``, ``data.comment_id``) — the mentioned who may read the case;
* ``meeting.planned`` / ``meeting.moved`` / ``meeting.cancelled`` (``data.meeting_id``, ``data.user_ids``)
  — the invited who may read the case.

Every notification has a dedup key, so a change seen twice (a retried step) notifies once.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from engine import clock
from engine.cases import unit_of_work
from engine.cases.changes import Change
from engine.extensions import db
from engine.notify import recipients
from engine.notify.api import notify_users
from engine.notify.recipients import Person
from engine.store.models import OpenTask
from engine.store.notify import DeadlineMark, insert_new

MEETING_TYPES = ("meeting.planned", "meeting.moved", "meeting.cancelled")
HANDLED = frozenset({"task.created", "task.assigned", "deadline.overdue", "comment.mentioned", *MEETING_TYPES})


def send(users: list[Person], kind: str, case_id: int, staff_link: str, dedup_key: str, task_id: str | None = None,
         mail: bool = True) -> None:
    by_link: dict[str, list[int]] = defaultdict(list)
    for u in users:
        by_link[recipients.link_for(u, case_id, staff_link)].append(u.id)
    choices = {u.id: u.mail for u in users}
    for link, ids in by_link.items():
        notify_users(ids, kind, case_id, link, dedup_key, task_id=task_id, mail=mail, choices=choices)


def task_owners(parties: Any, task_id: str) -> list[Person]:
    """Who answers for an open task's deadline: whoever took it, or else everyone in its lane."""
    row = db.session.connection().execute(sa.select(OpenTask.lane, OpenTask.role, OpenTask.claimed_by_id)
                             .where(OpenTask.id == task_id)).first()
    if row is None:
        return []
    if row.claimed_by_id is not None:
        return recipients.readers(parties, [row.claimed_by_id])
    return recipients.lane_users(parties, row.lane, row.role)


def missed(case_id: int, parties: Any, task_id: str) -> None:
    """«En frist er passert» for one task, once (the timer's change and the scan share the mark)."""
    if insert_new(DeadlineMark, [dict(task_id=task_id, kind="missed", created_at=clock.now())], ["task_id", "kind"]):
        send(task_owners(parties, task_id), "deadline.missed", case_id, f"/oppgaver/{task_id}",
              f"task:{task_id}:missed", task_id)


def on_changes(case_id: int, changes: list[Change]) -> None:
    """The change hook: notifications (and immediate e-mail) for the changes that ring someone."""
    mine = [ch for ch in changes if ch.type in HANDLED]
    if not mine:
        return
    parties = recipients.parties_of(case_id)
    if parties is None:
        return
    opened: dict[int, list[str]] = defaultdict(list)
    people: dict[int, Person] = {}
    for ch in mine:
        data = ch.data or {}
        if ch.type == "task.created" and ch.task_id:
            for u in recipients.lane_users(parties, data.get("lane"), data.get("role")):
                opened[u.id].append(ch.task_id)
                people[u.id] = u
        elif ch.type == "task.assigned" and ch.task_id and data.get("to_user_id"):
            to = int(data["to_user_id"])
            if ch.actor is None or ch.actor.user_id != to:
                send(recipients.readers(parties, [to]), "task.assigned", case_id, f"/oppgaver/{ch.task_id}",
                      f"task:{ch.task_id}:assigned:{to}", ch.task_id)
        elif ch.type == "deadline.overdue" and ch.task_id:
            missed(case_id, parties, ch.task_id)
        elif ch.type == "comment.mentioned":
            comment = data.get("comment_id")
            send(recipients.readers(parties, data.get("user_ids") or []), ch.type, case_id,
                  f"/saker/{case_id}#kommentar-{comment}", f"comment:{comment}:mention")
        elif ch.type in MEETING_TYPES:
            meeting = data.get("meeting_id")
            version = data.get("sequence", clock.now().isoformat())
            send(recipients.readers(parties, data.get("user_ids") or []), ch.type, case_id,
                  str(data.get("link") or f"/saker/{case_id}#mote-{meeting}"), f"meeting:{meeting}:{ch.type}:{version}",
                  mail=False)     # the meeting's own invitation (with the .ics) is the e-mail
    groups: dict[tuple[str, ...], list[Person]] = defaultdict(list)
    for user_id, task_ids in opened.items():
        groups[tuple(task_ids)].append(people[user_id])
    for tasks, users in groups.items():
        link = f"/oppgaver/{tasks[0]}" if len(tasks) == 1 else f"/saker/{case_id}"
        send(users, "task.new", case_id, link, f"task:{tasks[0]}:new", tasks[0])


def init_app(app: Any) -> None:
    """Register the change hook on ``app`` (called by the composition root)."""
    registry = unit_of_work.hooks(app)
    if on_changes not in registry.on_changes:
        registry.on_changes.append(on_changes)
