"""Deadlines from case dates: Oslo days stored as UTC, DST, calendar months, working-day rule,
and broken timers recorded with their reason instead of being lost."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa

from engine.processes import deployments
from engine.timers import worker as timer_worker
from engine.bpmn.deadlines import due_date, frist
from engine.extensions import db
from engine.store.models import Timer
from tests.conftest import FIXTURES
from tests.timers.helpers import case_at_plan, fired_events


@pytest.mark.parametrize("anchor, period, virkedag, expected", [
    ("2026-03-15", "P14D", False, "2026-03-29T22:00:00+00:00"),   # last Sunday of March: summer time from 02:00
    ("2026-03-14", "P14D", False, "2026-03-28T23:00:00+00:00"),   # the day before: still winter time
    ("2026-10-11", "P14D", False, "2026-10-25T23:00:00+00:00"),   # last Sunday of October: winter time again
    ("2026-10-10", "P14D", False, "2026-10-24T22:00:00+00:00"),
    ("2026-01-31T10:00:00+01:00", "P1M", False, "2026-02-28T23:00:00+00:00"),   # calendar month, not 30 days
    ("2028-01-31", "P1M", False, "2028-02-29T23:00:00+00:00"),    # leap year
    ("2026-01-31", "P4M", False, "2026-05-31T22:00:00+00:00"),    # «innen 4 måneder etter T0»
    ("2027-05-03", "P14D", True, "2027-05-18T22:00:00+00:00"),    # 17 May (Monday) → 18 May
    ("2026-03-19", "P14D", True, "2026-04-07T22:00:00+00:00"),    # Maundy Thursday → after Easter Monday
    ("2026-03-19", "P14D", False, "2026-04-02T22:00:00+00:00"),   # without the rule: the holiday itself
    ("2026-05-02", "P14D", True, "2026-05-18T22:00:00+00:00"),    # Saturday 16 May → Monday 18 May
])
def test_frist_is_the_oslo_midnight_after_the_last_day(anchor, period, virkedag, expected):
    assert frist(anchor, period, virkedag=virkedag) == expected


def test_an_aware_anchor_late_in_the_evening_counts_from_its_oslo_day():
    # 23:30 UTC on 31 January is already 1 February in Oslo
    assert due_date(datetime(2026, 1, 31, 23, 30, tzinfo=timezone.utc), "P1M") == date(2026, 3, 1)


def _deploy_variant(expression: str):
    text = (FIXTURES / "tre_baner.bpmn").read_text().replace('frist(innflytting, "P14D")', expression)
    files = {"tre_baner.bpmn": text.encode(), "enkel.schema.json": (FIXTURES / "enkel.schema.json").read_bytes()}
    return deployments.deploy(files, None).versions[0]


def test_deadline_across_the_spring_dst_change_fires_at_the_right_utc_instant(api, tre_baner, clock_at):
    clock_at(2026, 3, 10, 9)
    case = case_at_plan(api, "2026-03-15")
    clock_at(2026, 3, 29, 21, 59, 59)      # 23:59:59 summer time on the last day
    assert timer_worker.drain().timers_fired == 0
    clock_at(2026, 3, 29, 22, 0, 1)
    assert timer_worker.drain().timers_fired == 1
    assert fired_events(case["id"])[0].data["due_at"] == "2026-03-29T22:00:00+00:00"


def test_working_day_rule_configured_in_the_diagram(api, users, clock_at):
    clock_at(2027, 5, 1, 9)
    _deploy_variant('frist(innflytting, "P14D", virkedag=True)')
    case = case_at_plan(api, "2027-05-03")
    due = db.session.scalar(sa.select(Timer.due_at).where(Timer.case_id == case["id"]))
    assert due.replace(tzinfo=timezone.utc) == datetime(2027, 5, 18, 22, tzinfo=timezone.utc)


@pytest.mark.parametrize("expression, reason_part", [
    ('frist(innflytting, "P" + deler + "X")', "ugyldig periode"),   # a period from case data
    ('frist(utflytting, "P14D")', "utflytting"),                 # the anchor date is not in the case
])
def test_broken_timer_is_recorded_with_reason_and_listed(api, users, clock_at, expression, reason_part):
    clock_at(2026, 3, 1, 9)
    _deploy_variant(expression)
    case = case_at_plan(api)
    row = db.session.scalar(sa.select(Timer).where(Timer.case_id == case["id"]))
    assert row.due_at is None and reason_part in row.broken_reason
    body = api("kari.gamleoslo").get("/api/v1/timers?state=broken").json
    assert [(t["case_id"], t["element_id"]) for t in body["timers"]] == [(case["id"], "plan_frist")]
    assert reason_part in body["timers"][0]["broken_reason"]
    assert api("ola.grunerlokka").get("/api/v1/timers?state=broken").json["timers"] == []   # other bydel
    assert api("beboer.test").get("/api/v1/timers?state=broken").status_code == 403
    out = api  # the CLI lists it too
    runner_out = _cli(["timers", "list", "--state", "broken"])
    assert "BRUTT" in runner_out and reason_part in runner_out
    clock_at(2030, 1, 1)
    assert timer_worker.drain().cases_woken == 0        # never fired, never dropped


def _cli(args):
    from flask import current_app
    return current_app.test_cli_runner().invoke(args=args).output


def test_timers_endpoint_lists_due_and_overdue_and_refuses_unknown_state(api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    case = case_at_plan(api)
    clock_at(2026, 3, 16)
    due = api("admin").get("/api/v1/timers?state=due").json
    assert [t["case_id"] for t in due["timers"]] == [case["id"]]       # due, not yet fired: a backlog
    assert api("ola.grunerlokka").get("/api/v1/timers?state=due").json["timers"] == []
    timer_worker.drain()
    assert api("admin").get("/api/v1/timers?state=due").json["timers"] == []
    overdue = api("leder.bygdoy").get("/api/v1/timers?state=overdue").json["overdue_tasks"]
    assert [t["element_id"] for t in overdue] == ["plan"]
    assert api("admin").get("/api/v1/timers?state=nonsense").status_code == 400   # outside the query's schema


@pytest.mark.parametrize("expression", ['"14 dager"', '"2026-02-30T00:00:00+01:00"', "42",
                                        'frist(innflytting, "14 dager")'])
def test_a_constant_timer_expression_that_is_not_a_date_or_duration_is_refused_at_deploy(users, expression):
    from engine.errors import DeploymentInvalid
    with pytest.raises(DeploymentInvalid) as info:
        _deploy_variant(expression)
    assert [p.element_id for p in info.value.problems] == ["plan_frist"]


def test_cycle_timer_is_projected_as_cycle_and_each_firing_is_recorded(api, users, clock_at):
    text = (FIXTURES / "tre_baner.bpmn").read_text().replace(
        '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">frist(innflytting, "P14D")</bpmn:timeDate>',
        '<bpmn:timeCycle xsi:type="bpmn:tFormalExpression">"R2/2026-03-05T00:00:00+00:00/P1D"</bpmn:timeCycle>')
    deployments.deploy({"tre_baner.bpmn": text.encode(),
                        "enkel.schema.json": (FIXTURES / "enkel.schema.json").read_bytes()}, None)
    clock_at(2026, 3, 1, 9)
    case = case_at_plan(api)
    row = db.session.scalar(sa.select(Timer).where(Timer.case_id == case["id"]))
    assert row.kind == "cycle" and row.due_at.replace(tzinfo=timezone.utc) == datetime(2026, 3, 5, tzinfo=timezone.utc)
    clock_at(2026, 3, 5, 0, 0, 1)
    assert timer_worker.drain().timers_fired == 1
    row = db.session.scalar(sa.select(Timer).where(Timer.case_id == case["id"]))
    assert row.due_at.replace(tzinfo=timezone.utc) == datetime(2026, 3, 6, tzinfo=timezone.utc)
    clock_at(2026, 3, 7)
    assert timer_worker.drain().timers_fired == 1
    row = db.session.scalar(sa.select(Timer).where(Timer.case_id == case["id"]))
    assert row.due_at is None and row.broken_reason is None      # finished cycle: waits for its host, never due
    assert [e.data["due_at"] for e in fired_events(case["id"])] == ["2026-03-05T00:00:00+00:00",
                                                                     "2026-03-06T00:00:00+00:00"]
    folg_opp = [t for t in api("leder.bygdoy").get("/api/v1/tasks").json if t["element_id"] == "folg_opp"]
    assert len(folg_opp) == 2                                     # one reminder task per firing
