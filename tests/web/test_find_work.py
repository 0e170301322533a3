"""Finding work (#14 item 2, #15 item 3), server side: keyset pages of the inbox and the case list
that never overlap or skip a row (ties in due date, every ordering, forward and back), saved
filters per user, and completing a task someone else has taken only after saying so."""
from __future__ import annotations

import html as html_lib
import re
from datetime import UTC, timedelta

import pytest
import sqlalchemy as sa

from engine import clock
from engine.cases import keyset, queries, worklist
from engine.extensions import db
from engine.store.models import AuditEvent, Case, OpenTask, User
from engine.store.saved_filters import SavedFilter
from tests.web.conftest import open_case


def _user(username: str) -> User:
    return db.session.scalar(sa.select(User).where(User.username == username))


def _ids(page: str, attr: str = "data-task") -> list[str]:
    return re.findall(rf'{attr}="([^"]+)"', page)


def _link(page: str, rel: str) -> str | None:
    m = re.search(rf'<a href="([^"]+)" rel="{rel}">', page)
    return html_lib.unescape(m.group(1)) if m else None


def _walk(b, url: str, attr: str = "data-task") -> tuple[list[list[str]], str]:
    """Follow «Neste side» from ``url``; the pages' row ids and the last page's HTML."""
    pages, seen = [], 0
    page = b.get(url).get_data(as_text=True)
    while True:
        pages.append(_ids(page, attr))
        nxt = _link(page, "next")
        if nxt is None:
            return pages, page
        seen += 1
        assert seen < 50, "paging does not end"
        page = b.get(nxt).get_data(as_text=True)


@pytest.fixture()
def crowded(tre_baner, clock_at):
    """Nine cases whose open tasks tie: same due date (and same creation time) for several, some
    overdue by date, one flagged overdue though due later, some with no due date."""
    clock_at(2026, 3, 1, 9)
    names = ["Åse", "Bent", "Bent", "Cato", "Dina", "Dina", "Eli", "Finn", "Gro"]
    made = []
    for name in names:
        c = open_case("tre_baner", data={"innflytting": "2026-03-01", "deler": "4"})
        c.resident_name = name
        made.append(c.id)
    db.session.commit()
    now = clock.now()
    tasks = list(db.session.scalars(sa.select(OpenTask).order_by(OpenTask.case_id, OpenTask.id)))
    same_later, past = now + timedelta(days=10), now - timedelta(days=2)
    for i, t in enumerate(tasks):
        t.created_at = now            # every creation time ties: only the id breaks the tie
        t.due_at = (past, same_later, None, same_later)[i % 4]
    tasks[1].overdue_at = now         # flagged by the timer although the due date is later
    db.session.commit()
    return made


SORTS = ["", "sorter=navn", "sorter=sak", "sorter=nyest", "sorter=steg"]


@pytest.mark.parametrize("sort", SORTS)
def test_inbox_keyset_pages_neither_overlap_nor_skip_and_go_back(browser, crowded, monkeypatch, sort):
    kari = browser("kari.gamleoslo")
    everything = _ids(kari.get(f"/innboks?{sort}").get_data(as_text=True))   # one page of 50
    assert len(everything) >= 9 and len(set(everything)) == len(everything)
    monkeypatch.setattr(worklist, "PAGE_SIZE", 2)
    pages, last = _walk(kari, f"/innboks?{sort}")
    assert [t for p in pages for t in p] == everything            # same order, nothing twice, nothing left out
    assert all(len(p) == 2 for p in pages[:-1]) and 1 <= len(pages[-1]) <= 2
    assert "Første side" in last and sort in _link(last, "prev")
    # back again with «Forrige side»: the same pages in reverse
    back, page = [pages[-1]], last
    while (prev := _link(page, "prev")) is not None:
        page = kari.get(prev).get_data(as_text=True)
        back.append(_ids(page))
    assert back[::-1] == pages


