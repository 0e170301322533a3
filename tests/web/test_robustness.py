"""Issue #13 item 5 on the pages and in the access log: pages that used to answer 500, every read of
a list logged, request ids on every answer, and no engine text on a person's screen."""
from __future__ import annotations

import sqlalchemy as sa

from engine.extensions import db
from engine.store.models import AccessLog, OpenTask
from tests.web.conftest import open_case

START = {"innflytting": "2026-03-01", "deler": "4"}


def _task(case_id: int, element_id: str) -> OpenTask:
    return db.session.scalar(sa.select(OpenTask).where(OpenTask.case_id == case_id, OpenTask.element_id == element_id))


def _reads(user_id: int, action: str) -> set[int]:
    return set(db.session.scalars(sa.select(AccessLog.case_id).where(AccessLog.user_id == user_id,
                                                                     AccessLog.action == action)))


def test_case_page_of_a_process_without_innflytting_renders(browser, tre_baner, clock_at):
    """Measured before: a case with no T0 (a process that never asks for it) made its case page 500."""
    clock_at(2026, 3, 1, 9)
    case = open_case("tre_baner", data={"deler": "4"})
    assert case.anchors == {}
    r = browser("kari.gamleoslo").get(f"/saker/{case.id}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "ikke registrert" in html and "Registrer innflytting" in html


def test_a_stored_lone_surrogate_does_not_break_the_task_page(browser, api, tre_baner, clock_at):
    """Measured before: one unpaired UTF-16 half in a stored draft made the task page 500 for everyone."""
    clock_at(2026, 3, 1, 9)
    case = open_case("tre_baner", data=START)
    task = _task(case.id, "registrer")
    # The API refuses it now (422) …
    r = api("kari.gamleoslo").put(f"/api/v1/tasks/{task.id}/draft", data='{"data": {"kommentar": "a\\ud800b"}}',
                                  headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json["details"] == {"data/kommentar": ["Inneholder ugyldige tegn."]}
    # … but a draft stored before that (or by another path) is shown with U+FFFD in its place.
    db.session.execute(sa.update(OpenTask).where(OpenTask.id == task.id).values(draft={"kommentar": "a\ud800b"}))
    db.session.commit()
    r = browser("kari.gamleoslo").get(f"/oppgaver/{task.id}")
    assert r.status_code == 200 and "a\ufffdb" in r.get_data(as_text=True)


def test_nul_bytes_in_a_form_or_query_are_refused_not_stored(browser, tre_baner, clock_at):
    """PostgreSQL text cannot hold NUL; it failed there with a 500. Refused at the door on every database."""
    clock_at(2026, 3, 1, 9)
    case = open_case("tre_baner", data=START)
    task = _task(case.id, "registrer")
    kari = browser("kari.gamleoslo")
    kari.get(f"/oppgaver/{task.id}")
    r = kari.post(f"/oppgaver/{task.id}", {"_handling": "utkast", "kommentar": "a\x00b"})
    assert r.status_code == 400 and "ikke kan lagres" in r.get_data(as_text=True)
    assert kari.get("/saker?status=a%00b").status_code == 400
    db.session.expire_all()
    assert _task(case.id, "registrer").draft is None


def test_every_list_read_is_logged_inbox_tasks_and_cases(browser, api, tre_baner, clock_at, users):
    clock_at(2026, 3, 1, 9)
    first = open_case("tre_baner", data=START)
    second = open_case("tre_baner", data=START)
    kari = users["kari.gamleoslo"].id
    assert browser("kari.gamleoslo").get("/innboks").status_code == 200
    assert _reads(kari, "inbox") == {first.id, second.id}
    assert len(api("kari.gamleoslo").get("/api/v1/tasks").json) == 2
    assert _reads(kari, "list_tasks") == {first.id, second.id}
    assert len(api("kari.gamleoslo").get("/api/v1/cases").json) == 2
    assert _reads(kari, "list") == {first.id, second.id}
    # Someone who sees nothing leaves no row naming a case.
    api("ola.grunerlokka").get("/api/v1/tasks")
    assert _reads(users["ola.grunerlokka"].id, "list_tasks") == set()


def test_the_read_behind_a_409_is_logged(api, tre_baner, clock_at, users):
    clock_at(2026, 3, 1, 9)
    case = open_case("tre_baner", data=START)
    task_id = _task(case.id, "registrer").id
    kari = api("kari.gamleoslo")
    assert kari.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {}}).status_code == 200
    db.session.execute(sa.delete(AccessLog))
    db.session.commit()
    leder = users["leder.gamleoslo"].id
    assert api("leder.gamleoslo").post(f"/api/v1/tasks/{task_id}/complete", json={"data": {}}).status_code == 409
    assert _reads(leder, "complete_task") == {case.id}
    # A stale version is refused with 409 too — after the read was logged.
    samtykke = _task(case.id, "samtykke")
    r = kari.post(f"/api/v1/tasks/{samtykke.id}/complete", json={"data": {}, "version": 0})
    assert r.status_code == 409 and _reads(users["kari.gamleoslo"].id, "complete_task") == {case.id}
    # A draft for the task that is gone: 409, and the read stands.
    r = kari.put(f"/api/v1/tasks/{task_id}/draft", json={"data": {}})
    assert r.status_code == 409 and _reads(users["kari.gamleoslo"].id, "draft") == {case.id}


def test_every_answer_carries_a_request_id_and_a_500_shows_only_that(browser, api, ctx, monkeypatch, caplog):
    r = api("kari.gamleoslo").get("/api/v1/cases")
    generated = r.headers["X-Request-Id"]
    assert len(generated) == 32
    assert api("kari.gamleoslo").get("/api/v1/cases", headers={"X-Request-Id": "abc-12345678"}).headers[
        "X-Request-Id"] == "abc-12345678"
    # A header that could forge or flood a log line is replaced, not echoed.
    for bad in ("x <script>", "kort", "y" * 65):
        assert api(None).get("/api/v1/cases", headers={"X-Request-Id": bad}).headers["X-Request-Id"] != bad

    def boom(*a, **kw):
        raise RuntimeError("hemmelig: uttrykket deler / 0")
    monkeypatch.setattr("engine.cases.list_cases", boom)
    monkeypatch.setattr("engine.cases.case_page", boom)      # the web list pages by keyset
    with caplog.at_level("ERROR"):
        r = api("kari.gamleoslo").get("/api/v1/cases", headers={"X-Request-Id": "req-00000500"})
        page = browser("kari.gamleoslo").get("/saker", headers={"X-Request-Id": "req-00000501"})
    assert r.status_code == 500 and r.json == {"code": "internal_error", "request_id": "req-00000500",
                                               "message": "Det oppstod en intern feil. Den er logget med feil-ID req-00000500."}
    text = page.get_data(as_text=True)
    assert page.status_code == 500 and "req-00000501" in text and "hemmelig" not in text
    logged = "\n".join(rec.getMessage() + str(rec.exc_info) for rec in caplog.records)
    assert "req-00000500" in logged and "hemmelig" in logged
