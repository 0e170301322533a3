"""Finding work in a large database (#14 item 2, #15 item 3), in a real browser: 10,000 cases, search
by the resident's name in the inbox and the case list, keyset pages forward and back, a saved
filter saved, used and deleted — and axe-core finds nothing on those pages."""
from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from engine import clock
from engine.extensions import db
from engine.store.models import Case, OpenTask, Organisation
from tests.browser.fixtures_pw import login, submit
from tests.browser.test_day import _axe
from tests.web.conftest import open_case

pytestmark = pytest.mark.browser

N_CASES = 10_000


def _bulk_cases(version_id: int, n: int) -> None:
    """``n`` cases of Gamle Oslo with one open bydel task each, inserted in a few statements (the
    inbox and the case list read only the projection rows, not the workflow state)."""
    orgs = {o.slug: o.id for o in db.session.scalars(sa.select(Organisation))}
    bydel, inst = orgs["gamle-oslo"], orgs["bygdoy"]
    now = clock.now()
    first = (db.session.scalar(sa.select(sa.func.max(Case.id))) or 0) + 1
    cases, tasks = [], []
    for i in range(n):
        cid = first + i
        cases.append(dict(id=cid, process_version_id=version_id, status="running", bydel_id=bydel, institution_id=inst,
                          resident_name=f"Beboer {i:05d}", anchors={}, state="{}", version=1,
                          created_at=now, updated_at=now, last_activity_at=now))
        due = None if i % 5 == 0 else now + timedelta(days=(i % 40) - 10)   # many ties, some overdue, some undated
        tasks.append(dict(id=f"00000000-0000-4000-8000-{cid:012d}", case_id=cid, element_id="registrer",
                          name="Registrer", lane="bydel", organisation_id=bydel, created_at=now, due_at=due))
    conn = db.session.connection()
    conn.execute(sa.insert(Case), cases)
    conn.execute(sa.insert(OpenTask), tasks)
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT setval('cases_id_seq', (SELECT max(id) FROM cases))"))
        conn.execute(sa.text("ANALYZE cases"))
        conn.execute(sa.text("ANALYZE open_tasks"))
    db.session.commit()


def _rows(page, table: str = "#inbox", attr: str = "data-task") -> list[str]:
    """The rows' ids as the page shows them: a plain read, so only after the page has loaded."""
    return page.locator(f"{table} tbody tr").evaluate_all(f"rows => rows.map(r => r.getAttribute('{attr}'))")


def test_ten_thousand_cases_search_by_name_keyset_pages_and_a_saved_filter(page, tre_baner):
    t0 = time.perf_counter()
    real = open_case("tre_baner", data={"innflytting": clock.today_oslo().isoformat(), "deler": "4"})
    real.resident_name = "Ingrid Søkbar"
    db.session.commit()
    _bulk_cases(tre_baner.id, N_CASES)
    print(f"\n{N_CASES} cases inserted in {time.perf_counter() - t0:.1f} s")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == N_CASES + 1

    login(page, "kari.gamleoslo")
    page.goto("/innboks")
    first = _rows(page)
    assert len(first) == 50 and "10001 oppgaver" in page.locator("#inbox-count").inner_text()
    assert _axe(page) == []
    # keyset pages: «Neste side» twice, then «Forrige side» and «Første side» give the same rows back.
    # Each page is read only once it has loaded (submit): the second «Neste side» leads to an address
    # that matches the same pattern as the page it leaves.
    submit(page.get_by_role("link", name="Neste side"))
    expect(page).to_have_url(re.compile(r"[?&]etter="))
    second = _rows(page)
    assert len(second) == 50 and not set(second) & set(first)
    submit(page.get_by_role("link", name="Neste side"))
    expect(page).to_have_url(re.compile(r"[?&]etter="))
    third = _rows(page)
    assert len(third) == 50 and not set(third) & (set(first) | set(second))
    submit(page.get_by_role("link", name="Forrige side"))
    expect(page).to_have_url(re.compile(r"[?&]foer="))
    assert _rows(page) == second
    assert _axe(page) == []
    submit(page.get_by_role("link", name="Første side"))
    assert _rows(page) == first
    expect(page.get_by_role("link", name="Forrige side")).to_have_count(0)

    # search by the resident's name finds the one case among 10,001
    page.get_by_label("Søk").fill("søkbar")
    submit(page.get_by_role("button", name="Filtrer"))
    page.wait_for_url("**q=*")
    rows = page.locator("#inbox tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Ingrid Søkbar")
    # … saved as a filter, used from the list of saved filters, then deleted
    page.get_by_label("Lagre dette filteret som").fill("Ingrid")
    submit(page.get_by_role("button", name="Lagre filteret"))
    expect(page.locator(".flashes")).to_contain_text("Filteret «Ingrid» er lagret.")
    page.goto("/innboks")
    saved = page.locator("#saved-filters").get_by_role("link", name="Ingrid")
    assert saved.count() == 1
    saved.click()
    page.wait_for_url("**q=s%C3%B8kbar*")
    expect(rows).to_have_count(1)
    assert page.locator("#saved-filters a[aria-current='true']").inner_text() == "Ingrid"
    assert _axe(page) == []
    submit(page.locator("#saved-filters").get_by_role("button", name="Slett filteret Ingrid"))
    expect(page.locator("#saved-filters")).to_contain_text("Du har ingen lagrede filtre ennå.")

    # the case list: the same search, and its own keyset pages
    page.goto("/saker")
    cases_first = _rows(page, "#cases", "data-case")
    assert len(cases_first) == 50
    submit(page.get_by_role("link", name="Neste side"))
    expect(page).to_have_url(re.compile(r"[?&]etter="))
    cases_second = _rows(page, "#cases", "data-case")
    assert len(cases_second) == 50 and not set(cases_first) & set(cases_second)
    assert int(cases_second[0]) == int(cases_first[-1]) - 1          # newest first, nothing skipped
    page.get_by_role("searchbox", name="Søk").fill("Ingrid Søk")
    submit(page.get_by_role("button", name="Søk", exact=True))
    expect(page).to_have_url(re.compile(r"[?&]q="))
    assert _rows(page, "#cases", "data-case") == [str(real.id)]
    assert _axe(page) == []
