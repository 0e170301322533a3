"""A consent's life (issue #13): given with a bounded end date, withdrawn on Min side, renewed before
it lapses, lapsing — each one a case change that is audited, told, and effective at once.

Time is moved with time-machine; nobody sleeps.
"""
from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone

import sqlalchemy as sa

from engine.access import consent
from engine.extensions import db
from engine.store.consent import Consent
from engine.store.models import AccessLog, AuditEvent, OpenTask
from engine.store.webhooks import OutboxEvent, WebhookSubscription
from engine.timers import worker as timer_worker
from tests.consent import helpers as h
from webhooks.outbound import PUBLIC_TYPES


def _oslo(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    from zoneinfo import ZoneInfo
    return datetime(y, m, d, hh, mm, tzinfo=ZoneInfo("Europe/Oslo"))


def _subscribe() -> None:
    db.session.add(WebhookSubscription(url="https://mottaker.example.org/hook", secret="whsec_" + "a" * 32,
                                       event_types=list(PUBLIC_TYPES), active=True))
    db.session.commit()


def _events(case_id: int, kind: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.type == kind)))


def test_the_form_records_what_with_whom_and_until_when_bounded(api, users, clock_at):
    clock_at(2026, 3, 2, 9)
    h.deploy()
    b = h.build("A", None)
    samtykke = h.task(b.case_id, "samtykke").id
    url = f"/api/v1/tasks/{samtykke}/complete"
    # the end date is bounded: not passed, not more than 24 months from the day it was given
    for until, message in (("2026-03-01", "passert"), ("2028-03-03", "24 måneder")):
        r = api("beboer.test").post(url, json={"data": h.consent_form(until=date.fromisoformat(until))})
        assert r.status_code == 422 and message in " ".join(r.json["details"]["samtykke_gyldig_til"]), r.json
    r = api("beboer.test").post(url, json={"data": {**h.consent_form(), "samtykke_deling": []}})
    assert r.status_code == 422 and "samtykke_deling" in r.json["details"]
    assert api("kari.gamleoslo").get(f"/api/v1/cases/{b.case_id}/consent").json["state"] == "mangler"
    r = api("beboer.test").post(url, json={"data": h.consent_form(["okonomi", "bolig"], ["institusjon_til_bydel"],
                                                                  until=date(2026, 6, 30))})
    assert r.status_code == 200, r.json
    c = api("ingrid.bygdoy").get(f"/api/v1/cases/{b.case_id}/consent").json
    assert c["state"] == "gyldig" and c["categories"] == ["bolig", "okonomi"]
    assert c["directions"] == ["institusjon_til_bydel"] and c["valid_until"] == "2026-06-30"
    assert c["other_recipients"] == [{"instans": "Boligkontoret i bydelen"}]
    assert c["renewal_due_at"] == "2026-05-30T22:00:00+00:00"      # 31 May 00:00 in Oslo: 30 days before 30 June
    # the direction counts: the bydel sees the institution's economy, the institution not the bydel's housing plans
    assert "KANARI-A-INST-OKONOMI" in api("kari.gamleoslo").get(f"/api/v1/cases/{b.case_id}/events").get_data(as_text=True)
    text = json.dumps(api("ingrid.bygdoy").get(f"/api/v1/cases/{b.case_id}?data=1").json, ensure_ascii=False)
    assert "KANARI-A-BYDEL-BOLIG" not in text and "planer_for_bolig" not in text
    assert "Holdt tilbake: beboeren har ikke samtykket til deling av bolig, boligplaner og søknader fra bydelen." in text


def test_a_refused_consent_shares_nothing(api, users, clock_at):
    clock_at(2026, 3, 2, 9)
    h.deploy()
    b = h.build("C", h.consent_form(given=False))
    assert api("ingrid.bygdoy").get(f"/api/v1/cases/{b.case_id}/consent").json["state"] == "ikke_gitt"
    events = api("ingrid.bygdoy").get(f"/api/v1/cases/{b.case_id}/events").json
    text = json.dumps(events, ensure_ascii=False)
    assert "KANARI-C-BYDEL" not in text and "Beboeren har sagt nei til deling." in text


