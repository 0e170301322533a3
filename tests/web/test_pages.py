"""Server-side tests of the web pages: who may see and do what, CSRF refusal, forms, errors."""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from engine.timers import worker as timer_worker
from engine.extensions import db
from engine.store.models import AccessLog, AuditEvent, OpenTask
from tests.web.conftest import open_case


def _task(case_id: int, element_id: str) -> OpenTask:
    return db.session.scalar(sa.select(OpenTask).where(OpenTask.case_id == case_id, OpenTask.element_id == element_id))


# ------------------------------------------------------------------ login, logout, CSRF

def test_login_refuses_a_wrong_password_and_accepts_the_right_one(browser):
    b = browser()
    b.get("/logg-inn")
    r = b.post("/logg-inn", {"username": "kari.gamleoslo", "password": "feil"})
    assert r.status_code == 401 and "Feil brukernavn eller passord" in r.get_data(as_text=True)
    r = b.post("/logg-inn", {"username": "kari.gamleoslo", "password": "test-passord"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/innboks")


def test_pages_need_login_and_send_you_back_after(browser):
    b = browser()
    r = b.get("/innboks")
    assert r.status_code == 302 and "/logg-inn?neste=/innboks" in r.headers["Location"]
    b.get("/logg-inn")
    r = b.post("/logg-inn?neste=/saker", {"username": "kari.gamleoslo", "password": "test-passord"})
    assert r.headers["Location"].endswith("/saker")
    b.get("/logg-inn")          # a new session after login has a new CSRF token
    r = b.post("/logg-inn?neste=//evil.example/x", {"username": "kari.gamleoslo", "password": "test-passord"})
    assert "evil" not in r.headers["Location"]


def test_every_form_refuses_a_post_without_its_csrf_token(browser, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    case = open_case("tre_baner", data={"innflytting": "2026-03-01", "deler": "4"})
    task = _task(case.id, "registrer")
    b = browser("kari.gamleoslo")
    for url in ("/logg-inn", "/logg-ut", f"/oppgaver/{task.id}", f"/oppgaver/{task.id}/ta",
                f"/oppgaver/{task.id}/legg-tilbake", "/saker/ny"):
        r = b.post(url, {"_handling": "fullfor", "username": "kari.gamleoslo"}, csrf=False)
        assert r.status_code == 400, url
        assert "Skjemaet var utløpt" in r.get_data(as_text=True)
    assert _task(case.id, "registrer") is not None and _task(case.id, "registrer").claimed_by_id is None


def test_logout_ends_the_session(browser):
    b = browser("kari.gamleoslo")
    assert b.post("/logg-ut").status_code == 302
    assert b.get("/innboks").status_code == 302


def test_the_api_keeps_working_with_bearer_tokens_and_no_csrf(api, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    r = api("kari.gamleoslo").post("/api/v1/cases", json={
        "process_key": "tre_baner", "bydel": "gamle-oslo", "institution": "bygdoy",
        "resident": {"name": "Tore"}, "data": {"innflytting": "2026-03-01", "deler": "4"}})
    assert r.status_code == 201, r.json


# ------------------------------------------------------------------ inbox

def test_inbox_lists_own_organisations_tasks_overdue_first_with_filters_and_counts(browser, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    a = open_case("tre_baner", data={"innflytting": "2026-03-01", "deler": "4"})
    b_ = open_case("tre_baner", data={"innflytting": "2026-03-01", "deler": "4"})
    c = open_case("tre_baner", data={"innflytting": "2026-03-01", "deler": "4"})
    ta, tb, tc = _task(a.id, "registrer"), _task(b_.id, "registrer"), _task(c.id, "registrer")
    ta.due_at = datetime(2026, 3, 20, 22, 59, tzinfo=timezone.utc)
    tb.due_at = datetime(2026, 2, 25, 22, 59, tzinfo=timezone.utc)     # overdue
    tc.due_at = datetime(2026, 3, 5, 22, 59, tzinfo=timezone.utc)
    db.session.commit()
    kari = browser("kari.gamleoslo")
    html = kari.get("/innboks").get_data(as_text=True)
    order = [html.index(f'data-task="{t.id}"') for t in (tb, tc, ta)]
    assert order == sorted(order)
    assert "4 dager over fristen" in html and "4 dager igjen" in html
    assert 'id="nav-count"' in html and '>3</span>' in html and 'id="nav-overdue"' in html
    only_late = kari.get("/innboks?forfalt=1").get_data(as_text=True)
    assert tb.id in only_late and ta.id not in only_late and tc.id not in only_late
    assert ta.id in kari.get("/innboks?steg=registrer").get_data(as_text=True)
    assert ta.id not in kari.get("/innboks?steg=plan").get_data(as_text=True)
    # claim, then «bare mine», then give it back
    kari.get("/innboks")
    assert kari.post(f"/oppgaver/{ta.id}/ta").status_code == 302
    mine = kari.get("/innboks?vis=mine").get_data(as_text=True)
    assert ta.id in mine and tb.id not in mine
    db.session.expire_all()
    assert _task(a.id, "registrer").claimed_by_id is not None
    assert kari.post(f"/oppgaver/{ta.id}/legg-tilbake").status_code == 302
    db.session.expire_all()
    assert _task(a.id, "registrer").claimed_by_id is None
    # another bydel sees none of it and cannot claim
    ola = browser("ola.grunerlokka")
    assert ta.id not in ola.get("/innboks").get_data(as_text=True)
    assert ola.post(f"/oppgaver/{ta.id}/ta").status_code == 404


# ------------------------------------------------------------------ task page

class _Ref:
    """Plain copies of ids, so a test can use them after the task row is gone."""

    def __init__(self, row) -> None:
        self.id = row.id


def _rik_task(web_rik, clock_at):
    clock_at(2026, 3, 1, 9)
    case = open_case("web_rik", data={"innflytting": "2026-03-01", "vurdering": "Trenger bolig"})
    return _Ref(case), _Ref(_task(case.id, "kontakter"))


def test_task_form_draws_every_widget_in_ui_order_with_help(browser, web_rik, clock_at):
    case, task = _rik_task(web_rik, clock_at)
    html = browser("kari.gamleoslo").get(f"/oppgaver/{task.id}").get_data(as_text=True)
    assert 'type="date"' in html and 'inputmode="numeric"' in html and "<select" in html
    assert 'type="radio"' in html and 'type="checkbox"' in html and "<textarea" in html
    assert "Skriv kort hva som ble avtalt." in html and "Legg til" in html
    assert html.index("Dato for møtet") < html.index("Antall deltakere") < html.index("Kontaktpersoner") < html.index('for="f-merknad"')


def test_wrong_form_shows_every_message_beside_its_field_and_keeps_values(browser, web_rik, clock_at):
    case, task = _rik_task(web_rik, clock_at)
    b = browser("kari.gamleoslo")
    b.get(f"/oppgaver/{task.id}")
    form = MultiDict([("dato", "1. mars"), ("antall", "tolv"), ("behov", ""), ("merknad", "Viktig"),
                      ("kontakter/__list", "1"), ("kontakter/0/__row", "1"), ("kontakter/0/navn", ""),
                      ("kontakter/0/telefon", "abc"), ("_handling", "fullfor")])
    r = b.post(f"/oppgaver/{task.id}", form)
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert 'id="f-dato-error"' in html and "Må være en dato" in html
    assert 'id="f-antall-error"' in html and "Må være et heltall" in html
    assert 'id="f-behov-error"' in html and 'id="f-kontakter-0-navn-error"' in html
    assert 'id="f-kontakter-0-telefon-error"' in html and "Har feil format" in html
    assert 'value="tolv"' in html and 'value="1. mars"' in html and ">Viktig</textarea>" in html and 'value="abc"' in html
    assert _task(case.id, "kontakter") is not None


def test_rows_are_added_and_removed_server_side_and_draft_survives_reload(browser, web_rik, clock_at):
    case, task = _rik_task(web_rik, clock_at)
    b = browser("kari.gamleoslo")
    b.get(f"/oppgaver/{task.id}")
    r = b.post(f"/oppgaver/{task.id}", MultiDict([("antall", "3"), ("kontakter/__list", "1"), ("_handling", "add:kontakter")]))
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and 'name="kontakter/0/navn"' in html and 'value="3"' in html
    r = b.post(f"/oppgaver/{task.id}", MultiDict([("kontakter/__list", "1"), ("kontakter/0/__row", "1"), ("kontakter/0/navn", "A"),
                                                  ("kontakter/1/__row", "1"), ("kontakter/1/navn", "B"), ("_handling", "remove:kontakter/0")]))
    html = r.get_data(as_text=True)
    assert 'value="B"' in html and 'value="A"' not in html
    r = b.post(f"/oppgaver/{task.id}", MultiDict([("antall", "5"), ("ip/__bool", "1"), ("ip", "true"), ("omrader", "okonomi"),
                                                  ("omrader/__list", "1"), ("kontakter/__list", "1"), ("kontakter/0/__row", "1"),
                                                  ("kontakter/0/navn", "Eva"), ("_handling", "utkast")]))
    assert r.status_code == 302
    db.session.expire_all()
    assert _task(case.id, "kontakter").draft == {"antall": 5, "ip": True, "omrader": ["okonomi"], "kontakter": [{"navn": "Eva"}]}
    html = b.get(f"/oppgaver/{task.id}").get_data(as_text=True)
    assert 'value="Eva"' in html and 'value="5"' in html and "Utkastet er lagret" in html


def test_complete_then_a_second_completion_is_a_clear_409(browser, web_rik, clock_at):
    case, task = _rik_task(web_rik, clock_at)
    b = browser("kari.gamleoslo")
    b.get(f"/oppgaver/{task.id}")
    good = MultiDict([("dato", "2026-03-10"), ("antall", "2"), ("behov", "ja"), ("boform", "privat"), ("kontakter/__list", "1"),
                      ("kontakter/0/__row", "1"), ("kontakter/0/navn", "Eva"), ("kontakter/0/telefon", "22 33 44 55"),
                      ("_handling", "fullfor")])
    r = b.post(f"/oppgaver/{task.id}", good)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/saker/{case.id}")
    page = b.get(f"/saker/{case.id}").get_data(as_text=True)
    assert "Registrer kontakter" in page and "ble fullført av Kari Nordmann" in page and "Eva" in page
    other = browser("leder.gamleoslo")
    from engine.processes import runtime_state
    # the task row is gone; a stale tab's «Fullfør» says so (409) and shows what was typed again
    stale = good.copy()
    stale.setlist("kontakter/0/navn", ["Ola fra gammel fane"])
    r = other.post(f"/oppgaver/{task.id}", stale)
    html = r.get_data(as_text=True)
    assert r.status_code == 409 and "Noen kom deg i forkjøpet" in html and "er allerede fullført" in html
    assert 'value="Ola fra gammel fane"' in html and "Det du skrev" in html and "Traceback" not in html
    assert runtime_state.state() is not None
    # someone outside the case learns nothing: still a plain 404
    assert browser("ola.grunerlokka").post(f"/oppgaver/{task.id}", good).status_code == 404
    # a made-up task id is still «not found»
    assert other.post("/oppgaver/finnes-ikke", good).status_code == 404


def test_conflict_while_completing_is_shown_as_a_message(browser, web_rik, clock_at, monkeypatch):
    case, task = _rik_task(web_rik, clock_at)
    from engine import cases
    from engine.errors import Conflict

    def raced(*a, **kw):
        raise Conflict("Oppgaven er allerede fullført eller ikke lenger åpen.")
    monkeypatch.setattr(cases, "complete_task", raced)
    b = browser("kari.gamleoslo")
    b.get(f"/oppgaver/{task.id}")
    r = b.post(f"/oppgaver/{task.id}", {"_handling": "fullfor"})
    assert r.status_code == 409 and "Noen kom deg i forkjøpet" in r.get_data(as_text=True)


def test_task_permissions_other_bydel_404_other_lane_read_only_and_403(browser, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    case = open_case("tre_baner", data={"innflytting": "2026-03-01", "deler": "4"})
    task = _task(case.id, "registrer")
    assert browser("ola.grunerlokka").get(f"/oppgaver/{task.id}").status_code == 404
    assert browser("beboer.test").get(f"/oppgaver/{task.id}").status_code in (403, 200)
    ingrid = browser("ingrid.bygdoy")
    html = ingrid.get(f"/oppgaver/{task.id}").get_data(as_text=True)
    assert "men ikke fullføre den" in html and 'id="fullfor"' not in html
    r = ingrid.post(f"/oppgaver/{task.id}", {"_handling": "fullfor", "kommentar": "x"})
    assert r.status_code == 403 and "Du kan ikke utføre denne oppgaven" in r.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AccessLog).where(AccessLog.granted.is_(False))) >= 2


def test_a_caseworker_completing_a_resident_task_is_told_and_it_is_recorded(browser, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    case = open_case("tre_baner", data={"innflytting": "2026-03-01", "deler": "4"})
    kari = browser("kari.gamleoslo")
    kari.get(f"/oppgaver/{_task(case.id, 'registrer').id}")
    assert kari.post(f"/oppgaver/{_task(case.id, 'registrer').id}", {"_handling": "fullfor", "kommentar": "ok"}).status_code == 302
    samtykke = _task(case.id, "samtykke")
    html = kari.get(f"/oppgaver/{samtykke.id}").get_data(as_text=True)
    assert "Du fyller ut på vegne av beboeren" in html
    assert kari.post(f"/oppgaver/{samtykke.id}", {"_handling": "fullfor"}).status_code == 302
    ev = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.type == "task.completed", AuditEvent.element_id == "samtykke"))
    assert ev.on_behalf_of_id is not None
    assert "på vegne av beboeren" in kari.get(f"/saker/{case.id}").get_data(as_text=True)


# ------------------------------------------------------------------ case page, new case, resident

def test_case_page_is_for_parties_only_and_logs_every_read(browser, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    case = open_case("tre_baner", data={"innflytting": "2026-03-01", "deler": "4"})
    html = browser("kari.gamleoslo").get(f"/saker/{case.id}").get_data(as_text=True)
    assert "Bydel Gamle Oslo" in html and "Bygdøy mestringsenhet" in html and "1. mars 2026" in html
    assert "Registrer innflytting" in html and "Saken ble opprettet av Kari Nordmann" in html
    assert 'data-markers=' in html and '"current": ["registrer"]' in html
    assert browser("ingrid.bygdoy").get(f"/saker/{case.id}").status_code == 200
    ola = browser("ola.grunerlokka")
    r = ola.get(f"/saker/{case.id}")
    assert r.status_code == 404 and "Fant ikke siden" in r.get_data(as_text=True)
    assert ola.get(f"/saker/{case.id}/diagram.bpmn").status_code == 404
    xml = browser("kari.gamleoslo").get(f"/saker/{case.id}/diagram.bpmn")
    assert xml.status_code == 200 and b'id="tre_baner"' in xml.data
    reads = db.session.scalars(sa.select(AccessLog).where(AccessLog.case_id == case.id, AccessLog.action == "read"))
    assert {(r.granted) for r in reads} == {True, False}


def test_case_page_shows_deadlines_and_overdue(browser, tre_baner, clock_at):
    traveller = clock_at(2026, 3, 1, 9)
    case = open_case("tre_baner", data={"innflytting": "2026-03-01", "deler": "4"})
    kari = browser("kari.gamleoslo")
    kari.get("/innboks")
    kari.post(f"/oppgaver/{_task(case.id, 'registrer').id}", {"_handling": "fullfor"})
    beboer = browser("beboer.test")
    assert "Gi samtykke" in beboer.get("/min-side").get_data(as_text=True)
    assert beboer.post(f"/oppgaver/{_task(case.id, 'samtykke').id}", {"_handling": "fullfor"}).status_code == 302
    html = kari.get(f"/saker/{case.id}").get_data(as_text=True)
    assert "Lag plan for oppholdet" in html and "15. mars 2026" in html
    traveller.move_to(datetime(2026, 3, 20, 9, tzinfo=timezone.utc))
    from engine import cases
    timer_worker.drain().cases_woken
    kari = browser("kari.gamleoslo")   # 19 days later the old session has ended (idle timeout, #13)
    html = kari.get(f"/saker/{case.id}").get_data(as_text=True)
    assert "Over fristen" in html and "gikk ut" in html


def test_resident_sees_only_own_plan_and_never_the_case_page(browser, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    own = open_case("tre_baner", data={"innflytting": "2026-03-01", "deler": "4"})
    other = open_case("tre_baner", resident=None, data={"innflytting": "2026-03-01", "deler": "4"})
    beboer = browser("beboer.test")
    html = beboer.get("/min-side").get_data(as_text=True)
    assert "Oppholdet ditt på Bygdøy mestringsenhet" in html and "Du flyttet inn 1. mars 2026" in html
    assert beboer.get(f"/saker/{own.id}").status_code == 302
    assert beboer.get(f"/saker/{other.id}").status_code == 404
    assert beboer.get(f"/oppgaver/{_task(other.id, 'registrer').id}").status_code == 404
    assert beboer.get("/saker/ny").status_code == 403


def test_new_case_for_bydel_caseworkers_only_with_field_errors(browser, web_rik):
    assert browser("ingrid.bygdoy").get("/saker/ny").status_code == 403
    kari = browser("kari.gamleoslo")
    html = kari.get("/saker/ny").get_data(as_text=True)
    assert "Innflyttingsdato (T0)" in html and "Bygdøy mestringsenhet" in html
    r = kari.post("/saker/ny", {"_prosess": "web_rik", "_beboer_navn": "", "_institusjon": "bygdoy",
                                "innflytting": "", "vurdering": "", "_handling": "send"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "Feltet må fylles ut" in html and "Skriv beboerens navn." in html
    r = kari.post("/saker/ny", {"_prosess": "web_rik", "_beboer_navn": "Nils Ny", "_institusjon": "bygdoy",
                                "_beboer_bruker": "beboer.test", "innflytting": "2026-04-01", "vurdering": "Trenger bolig",
                                "_handling": "send"})
    assert r.status_code == 302 and "/saker/" in r.headers["Location"]
    assert "Nils Ny" in kari.get(r.headers["Location"]).get_data(as_text=True)


def test_error_pages_are_friendly_norwegian_and_leak_nothing(browser, ctx, monkeypatch):
    kari = browser("kari.gamleoslo")
    r = kari.get("/finnes-ikke")
    assert r.status_code == 404 and "Fant ikke siden" in r.get_data(as_text=True) and 'lang="nb"' in r.get_data(as_text=True)

    def boom():
        raise RuntimeError("hemmelig stacktrace")
    monkeypatch.setitem(ctx.view_functions, "pages.case_list", boom)
    r = kari.get("/saker")
    text = r.get_data(as_text=True)
    assert r.status_code == 500 and "Noe gikk galt" in text and "hemmelig" not in text


def test_move_deadline_needs_a_reason_and_the_responsible_unit_and_shows_history(browser, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    case = open_case("tre_baner", data={"innflytting": "2026-03-01", "deler": "4"})
    kari = browser("kari.gamleoslo")
    kari.post(f"/oppgaver/{_task(case.id, 'registrer').id}", {"_handling": "fullfor"})
    kari.get("/innboks")
    kari.post(f"/oppgaver/{_task(case.id, 'samtykke').id}", {"_handling": "fullfor"})
    url = f"/saker/{case.id}/frister/plan/flytt"
    ingrid = browser("ingrid.bygdoy")
    assert "Flytt frist" in ingrid.get(f"/saker/{case.id}").get_data(as_text=True)
    assert ingrid.post(url, {"ny_dato": "2026-03-30", "begrunnelse": "x"}, csrf=False).status_code == 400
    r = ingrid.post(url, {"ny_dato": "2026-03-30", "begrunnelse": "  "})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "Skriv hvorfor fristen flyttes" in html and 'value="2026-03-30"' in html
    assert kari.post(url, {"ny_dato": "2026-03-30", "begrunnelse": "Avtalt"}).status_code == 403
    assert browser("ola.grunerlokka").post(url, {"ny_dato": "2026-03-30", "begrunnelse": "Avtalt"}).status_code == 404
    r = ingrid.post(url, {"ny_dato": "2026-03-30", "begrunnelse": "Beboeren var innlagt på sykehus"})
    assert r.status_code == 302
    html = ingrid.get(f"/saker/{case.id}").get_data(as_text=True)
    assert "30. mars 2026" in html and "fra 15. mars 2026 til 30. mars 2026" in html
    assert "Begrunnelse: Beboeren var innlagt på sykehus" in html


def test_case_list_and_home_follow_who_you_are(browser, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    mine = open_case("tre_baner", data={"innflytting": "2026-03-01", "deler": "4"})
    other = open_case("tre_baner", username="ola.grunerlokka", data={"innflytting": "2026-03-01", "deler": "4"})
    kari = browser("kari.gamleoslo")
    html = kari.get("/saker").get_data(as_text=True)
    assert f"/saker/{mine.id}\"" in html and f"/saker/{other.id}\"" not in html
    assert kari.get("/").headers["Location"].endswith("/innboks")
    assert browser("beboer.test").get("/").headers["Location"].endswith("/min-side")
    admin = browser("admin")
    assert admin.get("/").headers["Location"].endswith("/saker")
    html = admin.get("/saker").get_data(as_text=True)
    assert f"/saker/{mine.id}\"" in html and f"/saker/{other.id}\"" in html      # administrators repair any case
    assert "Ingen oppgaver" in admin.get("/innboks").get_data(as_text=True)
    assert "Du har ingen sak her" in kari.get("/min-side").get_data(as_text=True)


def test_every_page_sends_anonymous_visitors_to_login(browser, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    case = open_case("tre_baner", data={"innflytting": "2026-03-01", "deler": "4"})
    task = _task(case.id, "registrer")
    anon = browser()
    for url in ("/innboks", "/saker", f"/saker/{case.id}", f"/saker/{case.id}/diagram.bpmn", "/saker/ny",
                "/min-side", f"/oppgaver/{task.id}"):
        r = anon.get(url)
        assert r.status_code == 302 and "/logg-inn" in r.headers["Location"], url
    anon.get("/logg-inn")
    for url in (f"/oppgaver/{task.id}", f"/oppgaver/{task.id}/ta", f"/saker/{case.id}/frister/plan/flytt"):
        r = anon.post(url, {"_handling": "fullfor"})
        assert r.status_code == 302 and "/logg-inn" in r.headers["Location"], url
