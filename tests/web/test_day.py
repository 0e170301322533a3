"""A caseworker's day (#14), server side: finding work (search, sort, unassigned, pages), giving a
task to a colleague, a leader releasing a claim, completing a task someone else took."""
from __future__ import annotations

import re

import sqlalchemy as sa

from engine.cases import worklist
from engine.extensions import db
from engine.store.models import AuditEvent, OpenTask, User
from tests.web.conftest import open_case


def _task(case_id: int, element_id: str = "registrer") -> OpenTask:
    return db.session.scalar(sa.select(OpenTask).where(OpenTask.case_id == case_id, OpenTask.element_id == element_id))


def _user(username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


def _cases(*names: str) -> list[tuple[int, str]]:
    """Open one case per resident name; (case id, task id) of each case's first task."""
    out = []
    for name in names:
        c = open_case("tre_baner", data={"innflytting": "2026-03-01", "deler": "4"})
        c.resident_name = name
        db.session.commit()
        out.append((c.id, _task(c.id).id))
    return out


def _task_ids(html: str) -> list[str]:
    return re.findall(r'data-task="([^"]+)"', html)


def test_inbox_and_case_list_search_by_name_case_number_and_reference(browser, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    (a, ta), (b, tb), (c, tc) = _cases("Anne Andersen", "Bjørn Berg", "Annette Øvre")
    from engine.store.models import Case
    db.session.get(Case, c).external_ref = "GERICA-4711"
    db.session.commit()
    kari = browser("kari.gamleoslo")
    assert set(_task_ids(kari.get("/innboks?q=anne").get_data(as_text=True))) == {ta, tc}     # case-insensitive, part of name
    assert _task_ids(kari.get(f"/innboks?q=%23{b}").get_data(as_text=True)) == [tb]       # «#12»
    assert _task_ids(kari.get("/innboks?q=gerica-47").get_data(as_text=True)) == [tc]
    assert _task_ids(kari.get("/innboks?q=100%25").get_data(as_text=True)) == []          # % is literal
    html = kari.get("/saker?q=berg").get_data(as_text=True)
    assert "Bjørn Berg" in html and "Anne Andersen" not in html
    assert "Ingen saker passer søket" in kari.get("/saker?q=finnes-ikke").get_data(as_text=True)
    names = re.findall(r'<a href="/saker/\d+">([^<]+)</a>', kari.get("/saker?sorter=navn").get_data(as_text=True))
    assert names == ["Anne Andersen", "Annette Øvre", "Bjørn Berg"]
    # another bydel finds nothing of ours, even by number
    assert _task_ids(browser("ola.grunerlokka").get(f"/innboks?q={a}").get_data(as_text=True)) == []


def test_inbox_sorts_filters_unassigned_and_pages_fifty_at_a_time(browser, tre_baner, clock_at, monkeypatch):
    clock_at(2026, 3, 1, 9)
    made = _cases("Cecilie", "Anne", "Bjørn")
    kari = browser("kari.gamleoslo")
    by_name = _task_ids(kari.get("/innboks?sorter=navn").get_data(as_text=True))
    assert by_name == [made[1][1], made[2][1], made[0][1]]
    assert _task_ids(kari.get("/innboks?sorter=sak").get_data(as_text=True)) == [t for _c, t in made]
    kari.post(f"/oppgaver/{made[0][1]}/ta")
    assert _task_ids(kari.get("/innboks?vis=ledige&sorter=navn").get_data(as_text=True)) == [made[1][1], made[2][1]]
    # pages: two a page here (50 in the service), «Neste side» keeps the filters (keyset: test_find_work.py)
    monkeypatch.setattr(worklist, "PAGE_SIZE", 2)
    first = kari.get("/innboks?sorter=navn").get_data(as_text=True)
    assert _task_ids(first) == by_name[:2] and "3 oppgaver" in first and "2 per side" in first
    nxt = re.search(r'<a href="([^"]+)" rel="next">', first).group(1).replace("&amp;", "&")
    assert nxt.startswith("/innboks?sorter=navn&etter=")
    second = kari.get(nxt).get_data(as_text=True)
    assert _task_ids(second) == by_name[2:] and "Forrige side" in second and "Neste side" not in second


def test_a_task_is_given_to_a_colleague_audited_and_only_within_the_organisation(browser, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    [(case_id, task_id)] = _cases("Anne Andersen")
    kari, per = _user("kari.gamleoslo"), _user("leder.gamleoslo")
    b = browser("kari.gamleoslo")
    page = b.get(f"/oppgaver/{task_id}").get_data(as_text=True)
    assert 'id="assign-form"' in page and "Per Lie" in page and "Ola Hansen" not in page   # own organisation only
    r = b.post(f"/oppgaver/{task_id}/tildel", {"til": str(per.id)})
    assert r.status_code == 302
    db.session.expire_all()
    assert _task(case_id).claimed_by_id == per.id
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.type == "task.assigned"))
    assert event.actor_id == kari.id and event.data == {"from_user_id": None, "to_user_id": per.id}
    # Kari may not take it from Per now (only a leader passes a colleague's task on) …
    assert b.post(f"/oppgaver/{task_id}/tildel", {"til": str(kari.id)}).status_code == 403
    # … nor give it to someone in another bydel
    ola = _user("ola.grunerlokka")
    assert browser("leder.gamleoslo").post(f"/oppgaver/{task_id}/tildel", {"til": str(ola.id)}).status_code == 400


def test_leader_releases_a_colleagues_claim_and_completing_a_taken_task_is_told_and_recorded(browser, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    [(case_id, task_id)] = _cases("Anne Andersen")
    kari = browser("kari.gamleoslo")
    kari.get("/innboks")
    kari.post(f"/oppgaver/{task_id}/ta")
    leader = browser("leder.gamleoslo")
    inbox = leader.get("/innboks").get_data(as_text=True)
    assert f'action="/oppgaver/{task_id}/legg-tilbake"' in inbox              # a leader sees «Legg tilbake»
    page = leader.get(f"/oppgaver/{task_id}").get_data(as_text=True)
    assert 'id="claimed-by-other"' in page and "Kari Nordmann" in page and 'id="release-form"' in page
    assert leader.post(f"/oppgaver/{task_id}/legg-tilbake", {"neste": f"/oppgaver/{task_id}"}).status_code == 302
    db.session.expire_all()
    assert _task(case_id).claimed_by_id is None
    # a caseworker sees no «Legg tilbake» on someone else's claim, only the notice
    leader.post(f"/oppgaver/{task_id}/ta")
    html = browser("kari.gamleoslo").get("/innboks").get_data(as_text=True)
    assert f'action="/oppgaver/{task_id}/legg-tilbake"' not in html
    page = kari.get(f"/oppgaver/{task_id}").get_data(as_text=True)
    assert "Per Lie (leder, Gamle Oslo) har tatt denne oppgaven" in page
    r = kari.post(f"/oppgaver/{task_id}", {"navn": "Anne", "_handling": "fullfor", "_likevel": "1"})   # confirmed
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    done = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.type == "task.completed", AuditEvent.task_id == task_id))
    assert done.data["claimed_by_other"] == _user("leder.gamleoslo").id


