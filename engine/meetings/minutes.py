"""The minutes form and its meeting: completing the minutes task marks the planned meeting held.

A change hook of the case unit of work, so the meeting is marked in the same transaction as the
task's completion (a rolled-back step leaves the meeting planned).  Attendance per party is read from
the form the same way the compliance report reads it (``engine.reports.facts.attendance``: the
explicit «… deltok» field, else the list of participants), so the case page and the report agree.
"""
from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from engine import clock
from engine.cases.changes import Change
from engine.extensions import db
from engine.meetings import kinds
from engine.reports.facts import attendance
from engine.store.meetings import HELD, PLANNED, Meeting


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if isinstance(value, str) and value else None
    except ValueError:
        return None


def on_changes(case_id: int, changes: list[Change]) -> None:
    for ch in changes:
        data = ch.data or {}
        kind = kinds.of_form(data.get("form")) if ch.type == "task.completed" else None
        if kind is None or not ch.task_id:
            continue
        values = data.get("values") or {}
        found = db.session.connection().execute(sa.select(Meeting.id, Meeting.convenor).where(
            Meeting.task_id == ch.task_id, Meeting.status == PLANNED)).first()
        if found is None:
            continue
        who = attendance(values, found.convenor)
        db.session.connection().execute(sa.update(Meeting).where(Meeting.id == found.id).values(
            status=HELD, held_on=_day(values.get(kind.date_field)) or clock.today_oslo(), updated_at=clock.now(),
            bydel_attended=who["bydel"], institution_attended=who["institusjon"], resident_attended=who["beboer"]))


def install(registry: Any) -> None:
    """Register the hook once on a unit-of-work hook registry (``unit_of_work.hooks(app)``)."""
    if on_changes not in registry.on_changes:
        registry.on_changes.append(on_changes)