def test_default_order_is_overdue_first_then_due_date_then_undated(browser, crowded):
    kari = browser("kari.gamleoslo")
    ids = _ids(kari.get("/innboks").get_data(as_text=True))
    now = clock.now()
    due = {t.id: (t.due_at.replace(tzinfo=now.tzinfo) if t.due_at else None, t.overdue_at)
           for t in db.session.scalars(sa.select(OpenTask).where(OpenTask.id.in_(ids)))}
    band = [0 if due[i][1] or (due[i][0] and due[i][0] < now) else 1 if due[i][0] else 2 for i in ids]
    assert band == sorted(band) and band[0] == 0 and band[-1] == 2
    flagged = next(i for i in ids if due[i][1] and due[i][0] > now)
    assert band[ids.index(flagged)] == 0                 # flagged by the timer: overdue though due later
    assert ids == sorted(ids, key=lambda i: (band[ids.index(i)], due[i][0] is None, due[i][0] or now, i))


def test_inbox_filters_page_and_keep_filters_in_links(browser, crowded, monkeypatch):
    kari = browser("kari.gamleoslo")
    monkeypatch.setattr(worklist, "PAGE_SIZE", 2)
    first = kari.get("/innboks?q=i&sorter=navn").get_data(as_text=True)
    nxt = _link(first, "next")
    assert nxt is not None and "q=i" in nxt and "sorter=navn" in nxt and "etter=" in nxt
    assert _link(first, "prev") is None and "Første side" not in first
    pages, _last = _walk(kari, "/innboks?q=i&sorter=navn")
    found = [t for p in pages for t in p]
    names = {db.session.get(Case, db.session.get(OpenTask, t).case_id).resident_name for t in found}
    assert names == {"Dina", "Eli", "Finn"} and len(found) == len(set(found))
    # a cursor that is not ours is the first page, not an error
    assert _ids(kari.get("/innboks?q=i&sorter=navn&etter=tull").get_data(as_text=True)) == _ids(first)
    assert kari.get("/innboks?etter=tull&foer=%25%25").status_code == 200


def test_keyset_cursor_round_trip_and_garbage():
    from datetime import datetime
    values = (1, datetime(2026, 3, 1, 9, tzinfo=UTC), None, "abc")
    assert keyset.decode(keyset.encode(values)) == values
    for bad in ("", "tull", "W10", "eyJ0IjoxfQ", "x" * 3000):
        assert keyset.decode(bad) is None


def test_case_list_pages_by_keyset_in_every_order(browser, crowded, monkeypatch):
    kari = browser("kari.gamleoslo")
    for sort in ("nyest", "eldst", "navn", "aktivitet"):
        everything = [c.id for c, *_ in queries.case_page(worklist_actor("kari.gamleoslo"), sort=sort, size=1000).rows]
        pages = []
        page = queries.case_page(worklist_actor("kari.gamleoslo"), sort=sort, size=2)
        pages.append([c.id for c, *_ in page.rows])
        while page.next:
            page = queries.case_page(worklist_actor("kari.gamleoslo"), sort=sort, size=2,
                                     cursor=keyset.cursor(page.next, None))
            pages.append([c.id for c, *_ in page.rows])
        assert [i for p in pages for i in p] == everything and len(everything) == 9, sort
    html = kari.get("/saker?sorter=navn").get_data(as_text=True)
    names = re.findall(r'<a href="/saker/\d+">([^<]+)</a>', html)
    assert names == sorted(names) and names[:3] == ["Bent", "Bent", "Cato"] and names[-1] == "Åse"


def worklist_actor(username: str):
    from engine.access.rules import actor_for
    return actor_for(_user(username))


