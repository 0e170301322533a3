"""The yearly livskvalitet survey end to end on the real diagrams, the timer worker's tick and a faked clock.

One January: the survey opens per bydel for exactly the residents in scope (in a stay or after T1,
not ended, not yet arrived); the registrations are due 31 May and escalate after it; the report
opens 1 June, is due 30 June (escalating after it), suppresses every group under 5, and is what
Velferdsetaten sees — per bydel and as the city total — while a bydel sees only its own survey.
"""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from engine import cases, clock, survey
from engine.clock import as_utc
from engine.access.rules import actor_for
from engine.errors import Forbidden
from engine.extensions import db
from engine.ops import lifecycle
from engine.processes import runtime_state
from engine.store.models import AccessLog, AuditEvent, Case, OpenTask, Organisation
from engine.survey import results
from engine.timers import worker
from tests.process.examples import henvisning

MAY_31_END = datetime(2027, 5, 31, 22, 0, tzinfo=UTC)     # the midnight after 31 May, Oslo summer time
JUNE_30_END = datetime(2027, 6, 30, 22, 0, tzinfo=UTC)


def _open(routine, t0: str, name: str, bydel: str = "gamle-oslo", user: str = "kari.gamleoslo") -> int:
    actor = actor_for(_user(user))
    return cases.open_case(actor, "institusjon_til_bolig", bydel, "bygdoy", {"name": name},
                           henvisning(t0)).id


def _user(username: str):
    from engine.access import users as lookup
    return lookup.by_username(username)


def _actor(username: str):
    return actor_for(_user(username))


def _registrations(case_id: int) -> dict[int, OpenTask]:
    """Open registrations of a survey instance by the resident's case id (from each instance's data)."""
    db.session.expire_all()
    case = db.session.get(Case, case_id)
    wf = cases.read_workflow(case)
    engine = runtime_state.state().engine
    rows = db.session.scalars(sa.select(OpenTask).where(OpenTask.case_id == case_id,
                                                        OpenTask.element_id == "registrer_livskvalitet"))
    return {engine.task_data(wf, r.id)["beboer"]["sak_id"]: r for r in rows}


def _open_tasks(case_id: int) -> dict[str, OpenTask]:
    db.session.expire_all()
    return {r.element_id: r for r in db.session.scalars(sa.select(OpenTask).where(OpenTask.case_id == case_id))}


def _answer(task: OpenTask, username: str = "kari.gamleoslo", **values) -> None:
    data = {"maling_status": "gjennomfort", "livskvalitet_dato": clock.today_oslo().isoformat(), **values}
    cases.complete_task(_actor(username), task.id, data)


@pytest.fixture()
def cohort(routine, clock):
    """Gamle Oslo: 8 residents in a stay, 1 after T1, 1 not yet arrived, 1 ended; Grünerløkka: 1 in a stay."""
    staying = [_open(routine, "2026-11-10", f"Beboer {i}") for i in range(1, 9)]
    after_t1 = _open(routine, "2026-06-01", "Beboer etter utflytting")
    cases.deliver_message(_actor("kari.gamleoslo"), after_t1, "opphold_avsluttet",
                          {"arsak": "utskrevet_uten_bolig", "dato": "2026-11-20"})
    not_yet = _open(routine, "2027-02-01", "Beboer som ikke har flyttet inn")
    ended = _open(routine, "2026-10-01", "Beboer med avsluttet sak")
    lifecycle.terminate(_actor("admin"), ended, "Registrert ved en feil.")
    other = _open(routine, "2026-10-15", "Beboer i Grünerløkka", bydel="grunerlokka", user="ola.grunerlokka")
    return dict(staying=staying, after_t1=after_t1, not_yet=not_yet, ended=ended, other=other)


def _bydel_id(slug: str) -> int:
    return db.session.scalar(sa.select(Organisation.id).where(Organisation.slug == slug))