def test_withdrawal_on_min_side_acts_at_once_is_audited_and_both_organisations_are_told(browser, api, users, clock_at):
    clock_at(2026, 3, 2, 9)
    h.deploy()
    _subscribe()
    b = h.build("E", h.consent_form())
    ingrid = browser("ingrid.bygdoy")
    before = ingrid.get(f"/saker/{b.case_id}").get_data(as_text=True)
    assert "KANARI-E-BYDEL-VURDERING" in before and "Holdt tilbake: beboeren" not in before
    beboer = browser("beboer.test")
    page = beboer.get("/min-side").get_data(as_text=True)
    assert "Trekk tilbake samtykket" in page and "Kartlegging, helse og levekår".lower() in page.lower()
    confirm = beboer.get(f"/min-side/samtykke/{b.case_id}/trekk-tilbake").get_data(as_text=True)
    assert "Ja, trekk tilbake samtykket" in confirm
    r = beboer.post(f"/min-side/samtykke/{b.case_id}/trekk-tilbake")
    assert r.status_code == 302 and r.headers["Location"].endswith("/min-side")
    assert "Du trakk samtykket tilbake" in beboer.get("/min-side").get_data(as_text=True)
    # effective at once, and said
    after = ingrid.get(f"/saker/{b.case_id}").get_data(as_text=True)
    assert "KANARI-E-BYDEL-VURDERING" not in after and "KANARI-E-INST-KARTLEGGING" in after   # own answers stay
    assert "Holdt tilbake: beboeren har ikke samtykket til deling av kartlegging, helse og levekår fra bydelen." in after
    assert "Samtykket ble trukket tilbake" in after and 'id="consent-withdrawn"' in after
    # both organisations are told: the timeline of each, and a webhook event with ids only
    for who in ("kari.gamleoslo", "ingrid.bygdoy"):
        assert "Beboeren trakk samtykket tilbake." in browser(who).get(f"/saker/{b.case_id}").get_data(as_text=True)
    [event] = _events(b.case_id, "consent.withdrawn")
    assert event.actor_id == users["beboer.test"].id and event.on_behalf_of_id is None
    [row] = db.session.scalars(sa.select(OutboxEvent).where(OutboxEvent.event_type == "consent.withdrawn"))
    body = json.loads(row.body)
    assert body["type"] == "consent.withdrawn" and body["data"]["case_id"] == b.case_id
    assert set(body["data"]) <= {"id", "case_id", "process_key", "consent_id", "links"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccessLog).where(
        AccessLog.action == "consent_withdraw", AccessLog.user_id == users["beboer.test"].id)) == 1
    # nothing left to withdraw; an operator may not withdraw for the resident
    assert api("beboer.test").post(f"/api/v1/cases/{b.case_id}/consent/withdraw").status_code == 409
    assert api("admin").post(f"/api/v1/cases/{b.case_id}/consent/withdraw").status_code == 403


def test_a_caseworker_records_an_oral_withdrawal_on_the_residents_behalf(browser, users, clock_at):
    clock_at(2026, 3, 2, 9)
    h.deploy()
    b = h.build("A", h.consent_form())
    kari = browser("kari.gamleoslo")
    assert kari.post(f"/saker/{b.case_id}/samtykke/trekk-tilbake", {}).status_code == 302   # not ticked: nothing
    assert consent.current(b.case_id).withdrawn_at is None
    kari.post(f"/saker/{b.case_id}/samtykke/trekk-tilbake", {"bekreft": "ja"})
    [event] = _events(b.case_id, "consent.withdrawn")
    assert event.actor_id == users["kari.gamleoslo"].id and event.on_behalf_of_id == users["beboer.test"].id
    page = browser("ingrid.bygdoy").get(f"/saker/{b.case_id}").get_data(as_text=True)
    assert "registrerte at beboeren trakk samtykket tilbake" in page


