"""Outbound: signed events reach a real receiver on 127.0.0.1, in order, once; retries, dead letters."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from standardwebhooks import Webhook

from engine.timers import worker as timer_worker
from engine import cases
from engine.events import outbox
from engine.events import worker as events_worker
from engine.extensions import db
from engine.store.webhooks import OutboxEvent
from tests.webhooks.helpers import SECRET, complete, open_case


def _states() -> list[tuple[str, str]]:
    return [(r.event_type, r.state) for r in db.session.scalars(sa.select(OutboxEvent).order_by(OutboxEvent.id))]


def test_events_arrive_signed_and_carry_no_personal_data(api, venter, receiver, subscribe, clock_at):
    clock_at(2026, 3, 1, 9)
    subscribe(receiver)
    case = open_case(api)
    assert outbox.deliver_due().delivered == 2
    assert receiver.types() == ["case.opened", "task.created"]
    for msg in receiver.received:
        payload = Webhook(SECRET).verify(msg.body, msg.headers)   # the receiver's own check
        assert payload["data"]["case_id"] == case["id"]
        assert payload["data"]["links"]["case"] == f"/api/v1/cases/{case['id']}"
        assert b"Tore" not in msg.body and b"Testbeboer" not in msg.body
        assert msg.headers["webhook-id"] == payload["data"]["id"]
    opened, created = (m.json for m in receiver.received)
    assert opened["data"]["process_key"] == "venter_pa_bolig" and opened["timestamp"].startswith("2026-03-01T09:00")
    assert created["data"]["element_id"] == "soknad" and created["data"]["lane"] == "bydel"
    assert created["data"]["links"]["task"] == f"/api/v1/tasks/{created['data']['task_id']}"
    assert _states() == [("case.opened", "delivered"), ("task.created", "delivered")]


def test_only_the_subscribed_types_are_queued(api, venter, receiver, subscribe, clock_at):
    clock_at(2026, 3, 1, 9)
    subscribe(receiver, ["task.completed"])
    case = open_case(api)
    complete(api, case, "soknad")
    assert [t for t, _ in _states()] == ["task.completed"]


def test_receiver_down_then_up_every_event_once_in_order_per_case(api, venter, receiver, subscribe, clock_at):
    traveller = clock_at(2026, 3, 1, 9)
    subscribe(receiver)
    first, second = open_case(api, "A-1"), open_case(api, "A-2")
    complete(api, first, "soknad")
    port = receiver.port
    receiver.stop()                                         # down: connection refused
    report = outbox.deliver_due()
    # Only the head of each case's queue was tried; the later events wait behind it.
    assert (report.delivered, report.retried) == (0, 2)
    for _ in range(3):                                      # still down across three backoff periods
        traveller.shift(timedelta(hours=1))
        assert outbox.deliver_due().retried == 2
    assert outbox.deliver_due().attempted == 0              # nothing due before the backoff ends
    receiver.port = port
    receiver.start()                                        # up again, same address
    traveller.shift(timedelta(hours=1))
    while outbox.deliver_due().attempted:
        pass
    ids = [m.headers["webhook-id"] for m in receiver.received]
    assert len(ids) == len(set(ids)) == 5                  # every event exactly once
    per_case: dict[int, list[str]] = {}
    for m in receiver.received:
        per_case.setdefault(m.json["data"]["case_id"], []).append(m.json["type"])
    assert per_case[first["id"]] == ["case.opened", "task.created", "task.completed"]
    assert per_case[second["id"]] == ["case.opened", "task.created"]
    assert {s for _, s in _states()} == {"delivered"}


def test_backoff_grows_and_gives_up_after_max_attempts(api, venter, receiver, subscribe, clock_at, wh):
    from engine import clock
    traveller = clock_at(2026, 3, 1, 9)
    wh.config["WEBHOOK_MAX_ATTEMPTS"] = 4
    receiver.status = 503
    subscribe(receiver, ["case.opened"])
    open_case(api)
    for attempt in range(1, 5):
        assert outbox.deliver_due().attempted == 1
        assert outbox.deliver_due().attempted == 0          # not again before its time
        row = db.session.scalar(sa.select(OutboxEvent))
        if attempt < 4:
            wait = (clock.as_utc(row.next_attempt_at) - clock.now()).total_seconds()
            nominal = 10 * 2 ** (attempt - 1)                  # base · 2^(n-1) ± 20 % jitter
            assert 0.8 * nominal <= wait <= 1.2 * nominal, (attempt, wait)
            traveller.shift(timedelta(seconds=wait + 0.01))
    row = db.session.scalar(sa.select(OutboxEvent))
    assert row.state == "dead" and row.attempts == 4 and row.last_status == 503
    assert len(receiver.received) == 4 and len({m.headers["webhook-id"] for m in receiver.received}) == 1


def test_a_400_goes_straight_to_dead_letter_and_can_be_redelivered(api, venter, receiver, subscribe, clock_at):
    clock_at(2026, 3, 1, 9)
    receiver.statuses = [400]
    subscribe(receiver, ["case.opened"])
    open_case(api)
    assert outbox.deliver_due().dead == 1
    dead = api("admin").get("/api/v1/webhooks/deliveries?state=dead").json
    assert len(dead) == 1 and dead[0]["last_status"] == 400 and dead[0]["attempts"] == 1
    assert api("kari.gamleoslo").get("/api/v1/webhooks/deliveries").status_code == 403
    r = api("admin").post(f"/api/v1/webhooks/deliveries/{dead[0]['id']}/redeliver")
    assert r.status_code == 200 and r.json["state"] == "pending"
    assert api("admin").post(f"/api/v1/webhooks/deliveries/{dead[0]['id']}/redeliver").status_code == 409
    assert outbox.deliver_due().delivered == 1
    assert [m.headers["webhook-id"] for m in receiver.received] == [dead[0]["webhook_id"]] * 2
    assert api("admin").get("/api/v1/webhooks/deliveries?state=dead").json == []


@pytest.mark.parametrize("status", [408, 429, 500])
def test_timeouts_throttling_and_server_errors_are_retried(api, venter, receiver, subscribe, clock_at, status):
    clock_at(2026, 3, 1, 9)
    receiver.statuses = [status]
    subscribe(receiver, ["case.opened"])
    open_case(api)
    assert outbox.deliver_due().retried == 1


def test_redirects_are_not_followed(api, venter, receiver, subscribe, clock_at):
    clock_at(2026, 3, 1, 9)
    receiver.statuses = [302]
    subscribe(receiver, ["case.opened"])
    open_case(api)
    assert outbox.deliver_due().dead == 1 and len(receiver.received) == 1


def test_a_rolled_back_transaction_emits_nothing(api, venter, receiver, subscribe, clock_at, monkeypatch):
    from sqlalchemy.exc import OperationalError
    clock_at(2026, 3, 1, 9)
    subscribe(receiver)
    case = open_case(api)
    before = _states()
    import sqlite3

    from engine.cases import unit_of_work
    locked = sqlite3.OperationalError("database is locked")
    locked.sqlite_errorcode = sqlite3.SQLITE_BUSY      # a conflict by its result code, not its text

    def enqueue_then_fail(case_, changes):
        assert outbox.enqueue(case_, changes) > 0        # the rows were written in this transaction …
        raise OperationalError("COMMIT", {}, locked)     # … which then fails
    monkeypatch.setattr(unit_of_work.hooks(), "on_changes", [enqueue_then_fail])
    r = api("kari.gamleoslo").post(f"/api/v1/tasks/{case['tasks'][0]['id']}/complete", json={"data": {}})
    assert r.status_code == 409
    monkeypatch.undo()
    db.session.rollback()
    assert _states() == before                          # nothing queued by the failed step
    outbox.deliver_due()
    assert receiver.types() == ["case.opened", "task.created"]
    assert api("kari.gamleoslo").get(f"/api/v1/cases/{case['id']}").json["version"] == case["version"]


def test_an_engine_error_is_published_as_case_error(api, tre_baner, receiver, subscribe, clock_at):
    clock_at(2026, 3, 1, 9)
    subscribe(receiver, ["case.error"])
    r = api("kari.gamleoslo").post("/api/v1/cases", json={
        "process_key": "tre_baner", "bydel": "gamle-oslo", "institution": "bygdoy",
        "resident": {"name": "Tore Testbeboer", "username": "beboer.test"},
        "data": {"innflytting": "2026-03-01", "deler": "0"}})
    case = r.json
    case = complete(api, case, "registrer")
    task = next(t for t in case["tasks"] if t["element_id"] == "samtykke")
    assert api("beboer.test").post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {}}).status_code == 422
    outbox.deliver_due()
    assert receiver.types() == ["case.error"]
    data = receiver.received[0].json["data"]
    assert data["element_id"] == "beregn" and "message" not in data and "division" not in receiver.received[0].body.decode()


def test_closing_a_case_is_published_as_case_closed(api, venter, receiver, subscribe, clock_at):
    clock_at(2026, 3, 1, 9)
    subscribe(receiver, ["case.closed"])
    case = complete(api, open_case(api), "soknad")
    cases.deliver_message(None, case["id"], "bolig_tilbudt", {"dato": "2026-04-01"})
    db.session.commit()
    case = api("kari.gamleoslo").get(f"/api/v1/cases/{case['id']}").json
    complete(api, case, "flytt")
    outbox.deliver_due()
    assert receiver.types() == ["case.closed"] and receiver.received[0].json["data"]["outcome"] == "completed"


def test_a_crash_after_commit_is_delivered_by_the_next_worker(api, venter, receiver, subscribe, clock_at, app):
    clock_at(2026, 3, 1, 9)
    subscribe(receiver, ["case.opened"])
    open_case(api)                 # committed; the process "dies" before any worker ran
    db.session.remove()
    assert receiver.received == []
    with app.app_context():        # a fresh worker process: only the database is shared
        assert outbox.deliver_due().delivered == 1
    assert receiver.types() == ["case.opened"]


def test_a_worker_that_died_mid_delivery_releases_its_lease(api, venter, receiver, subscribe, clock_at):
    traveller = clock_at(2026, 3, 1, 9)
    subscribe(receiver, ["case.opened"])
    open_case(api)
    assert len(outbox._claim(10)) == 1        # claimed, then the worker died before sending
    assert outbox.deliver_due().attempted == 0  # leased: another worker leaves it alone
    traveller.shift(timedelta(seconds=61))
    assert outbox.deliver_due().delivered == 1
    assert len(receiver.received) == 1


def test_the_scheduler_tick_delivers_and_never_raises(api, venter, receiver, subscribe, clock_at, monkeypatch):
    clock_at(2026, 3, 1, 9)
    subscribe(receiver, ["case.opened"])
    open_case(api)
    events_worker.tick()
    assert receiver.types() == ["case.opened"]

    def broken(*a, **kw):
        raise RuntimeError("database gone")
    monkeypatch.setattr(outbox, "deliver_due", broken)
    events_worker.tick()                # logged, not raised: the scheduler keeps ticking


def test_concurrent_workers_deliver_each_event_once_in_order(api, venter, receiver, subscribe, clock_at, app):
    import threading
    clock_at(2026, 3, 1, 9)
    subscribe(receiver)
    opened = [open_case(api, f"K-{i}") for i in range(6)]
    for case in opened:
        complete(api, case, "soknad")
    expected = len(db.session.scalars(sa.select(OutboxEvent.id)).all())
    db.session.remove()
    errors = []

    def worker():
        try:
            with app.app_context():
                for _ in range(50):
                    outbox.deliver_due(batch=3)
                db.session.remove()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    ids = [m.headers["webhook-id"] for m in receiver.received]
    assert len(ids) == len(set(ids)) == expected == 6 * 3
    for case in opened:
        assert [m.json["type"] for m in receiver.received if m.json["data"]["case_id"] == case["id"]] == \
            ["case.opened", "task.created", "task.completed"]


def test_deadline_changed_and_overdue_carry_dates_but_not_the_reason(api, tre_baner, receiver, subscribe, clock_at):
    from datetime import timedelta
    traveller = clock_at(2026, 3, 1, 9)
    subscribe(receiver, ["deadline.changed", "deadline.overdue"])
    r = api("kari.gamleoslo").post("/api/v1/cases", json={
        "process_key": "tre_baner", "bydel": "gamle-oslo", "institution": "bygdoy",
        "resident": {"name": "Tore Testbeboer", "username": "beboer.test"},
        "data": {"innflytting": "2026-03-01", "deler": "4"}})
    case = complete(api, r.json, "registrer")
    task = next(t for t in case["tasks"] if t["element_id"] == "samtykke")
    assert api("beboer.test").post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {}}).status_code == 200
    r = api("ingrid.bygdoy").post(f"/api/v1/cases/{case['id']}/deadlines/plan",
                                  json={"due_date": "2026-03-20", "reason": "Beboeren Tore er syk"})
    assert r.status_code in (200, 201), r.json
    traveller.shift(timedelta(days=30))
    assert timer_worker.drain().cases_woken == 1
    outbox.deliver_due()
    assert receiver.types() == ["deadline.changed", "deadline.overdue"]
    changed, overdue = (m.json["data"] for m in receiver.received)
    assert changed["deadline"] == "plan" and changed["new_date"] == "2026-03-20" and changed["old_due_at"]
    assert overdue["deadline"] == "plan" and overdue["due_at"].startswith("2026-03-20")
    assert all(b"syk" not in m.body and b"Tore" not in m.body for m in receiver.received)


def test_flask_worker_delivers_webhooks_too(api, venter, receiver, subscribe, clock_at, app, ctx):
    """One worker command runs timers *and* the outbox: a separate web process need not tick."""
    clock_at(2026, 3, 1, 9)
    subscribe(receiver, ["case.opened"])
    open_case(api)
    db.session.remove()
    out = ctx.test_cli_runner().invoke(args=["worker", "--once", "--name", "cli-test"]).output
    assert "tidtaker(e) utløst" in out
    assert receiver.types() == ["case.opened"]
