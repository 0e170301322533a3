"""Planning a meeting: who may, what is checked, what is recorded; the minutes link it and record attendance."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from engine import clock as clock_mod
from engine.errors import Conflict, Forbidden, NotFound, Unprocessable
from engine.extensions import db
from engine.meetings import planning, views
from engine.store.meetings import CANCELLED, HELD, PLANNED, Meeting
from engine.store.models import AccessLog, AuditEvent
from tests.meetings.helpers import actor, open_first_meeting, plan_input, user


def test_the_convenor_plans_the_first_meeting_and_the_change_is_recorded(routine, clock):
    case_id, task_id = open_first_meeting(routine, clock)
    m = planning.plan(actor("ingrid.bygdoy"), task_id, plan_input(), "http://x/saker/1")
    db.session.expire_all()
    m = db.session.get(Meeting, m.id)
    assert (m.kind, m.convenor, m.status, m.sequence) == ("forste_samarbeidsmote", "institusjon", PLANNED, 0)
    # 10:00 in Oslo in January is 09:00 UTC
    assert clock_mod.as_utc(m.starts_at) == datetime(2026, 1, 20, 9, 0, tzinfo=UTC)
    parties = {p.user_id: (p.party, p.obliged) for p in m.participants}
    assert parties == {user("ingrid.bygdoy").id: ("institusjon", False), user("kari.gamleoslo").id: ("bydel", True),
                       user("beboer.test").id: ("beboer", False)}
    ev = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.type == "meeting.planned")).one()
    assert ev.case_id == case_id and ev.task_id == task_id
    assert ev.data["meeting_id"] == m.id
    assert sorted(ev.data["user_ids"]) == sorted([user("kari.gamleoslo").id, user("beboer.test").id])
    assert "Møterom" not in str(ev.data)           # ids only in the audit trail and the hooks
    # the case version is not bumped: an open form on the case does not go stale
    assert routine.case(case_id).version == routine.case(case_id).version


def test_only_the_convenor_may_plan_and_nobody_outside_sees_the_task(routine, clock):
    _case_id, task_id = open_first_meeting(routine, clock)
    with pytest.raises(Forbidden):                     # the bydel does not convene the first meeting
        planning.plan(actor("kari.gamleoslo"), task_id, plan_input())
    with pytest.raises(NotFound):                      # another bydel: not even the case exists
        planning.plan(actor("ola.grunerlokka"), task_id, plan_input())
    refused = db.session.scalars(sa.select(AccessLog).where(AccessLog.granted.is_(False))).all()
    assert {a.action for a in refused} == {"meeting_plan"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 0


def test_every_field_error_at_once_and_only_people_who_may_see_the_case(routine, clock):
    _case_id, task_id = open_first_meeting(routine, clock)
    with pytest.raises(Unprocessable) as exc:
        planning.plan(actor("ingrid.bygdoy"), task_id, plan_input(day="2026-01-01", start="11:00", end="10:00",
                                                                  place="", who=("ola.grunerlokka",)))
    assert set(exc.value.details) == {"dato", "slutt", "sted", "deltakere"}
    with pytest.raises(Unprocessable) as exc:
        planning.plan(actor("ingrid.bygdoy"), task_id, plan_input(place="", video="http://insecure"))
    assert set(exc.value.details) == {"video"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 0


def test_a_second_plan_for_the_same_task_is_a_conflict(routine, clock):
    _case_id, task_id = open_first_meeting(routine, clock)
    planning.plan(actor("ingrid.bygdoy"), task_id, plan_input())
    with pytest.raises(Conflict):
        planning.plan(actor("leder.bygdoy"), task_id, plan_input())


def test_move_bumps_the_sequence_and_a_stale_move_or_cancel_is_refused(routine, clock):
    _case_id, task_id = open_first_meeting(routine, clock)
    m = planning.plan(actor("ingrid.bygdoy"), task_id, plan_input())
    uid = m.uid
    moved = planning.move(actor("leder.bygdoy"), m.id, plan_input(day="2026-01-22", who=("kari.gamleoslo",)), 0)
    assert (moved.uid, moved.sequence) == (uid, 1)
    assert {p.user_id for p in moved.participants} == {user("ingrid.bygdoy").id, user("kari.gamleoslo").id}
    ev = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.type == "meeting.moved")).one()
    assert ev.data["removed_user_ids"] == [user("beboer.test").id]
    with pytest.raises(Conflict):
        planning.move(actor("ingrid.bygdoy"), m.id, plan_input(day="2026-01-23"), 0)      # made against seq 0
    with pytest.raises(Conflict):
        planning.cancel(actor("ingrid.bygdoy"), m.id, 0)
    with pytest.raises(Forbidden):
        planning.cancel(actor("kari.gamleoslo"), m.id, 1)                                 # not the convenor
    done = planning.cancel(actor("ingrid.bygdoy"), m.id, 1)
    assert (done.status, done.sequence) == (CANCELLED, 2)
    with pytest.raises(Conflict):
        planning.move(actor("ingrid.bygdoy"), m.id, plan_input(), 2)
    # a cancelled meeting may be planned again, as a new meeting with a new UID
    again = planning.plan(actor("ingrid.bygdoy"), task_id, plan_input(day="2026-01-27"))
    assert again.uid != uid and again.sequence == 0


def test_completing_the_minutes_marks_the_meeting_held_and_a_missing_obliged_party_shows(routine, clock):
    case_id, task_id = open_first_meeting(routine, clock)
    m = planning.plan(actor("ingrid.bygdoy"), task_id, plan_input())
    clock.at("2026-01-20", 12)
    routine.complete(case_id, "forste_samarbeidsmote", motedato="2026-01-20", bydelen_deltok=False, beboer_deltok=True)
    db.session.expire_all()
    held = db.session.get(Meeting, m.id)
    assert (held.status, held.held_on) == (HELD, date(2026, 1, 20))
    assert (held.bydel_attended, held.institution_attended, held.resident_attended) == (False, True, True)
    case = routine.case(case_id)
    missed = views.missed(case)
    assert [(x.title, x.party, x.held_on) for x in missed] == [("Første samarbeidsmøte", "bydel", date(2026, 1, 20))]


def test_minutes_without_a_plan_still_count_and_attending_clears_the_marker(routine, clock):
    case_id, _task_id = open_first_meeting(routine, clock)
    clock.at("2026-01-20", 12)
    routine.complete(case_id, "forste_samarbeidsmote", motedato="2026-01-20", bydelen_deltok=True)
    assert views.missed(routine.case(case_id)) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 0