def test_renewal_task_for_the_bydel_thirty_days_before_the_consent_lapses(api, browser, users, clock_at):
    traveller = clock_at(2026, 3, 2, 9)
    h.deploy()
    _subscribe()
    b = h.build("A", h.consent_form(until=date(2026, 6, 30)))
    traveller.move_to(_oslo(2026, 5, 30, 23, 59))          # 31 days before: not yet
    assert timer_worker.drain().renewals_opened == 0
    traveller.move_to(_oslo(2026, 5, 31, 0, 1))            # 30 days before the last day
    assert timer_worker.drain().renewals_opened == 1
    assert timer_worker.drain().renewals_opened == 0       # once
    [task] = [t for t in api("kari.gamleoslo").get("/api/v1/tasks").json if t["element_id"] == "forny_samtykke"]
    assert task["lane"] == "bydel" and task["due_at"] == "2026-06-30T22:00:00+00:00"
    assert all(t["element_id"] != "forny_samtykke" for t in api("ingrid.bygdoy").get("/api/v1/tasks").json)
    inbox = browser("kari.gamleoslo").get("/innboks").get_data(as_text=True)
    assert "Forny samtykke til informasjonsdeling" in inbox
    page = browser("kari.gamleoslo").get(f"/oppgaver/{task['id']}").get_data(as_text=True)
    for name, value in (("samtykke_opplysninger", "okonomi"), ("samtykke_deling", "institusjon_til_bydel")):
        assert re.search(rf'name="{name}" value="{value}"[^>]*checked', page), (name, value)   # as it stood
    assert "Bydelen har fått oppgaven «Forny samtykke til informasjonsdeling»" in \
        browser("ingrid.bygdoy").get(f"/saker/{b.case_id}").get_data(as_text=True)
    [row] = db.session.scalars(sa.select(OutboxEvent).where(OutboxEvent.event_type == "consent.renewal_due"))
    assert set(json.loads(row.body)["data"]) <= {"id", "case_id", "process_key", "element_id", "task_id",
                                                  "consent_id", "valid_until", "links"}
    # the resident agreed again (the bydel records it): a new consent, the task gone
    r = api("kari.gamleoslo").post(f"/api/v1/tasks/{task['id']}/complete",
                                   json={"data": {**h.consent_form(until=date(2027, 5, 31)),
                                                  "registrert_pa_vegne_av_beboer": True}})
    assert r.status_code == 200, r.json
    assert all(t["element_id"] != "forny_samtykke" for t in r.json["tasks"])
    now = api("ingrid.bygdoy").get(f"/api/v1/cases/{b.case_id}/consent").json
    assert now["state"] == "gyldig" and now["valid_until"] == "2027-05-31" and not now["renewal_task_open"]
    rows = list(db.session.scalars(sa.select(Consent).where(Consent.case_id == b.case_id).order_by(Consent.id)))
    assert len(rows) == 2 and rows[0].superseded_at is not None and rows[1].on_behalf is True
    traveller.move_to(_oslo(2026, 7, 1, 9))
    assert "KANARI-A-BYDEL-VURDERING" in api("ingrid.bygdoy").get(f"/api/v1/cases/{b.case_id}?data=1").get_data(as_text=True)


def test_a_consent_not_renewed_lapses_at_midnight_after_its_last_day(api, users, clock_at):
    traveller = clock_at(2026, 3, 2, 9)
    h.deploy()
    b = h.build("F", h.consent_form(until=date(2026, 3, 10)))
    url = f"/api/v1/cases/{b.case_id}?data=1"
    traveller.move_to(_oslo(2026, 3, 10, 23, 59))
    assert "KANARI-F-BYDEL-VURDERING" in api("ingrid.bygdoy").get(url).get_data(as_text=True)
    traveller.move_to(_oslo(2026, 3, 11, 0, 0).replace(second=1))
    text = json.dumps(api("ingrid.bygdoy").get(url).json, ensure_ascii=False)
    assert "KANARI-F-BYDEL-VURDERING" not in text and "Samtykket gikk ut 10. mars 2026." in text
    assert api("ingrid.bygdoy").get(f"/api/v1/cases/{b.case_id}/consent").json["state"] == "utlopt"


