"""Case changes ring the right people, once; the bell re-checks access; e-mail carries no health data."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from engine.access import rules as access
from engine.cases import unit_of_work
from engine.cases.changes import Change
from engine.extensions import db
from engine.notify import bell, delivery, scan
from engine.store.models import OpenTask
from engine.store.notify import Notification
from engine.timers import worker as timer_worker
from tests.timers.helpers import START, case_at_plan


def _kinds(users, username: str) -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == users[username].id)
                                   .order_by(Notification.id)))


def _open(api) -> dict:
    r = api("kari.gamleoslo").post("/api/v1/cases", json={**START, "data": {**START["data"], "innflytting": "2026-12-01"}})
    assert r.status_code == 201, r.json
    return r.json


def test_a_new_task_rings_its_lane_only(api, tre_baner, users):
    case = _open(api)
    assert _kinds(users, "kari.gamleoslo") == ["task.new"] and _kinds(users, "leder.gamleoslo") == ["task.new"]
    for other in ("ola.grunerlokka", "ingrid.bygdoy", "beboer.test", "admin"):
        assert _kinds(users, other) == [], other
    registrer = next(t for t in case["tasks"] if t["element_id"] == "registrer")
    link = db.session.scalar(sa.select(Notification.link).where(Notification.user_id == users["kari.gamleoslo"].id))
    assert link == f"/oppgaver/{registrer['id']}"
    api("kari.gamleoslo").post(f"/api/v1/tasks/{registrer['id']}/complete", json={"data": {}})
    assert _kinds(users, "beboer.test") == ["task.new"]       # the resident's lane: the resident, at «Min side»
    assert db.session.scalar(sa.select(Notification.link).where(Notification.user_id == users["beboer.test"].id)) == "/min-side"


def test_deadlines_soon_and_missed_once_each(api, tre_baner, users, clock_at):
    traveller = clock_at(2026, 3, 1, 9)
    case_at_plan(api, "2026-03-01")                             # «plan» is due 14 days after innflytting
    assert _kinds(users, "ingrid.bygdoy") == ["task.new"]
    due = db.session.scalar(sa.select(OpenTask.due_at).where(OpenTask.element_id == "plan"))
    assert due is not None
    traveller.move_to(due - timedelta(days=8))
    scan.run_due(force=True)
    assert _kinds(users, "ingrid.bygdoy") == ["task.new"]       # not yet 7 days
    traveller.move_to(due - timedelta(days=6))
    scan.run_due(force=True)
    scan.run_due(force=True)
    assert _kinds(users, "ingrid.bygdoy") == ["task.new", "deadline.soon"]
    assert _kinds(users, "leder.bygdoy") == ["task.new", "deadline.soon"]
    traveller.move_to(due + timedelta(hours=1))
    timer_worker.drain()                                         # the deadline timer fires: «missed» in its commit
    scan.run_due(force=True)
    assert _kinds(users, "ingrid.bygdoy") == ["task.new", "deadline.soon", "deadline.missed"]
    # «Følg opp frist» needs a leader: only the leader gets it
    assert _kinds(users, "leder.bygdoy") == ["task.new", "deadline.soon", "deadline.missed", "task.new"]


def test_assigned_and_mentioned(api, tre_baner, users, ctx):
    case = case_at_plan(api)
    plan = next(t for t in api("ingrid.bygdoy").get("/api/v1/tasks").json if t["case_id"] == case["id"])
    from engine.cases import worklist
    worklist.assign(access.actor_for(users["leder.bygdoy"]), plan["id"], users["ingrid.bygdoy"].id)
    assert _kinds(users, "ingrid.bygdoy")[-1] == "task.assigned"
    # a mention as helper «collab» records it: only users who may read the case are told
    unit_of_work.run_change_hooks(case["id"], [Change("comment.mentioned", data={
        "user_ids": [users["kari.gamleoslo"].id, users["ola.grunerlokka"].id], "comment_id": 7})])
    db.session.commit()
    assert _kinds(users, "kari.gamleoslo")[-1] == "comment.mentioned"
    assert "comment.mentioned" not in _kinds(users, "ola.grunerlokka")
    unit_of_work.run_change_hooks(case["id"], [Change("meeting.planned", data={
        "meeting_id": 3, "user_ids": [users["ingrid.bygdoy"].id, users["beboer.test"].id], "sequence": 0})])
    unit_of_work.run_change_hooks(case["id"], [Change("meeting.moved", data={
        "meeting_id": 3, "user_ids": [users["ingrid.bygdoy"].id], "sequence": 1})])
    db.session.commit()
    assert _kinds(users, "ingrid.bygdoy")[-2:] == ["meeting.planned", "meeting.moved"]
    assert _kinds(users, "beboer.test")[-1] == "meeting.planned"


def test_the_bell_counts_only_cases_still_readable(api, tre_baner, users):
    _open(api)
    kari = access.actor_for(users["kari.gamleoslo"])
    assert bell.unread_count(kari) == 1
    rows, more = bell.page(kari)
    assert [r.kind for r in rows] == ["task.new"] and not more
    users["kari.gamleoslo"].organisation_id = users["ola.grunerlokka"].organisation_id   # moved to another bydel
    db.session.commit()
    moved = access.actor_for(users["kari.gamleoslo"])
    assert bell.unread_count(moved) == 0 and bell.page(moved)[0] == []
    assert bell.mark_all_read(kari) == 1 and bell.unread_count(kari) == 0


def test_immediate_mail_has_no_health_data(api, tre_baner, users, smtp_app, smtp_server, clock_at):
    clock_at(2026, 11, 30, 9)
    case = case_at_plan(api, "2026-12-29")
    delivery.deliver_due()
    msgs = smtp_server.wait_for(5)
    to = sorted(r[0] for r in smtp_server.recipients)
    assert to == sorted(f"{u}@tilbolig.test" for u in ("kari.gamleoslo", "leder.gamleoslo", "beboer.test",
                                                        "ingrid.bygdoy", "leder.bygdoy"))
    for m in msgs:
        body = m.get_content()
        for secret in ("Tore", "Testbeboer", "Bygdøy", "Gamle Oslo", "innflytting", "2026-03-01", "Lag plan"):
            assert secret not in body and secret not in m["Subject"], (secret, body)
        assert len(body) < 600
        assert "http://localhost:5000/" in body
    assert any(f"/saker/{case['id']}" in m.get_content() or "/oppgaver/" in m.get_content() for m in msgs)


def test_one_digest_per_user_per_day(api, tre_baner, users, smtp_app, smtp_server, clock_at):
    traveller = clock_at(2026, 11, 30, 5)                        # 06:00 in Oslo
    for name in ("kari.gamleoslo", "leder.gamleoslo"):
        bell.set_preference(access.actor_for(users[name]), "digest")
    _open(api)
    _open(api)
    scan.send_digests(datetime.now(timezone.utc))
    delivery.deliver_due()
    assert smtp_server.messages == []                            # before 07:00 Oslo: nothing
    traveller.move_to(datetime(2026, 11, 30, 6, 0, tzinfo=timezone.utc))   # 07:00 Oslo
    scan.run_due(force=True)
    scan.run_due(force=True)
    delivery.deliver_due()
    first = smtp_server.wait_for(2)
    assert sorted(m["To"] for m in first) == ["kari.gamleoslo@tilbolig.test", "leder.gamleoslo@tilbolig.test"]
    assert all(m["Subject"] == "tilbolig: 2 nye varsler" and m.get_content().count("Ny oppgave i din kø") == 2
               for m in first)
    _open(api)                                                   # later the same day: waits for tomorrow
    traveller.move_to(datetime(2026, 11, 30, 20, tzinfo=timezone.utc))
    scan.run_due(force=True)
    delivery.deliver_due()
    assert len(smtp_server.messages) == 2
    traveller.move_to(datetime(2026, 12, 1, 6, 30, tzinfo=timezone.utc))
    scan.run_due(force=True)
    delivery.deliver_due()
    second = smtp_server.wait_for(4)[2:]
    assert sorted(m["To"] for m in second) == ["kari.gamleoslo@tilbolig.test", "leder.gamleoslo@tilbolig.test"]
    assert all(m["Subject"] == "tilbolig: 1 nytt varsel" for m in second)
    for m in [*first, *second]:
        assert "Tore" not in m.get_content()


def test_a_user_who_turned_mail_off_gets_no_digest(api, tre_baner, users, smtp_app, smtp_server, clock_at):
    traveller = clock_at(2026, 11, 30, 5)
    kari = access.actor_for(users["kari.gamleoslo"])
    bell.set_preference(kari, "digest")
    _open(api)
    bell.set_preference(kari, "off")
    traveller.move_to(datetime(2026, 11, 30, 7, tzinfo=timezone.utc))
    scan.run_due(force=True)
    delivery.deliver_due()
    assert "kari.gamleoslo@tilbolig.test" not in [m["To"] for m in smtp_server.messages]
    assert bell.unread_count(kari) == 1                         # still under the bell