def test_the_year_of_a_survey(cohort, clock, app):
    # -- 31 December: nothing yet (the tick starts a year only from 1 January) --------------------
    clock.at("2026-12-31", 23, 50)
    worker.tick("test")
    assert survey.survey_cases(2027) == {}

    # -- 1 January, just after midnight: one instance per bydel, one registration per resident in scope
    clock.at("2027-01-01", 0, 1)
    worker.tick("test")
    instances = survey.survey_cases(2027)
    bydeler = db.session.scalars(sa.select(Organisation.id).where(Organisation.kind == "bydel")).all()
    assert set(instances) == set(bydeler)
    gamle_oslo = instances[_bydel_id("gamle-oslo")].id
    regs = _registrations(gamle_oslo)
    assert set(regs) == {*cohort["staying"], cohort["after_t1"]}           # not the future T0, not the ended case
    assert set(_registrations(instances[_bydel_id("grunerlokka")].id)) == {cohort["other"]}
    assert _registrations(instances[_bydel_id("frogner")].id) == {}        # a bydel with nobody still reports
    assert {as_utc(t.due_at) for t in regs.values()} == {MAY_31_END}  # open January–May, due 31 May
    assert all(t.lane == "bydel" and t.organisation_id == _bydel_id("gamle-oslo") for t in regs.values())
    assert db.session.get(Case, gamle_oslo).resident_name == "Livskvalitetsmåling 2027"

    # -- idempotent: the next tick and the CLI start nothing more -----------------------------------
    worker.tick("test")
    result = app.test_cli_runner().invoke(args=["survey", "start", "--year", "2027"])
    assert result.exit_code == 0 and "0 startet, 15 fantes fra før" in result.output
    assert len(survey.survey_cases(2027)) == len(bydeler)
    assert len(_registrations(gamle_oslo)) == 9

    # -- the bydel registers during the spring (six answered, one declined) ------------------------
    clock.at("2027-03-10", 10)
    scores = [6, 6, 5, 7, 5, 6]
    for case_id, score in zip(cohort["staying"][:6], scores, strict=True):
        _answer(regs[case_id], livet_samlet=score, mansa={"bolig": 6} if score == 7 else {})
    _answer(regs[cohort["staying"][6]], maling_status="avslatt")
    # a caseworker of another bydel can neither act on nor see Gamle Oslo's survey
    with pytest.raises(Exception) as refused:
        _answer(regs[cohort["staying"][7]], username="ola.grunerlokka")
    assert getattr(refused.value, "status", None) == 404
    theirs = survey.bydel_progress(_actor("ola.grunerlokka"), 2027)
    assert theirs.case_id == instances[_bydel_id("grunerlokka")].id and theirs.invited == 1
    mine = survey.bydel_progress(_actor("kari.gamleoslo"), 2027)
    assert (mine.invited, mine.done, mine.remaining, mine.overdue) == (9, 7, 2, 0)
    assert sorted(t["name"] for t in mine.open_tasks) == ["Beboer 8", "Beboer etter utflytting"]

    # -- 31 May is still the period; after it the open registrations are overdue and the leader follows up
    clock.at("2027-05-31", 23, 30)
    worker.tick("test")
    assert "leder_registrer_livskvalitet" not in _open_tasks(gamle_oslo)
    clock.at("2027-06-01", 0, 5)
    worker.tick("test")
    open_now = _open_tasks(gamle_oslo)
    assert open_now["leder_registrer_livskvalitet"].role == "leder"
    regs = _registrations(gamle_oslo)
    assert set(regs) == {cohort["staying"][7], cohort["after_t1"]}           # still open, now overdue
    assert all(t.overdue_at is not None and as_utc(t.due_at) == MAY_31_END for t in regs.values())
    mine = survey.bydel_progress(_actor("kari.gamleoslo"), 2027)
    assert (mine.done, mine.remaining, mine.overdue) == (7, 2, 2)
    # the report to Velferdsetaten opened on 1 June, for the leader, due 30 June
    report = open_now["rapporter_velferdsetaten"]
    assert report.role == "leder" and as_utc(report.due_at) == JUNE_30_END
    # a late registration is still taken: the resident could not be reached
    _answer(regs[cohort["after_t1"]], maling_status="ikke_nadd")

    # -- 30 June passes without a report: overdue, and the leader gets the follow-up ------------------
    clock.at("2027-07-01", 0, 5)
    worker.tick("test")
    open_now = _open_tasks(gamle_oslo)
    assert open_now["rapporter_velferdsetaten"].overdue_at is not None
    assert open_now["leder_rapporter_velferdsetaten"].role == "leder"
    # before any report, Velferdsetaten sees that nobody has sent one
    view = survey.city_view(_actor("radgiver.vel"), 2027)
    assert view.reports == [] and "Bydel Gamle Oslo" in view.missing and len(view.missing) == 15

    # -- the leader sends the report: counts only, every group under 5 withheld ---------------------
    with pytest.raises(Exception):   # a caseworker who is not a leader may not send it
        cases.complete_task(_actor("kari.gamleoslo"), open_now["rapporter_velferdsetaten"].id, {"bekreftet": True})
    cases.complete_task(_actor("leder.gamleoslo"), open_now["rapporter_velferdsetaten"].id, {"bekreftet": True})
    assert db.session.get(Case, gamle_oslo).status == cases.COMPLETED     # the count is final
    assert _open_tasks(gamle_oslo) == {}                                   # Beboer 8's registration closed
    sent = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.case_id == gamle_oslo,
                                                          AuditEvent.type == "survey.reported")).one()
    fig = results.Figures.from_dict(sent.data)
    assert fig.invited == 9
    # 6 answered; 1 declined, 1 not reached, 1 not registered are each under 5: withheld
    assert fig.statuses == {"gjennomfort": 6, "avslatt": None, "ikke_nadd": None, "ikke_registrert": None}
    assert fig.items["livet_samlet"] == {"1-3": 0, "4": 0, "5-7": 6}
    assert fig.items["bolig"] == {"1-3": 0, "4": 0, "5-7": None}          # one answer: withheld
    assert "Beboer" not in str(sent.data) and "navn" not in str(sent.data)  # nothing identifying leaves

    # -- Velferdsetaten: the city-wide result, who has not reported; the view is logged ---------------
    view = survey.city_view(_actor("radgiver.vel"), 2027)
    assert [name for name, _at, _fig in view.reports] == ["Bydel Gamle Oslo"]
    assert view.total.statuses["gjennomfort"] == 6 and view.total.invited == 9
    assert view.hidden_cells == 4 and "Bydel Gamle Oslo" not in view.missing and len(view.missing) == 14
    logged = db.session.scalars(sa.select(AccessLog.action).where(
        AccessLog.user_id == _user("radgiver.vel").id)).all()
    assert logged.count("survey.city:2027") == 2
    # … and nobody else sees the city view; Velferdsetaten sees no bydel's survey
    with pytest.raises(Forbidden):
        survey.city_view(_actor("leder.gamleoslo"), 2027)
    with pytest.raises(Forbidden):
        survey.bydel_progress(_actor("radgiver.vel"), 2027)
    with pytest.raises(Exception) as hidden:
        cases.get_case(_actor("radgiver.vel"), gamle_oslo, "read")
    assert getattr(hidden.value, "status", None) == 404


def test_a_year_is_started_by_the_cli_only_outside_january_to_may(routine, clock, app):
    """The automatic start acts in the survey period only; a missed year is started by hand."""
    clock.at("2027-06-15", 9)
    assert survey.ensure_started(date(2027, 6, 15)) is None
    assert survey.survey_cases(2027) == {}
    result = app.test_cli_runner().invoke(args=["survey", "start", "--year", "2027"])
    assert result.exit_code == 0 and "15 startet" in result.output
    # started after the deadline: the report is open at once, and the registrations' deadline has passed
    instance = survey.survey_cases(2027)[_bydel_id("gamle-oslo")].id
    assert {"rapporter_velferdsetaten", "leder_registrer_livskvalitet"} <= set(_open_tasks(instance))