def test_withdrawal_closes_an_open_renewal_task(api, users, clock_at):
    traveller = clock_at(2026, 3, 2, 9)
    h.deploy()
    b = h.build("A", h.consent_form(until=date(2026, 3, 20)))
    assert timer_worker.drain().renewals_opened == 1             # already within 30 days: at once
    assert db.session.scalar(sa.select(OpenTask).where(OpenTask.origin == "samtykke")) is not None
    traveller.shift(60)
    assert api("beboer.test").post(f"/api/v1/cases/{b.case_id}/consent/withdraw").status_code == 200
    assert db.session.scalar(sa.select(OpenTask).where(OpenTask.origin == "samtykke")) is None
    assert timer_worker.drain().renewals_opened == 0


def test_a_renewal_task_survives_the_workflow_stepping(api, users, clock_at):
    """The service's own task is not the workflow's: the projection of READY tasks leaves it alone."""
    clock_at(2026, 3, 2, 9)
    h.deploy()
    b = h.build("A", h.consent_form(until=date(2026, 3, 20)))
    timer_worker.drain()
    h.complete("ingrid.bygdoy", b.case_id, "inst_apen", h.example("statusrapport.schema.json"))
    assert db.session.scalar(sa.select(OpenTask).where(OpenTask.origin == "samtykke")) is not None


def test_webhook_payloads_carry_ids_never_answers(api, users, clock_at):
    clock_at(2026, 3, 2, 9)
    h.deploy()
    _subscribe()
    b = h.build("A", h.consent_form(until=date(2026, 3, 20)))
    timer_worker.drain()
    api("beboer.test").post(f"/api/v1/cases/{b.case_id}/consent/withdraw")
    bodies = [row.body for row in db.session.scalars(sa.select(OutboxEvent))]
    assert len(bodies) > 10 and {"consent.withdrawn", "consent.renewal_due", "task.completed"} <= \
        {json.loads(x)["type"] for x in bodies}
    for body in bodies:
        assert "KANARI" not in body and "values" not in body and "samtykke_gyldig" not in body
        assert "Matrise" not in body and "fields" not in body


def test_the_real_routine_records_consent_from_its_samtykke_task(api, users, real_process, clock_at):
    """The diagram's own «Gi samtykke» (inside «Oppholdet på institusjonen») feeds the same projection."""
    from tests.process.examples import henvisning
    clock_at(2026, 1, 6, 9)
    start = {**henvisning("2026-01-05"), "bydelens_vurderinger": "KANARI-R-BYDEL-VURDERING"}
    r = api("kari.gamleoslo").post("/api/v1/cases", json={
        "process_key": "institusjon_til_bolig", "bydel": "gamle-oslo", "institution": "bygdoy",
        "resident": {"name": "Ola Beboer", "username": "beboer.test"}, "data": start})
    assert r.status_code == 201, r.json
    case_id = r.json["id"]
    url = f"/api/v1/cases/{case_id}?data=1"
    assert "KANARI-R" not in api("ingrid.bygdoy").get(url).get_data(as_text=True)
    assert "KANARI-R-BYDEL-VURDERING" in api("kari.gamleoslo").get(url).get_data(as_text=True)
    samtykke = h.task(case_id, "samtykke")
    assert samtykke.lane == "beboer"
    r = api("beboer.test").post(f"/api/v1/tasks/{samtykke.id}/complete",
                                json={"data": h.consent_form(["kartlegging_og_helse"], ["bydel_til_institusjon"])})
    assert r.status_code == 200, r.json
    assert api("ingrid.bygdoy").get(f"/api/v1/cases/{case_id}/consent").json["state"] == "gyldig"
    assert "KANARI-R-BYDEL-VURDERING" in api("ingrid.bygdoy").get(url).get_data(as_text=True)
