"""Stuck cases: each kind is listed with its reason; filters; the system panel; admin only."""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa

from engine.timers import worker as timer_worker
from engine.extensions import db
from engine.store.models import Case
from tests.ops.helpers import errored, open_case, reasons, stuck, to_plan


def test_failing_script_is_listed_as_error_with_element_and_since(api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    case = errored(api)
    rows = stuck(api)
    row = next(r for r in rows if r["case_id"] == case["id"])
    reason = row["reasons"][0]
    assert reason["kind"] == "error" and reason["element_id"] == "beregn"
    assert "division" in reason["detail"] and reason["since"].startswith("2026-03-01T09:00")
    assert row["bydel"] == "gamle-oslo" and row["process_version"] == 1


def test_overdue_deadline_is_listed_after_the_clock_passes_it(api, tre_baner, clock_at):
    traveller = clock_at(2026, 3, 1, 9)
    case = to_plan(api)
    assert reasons(stuck(api), case["id"]) == set()
    traveller.move_to(datetime(2026, 3, 20, 9, tzinfo=timezone.utc))
    from engine import cases
    assert timer_worker.drain().cases_woken == 1
    assert reasons(stuck(api), case["id"]) == {"overdue"}


def test_idle_case_is_listed_after_configured_days(api, tre_baner, clock_at, app):
    traveller = clock_at(2026, 3, 1, 9)
    case = open_case(api)
    traveller.move_to(datetime(2026, 3, 20, tzinfo=timezone.utc))
    assert reasons(stuck(api), case["id"]) == set()          # default 30 days
    app.config["IDLE_DAYS"] = {"tre_baner": 10}
    try:
        rows = stuck(api, reason="idle")
        assert reasons(rows, case["id"]) == {"idle"}
    finally:
        app.config.pop("IDLE_DAYS")
    traveller.move_to(datetime(2026, 4, 5, tzinfo=timezone.utc))
    assert reasons(stuck(api), case["id"]) == {"idle"}


def test_broken_timer_is_listed_with_its_reason(api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    case = to_plan(api, innflytting=None)
    rows = stuck(api, reason="broken_timer")
    assert reasons(rows, case["id"]) == {"broken_timer"}
    assert next(r for r in rows if r["case_id"] == case["id"])["reasons"][0]["element_id"] == "plan_frist"


def test_message_wait_is_listed_when_only_a_message_is_awaited(api, tre_baner, clock_at, monkeypatch):
    traveller = clock_at(2026, 3, 1, 9)
    case = open_case(api)
    # Simulate a case parked at a message catch: no open tasks, no timers, a message awaited.
    from engine import cases
    from engine.store.models import OpenTask
    db.session.execute(sa.delete(OpenTask).where(OpenTask.case_id == case["id"]))
    db.session.commit()
    monkeypatch.setattr(cases, "waiting_messages", lambda case_id: {"bolig_tilbudt"})
    traveller.move_to(datetime(2026, 4, 15, tzinfo=timezone.utc))
    assert reasons(stuck(api), case["id"]) == set()          # 45 days < 60
    traveller.move_to(datetime(2026, 5, 15, tzinfo=timezone.utc))
    rows = stuck(api)
    assert reasons(rows, case["id"]) == {"message_wait"}
    assert "bolig_tilbudt" in rows[0]["reasons"][0]["detail"]


def test_filters_by_reason_version_bydel_institution(api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    bad = errored(api)
    broken = to_plan(api, innflytting=None)
    assert {r["case_id"] for r in stuck(api)} == {bad["id"], broken["id"]}
    assert [r["case_id"] for r in stuck(api, reason="error")] == [bad["id"]]
    assert stuck(api, bydel="grunerlokka") == []
    assert len(stuck(api, bydel="gamle-oslo", institution="bygdoy")) == 2
    assert len(stuck(api, process_version_id=tre_baner.id)) == 2
    assert stuck(api, process_version_id=tre_baner.id + 1000) == []
    r = api("admin").get("/api/v1/admin/stuck?reason=nonsense")
    assert r.status_code == 400 and "reason" in r.json["message"]     # a query outside its schema (#13)


def test_only_administrators_see_the_console(api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    errored(api)
    for user in ("kari.gamleoslo", "prosesseier", "beboer.test"):
        assert api(user).get("/api/v1/admin/stuck").status_code == 403
        assert api(user).get("/api/v1/admin/system").status_code == 403
    assert api(None).get("/api/v1/admin/stuck").status_code == 401


def test_system_panel_shows_a_stalled_scheduler(api, tre_baner, clock_at):
    traveller = clock_at(2026, 3, 1, 9)
    case = to_plan(api)
    from engine.store.timers import SchedulerHeartbeat
    db.session.add(SchedulerHeartbeat(worker="w1", started_at=datetime(2026, 3, 1, tzinfo=timezone.utc),
                                      last_tick_at=datetime(2026, 3, 1, 9, tzinfo=timezone.utc), ticks=5))
    db.session.commit()
    panel = api("admin").get("/api/v1/admin/system").json
    assert panel["timers_due_not_fired"] == 0 and panel["stalled"] is False
    assert panel["scheduler"]["age_seconds"] == 0
    traveller.move_to(datetime(2026, 3, 20, 9, tzinfo=timezone.utc))
    panel = api("admin").get("/api/v1/admin/system").json
    assert panel["timers_due_not_fired"] == 1 and panel["stalled"] is True
    assert panel["oldest_due_timer"]["case_id"] == case["id"]
    assert panel["oldest_due_timer"]["due_at"] == "2026-03-15T23:00:00+00:00"
    assert panel["scheduler"]["age_seconds"] == 19 * 86400
    assert panel["outbox"]["available"] is True and panel["outbox"]["pending"] == 0


def test_cli_stuck_lists_reasons(app, api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    case = errored(api)
    result = app.test_cli_runner().invoke(args=["admin", "stuck"])
    assert result.exit_code == 0, result.output
    assert f"{case['id']}\terror\terror" in result.output and "beregn" in result.output
    assert db.session.get(Case, case["id"]).status == "error"