def test_new_case_names_every_error_in_one_round_and_says_velg_institusjon(browser, web_rik):
    kari = browser("kari.gamleoslo")
    r = kari.post("/saker/ny", {"_prosess": "web_rik", "_beboer_navn": "", "_institusjon": "",
                                "innflytting": "", "vurdering": "", "_handling": "send"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'id="feiloppsummering"' in html and "focus-errors.js" in html
    summary = html[html.index('id="feiloppsummering"'):html.index("</div>", html.index('id="feiloppsummering"'))]
    # one round: the case's own fields and the henvisning's, each named
    assert "Beboerens navn: Skriv beboerens navn." in summary and "Institusjon: Velg institusjon." in summary
    assert "Innflyttingsdato (T0): Feltet må fylles ut." in summary and "Finnes ikke" not in html
    assert summary.count("<li>") == len(set(re.findall(r"<li>(.*?)</li>", summary, re.S)))   # no repeats
    assert '<option value="">Velg institusjon</option>' in html
    r = kari.post("/saker/ny", {"_prosess": "web_rik", "_beboer_navn": "Nils Ny", "_institusjon": "gamle-oslo",
                                "innflytting": "2026-04-01", "vurdering": "Trenger bolig", "_handling": "send"})
    assert r.status_code == 422 and "Velg en institusjon fra listen." in r.get_data(as_text=True)
    r = kari.post("/saker/ny", {"_prosess": "web_rik", "_beboer_navn": "Nils Ny", "_institusjon": "bygdoy",
                                "_ekstern_ref": "GERICA-1", "innflytting": "2026-04-01", "vurdering": "Trenger bolig",
                                "_handling": "send"})
    assert r.status_code == 302
    assert "Nils Ny" in kari.get("/innboks?q=gerica-1").get_data(as_text=True)


def test_new_case_offers_only_processes_that_can_be_started(browser, real_process):
    html = browser("kari.gamleoslo").get("/saker/ny").get_data(as_text=True)
    # the five called sub-processes start inside the routine: only the routine itself is offered
    assert '<input type="hidden" name="_prosess" value="institusjon_til_bolig">' in html
    for called in ("opphold_pa_institusjon", "boligavklaring", "samarbeidsmoter", "evaluering", "fristvakt_innflytting"):
        assert f'value="{called}"' not in html