def test_saved_filters_are_saved_listed_used_and_deleted_per_user(browser, crowded):
    kari = browser("kari.gamleoslo")
    page = kari.get("/innboks?q=dina&sorter=navn&etter=abc").get_data(as_text=True)
    assert 'id="save-filter"' in page and 'name="filter" value="q=dina&amp;sorter=navn"' in page   # no cursor
    assert "Du har ingen lagrede filtre ennå." in page
    r = kari.post("/filtre", {"liste": "innboks", "filter": "q=dina&sorter=navn&etter=abc&ukjent=1",
                              "navn": "  Dinas   oppgaver "})
    assert r.status_code == 302 and r.headers["Location"].endswith("/innboks?q=dina&sorter=navn")
    saved = db.session.scalar(sa.select(SavedFilter))
    assert (saved.name, saved.query, saved.list, saved.user_id) == ("Dinas oppgaver", "q=dina&sorter=navn", "innboks",
                                                                   _user("kari.gamleoslo").id)
    page = kari.get("/innboks").get_data(as_text=True)
    assert '<a href="/innboks?q=dina&amp;sorter=navn">Dinas oppgaver</a>' in page
    assert 'aria-current="true">Dinas oppgaver' in kari.get("/innboks?q=dina&sorter=navn").get_data(as_text=True)
    # the same name again replaces; an empty name is refused with a message
    kari.post("/filtre", {"liste": "innboks", "filter": "vis=ledige", "navn": "Dinas oppgaver"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SavedFilter)) == 1
    db.session.expire_all()
    assert db.session.scalar(sa.select(SavedFilter)).query == "vis=ledige"
    r = kari.post("/filtre", {"liste": "innboks", "filter": "vis=mine", "navn": "  "}, follow_redirects=True)
    assert "Gi filteret et navn." in r.get_data(as_text=True)
    # the case list has its own
    kari.post("/filtre", {"liste": "saker", "filter": "q=bent&sorter=navn", "navn": "Bent"})
    cases_page = kari.get("/saker").get_data(as_text=True)
    assert '<a href="/saker?q=bent&amp;sorter=navn">Bent</a>' in cases_page and "Dinas oppgaver" not in cases_page
    # another user sees none of them and cannot delete them
    per = browser("leder.gamleoslo")
    assert "Dinas oppgaver" not in per.get("/innboks").get_data(as_text=True)
    assert per.post(f"/filtre/{saved.id}/slett").status_code == 404
    # CSRF: a forged form is refused
    assert kari.post("/filtre", {"liste": "innboks", "filter": "", "navn": "x"}, csrf=False).status_code == 400
    r = kari.post(f"/filtre/{saved.id}/slett")
    assert r.status_code == 302 and r.headers["Location"].endswith("/innboks")
    assert db.session.get(SavedFilter, saved.id) is None


def test_completing_a_task_someone_else_took_asks_first_and_keeps_the_values(browser, tre_baner, clock_at):
    clock_at(2026, 3, 1, 9)
    c = open_case("tre_baner", data={"innflytting": "2026-03-01", "deler": "4"})
    task_id = db.session.scalar(sa.select(OpenTask.id).where(OpenTask.case_id == c.id, OpenTask.element_id == "registrer"))
    browser("leder.gamleoslo").post(f"/oppgaver/{task_id}/ta")
    kari = browser("kari.gamleoslo")
    page = kari.get(f"/oppgaver/{task_id}").get_data(as_text=True)
    assert 'id="claimed-by-other"' in page and 'name="_likevel"' in page and "Jeg fullfører likevel" in page
    r = kari.post(f"/oppgaver/{task_id}", {"kommentar": "Anne Skrevet", "_handling": "fullfor"})
    html = r.get_data(as_text=True)
    assert r.status_code == 409 and 'id="feiloppsummering"' in html
    assert "Per Lie (leder, Gamle Oslo) har tatt denne oppgaven. Kryss av for «Jeg fullfører likevel»" in html
    assert ">Anne Skrevet</textarea>" in html                            # the typed value is kept
    assert db.session.get(OpenTask, task_id) is not None                   # nothing completed
    r = kari.post(f"/oppgaver/{task_id}", {"kommentar": "Anne Skrevet", "_handling": "fullfor", "_likevel": "1"})
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    done = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.type == "task.completed", AuditEvent.task_id == task_id))
    assert done.data["claimed_by_other"] == _user("leder.gamleoslo").id


def test_counts_and_steps_come_per_branch_and_add_up(browser, crowded):
    actor = worklist_actor("kari.gamleoslo")
    everything = worklist.inbox(actor, worklist.InboxFilter(), limit=1000).rows
    counts = worklist.counts(actor)
    assert counts["all"] == len(everything) == worklist.total(actor, worklist.InboxFilter())
    assert counts["unassigned"] == counts["all"] and counts["mine"] == 0
    assert counts["overdue"] == worklist.total(actor, worklist.InboxFilter(overdue_only=True)) > 0
    assert sum(n for _e, _name, n in worklist.steps(actor)) == counts["all"]
