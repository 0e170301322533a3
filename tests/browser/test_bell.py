"""The bell in Chromium (#17): its count rises when a task lands in my lane and when I am mentioned,
the list opens and marks read, the e-mail choice is saved — and axe-core finds nothing on either page."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from engine.cases import unit_of_work
from engine.cases.changes import Change
from engine.extensions import db
from tests.browser.fixtures_pw import login, screenshot, submit
from tests.browser.test_day import _axe
from tests.timers.helpers import START

pytestmark = pytest.mark.browser


def _count(page) -> str:
    """The bell's number as the page shows it; read after the page has loaded (the bell is in its header)."""
    bell = page.locator("#bell-count")
    return bell.inner_text().split()[0] if bell.count() else "0"


def test_the_bell_counts_my_new_task_and_my_mention(page, api, tre_baner, users):
    login(page, "ingrid.bygdoy")
    assert _count(page) == "0"
    # a task lands in the institution's lane: kari opens a case, the resident gives consent
    case = api("kari.gamleoslo").post("/api/v1/cases", json={**START, "data": {**START["data"],
                                                                                 "innflytting": "2026-12-29"}}).json
    registrer = next(t for t in case["tasks"] if t["element_id"] == "registrer")
    api("kari.gamleoslo").post(f"/api/v1/tasks/{registrer['id']}/complete", json={"data": {}})
    samtykke = next(t for t in api("beboer.test").get("/api/v1/tasks").json if t["case_id"] == case["id"])
    api("beboer.test").post(f"/api/v1/tasks/{samtykke['id']}/complete", json={"data": {}})
    page.reload()
    assert _count(page) == "1"
    # kari mentions ingrid in a comment (recorded as helper «collab» records it)
    unit_of_work.run_change_hooks(case["id"], [Change("comment.mentioned", data={
        "user_ids": [users["ingrid.bygdoy"].id], "comment_id": 1})])
    db.session.commit()
    page.reload()
    assert _count(page) == "2"
    assert page.locator("#bell").text_content().split() == ["Varsler", "2", "uleste"]   # read as «Varsler 2 uleste»
    page.locator("#bell").click()
    page.wait_for_url("**/varsler")
    items = page.locator("#notifications li")
    expect(items).to_have_count(2)
    assert items.nth(0).inner_text().startswith("Ny Du er nevnt i en kommentar")
    assert "Ny oppgave i din kø" in items.nth(1).inner_text()
    screenshot(page, "varsler")
    assert _axe(page) == []
    # «Åpne» marks it read and goes to the task
    submit(items.nth(1).get_by_role("button", name="Åpne"))
    expect(page).to_have_url(re.compile(r"/oppgaver/"))
    assert "Lag plan for oppholdet" in page.locator("h1").inner_text()
    assert _count(page) == "1"
    page.goto("/varsler")
    # back to the same address: wait for the new page's load, not for a URL the old page already had
    submit(page.get_by_role("button", name="Merk alle som lest"))
    expect(page).to_have_url(re.compile(r"/varsler$"))
    expect(page.locator("#notifications li")).to_have_count(2)
    assert _count(page) == "0"
    expect(page.locator("#notifications li.unread")).to_have_count(0)
    # the e-mail choice
    page.get_by_role("link", name="Velg hvordan du får e-post").click()
    page.wait_for_url("**/varsler/innstillinger")
    assert page.get_by_label("Med en gang").is_checked()
    assert "ingrid.bygdoy@tilbolig.test" in page.locator("main").inner_text()
    assert _axe(page) == []
    page.get_by_label("Daglig sammendrag").check()
    submit(page.get_by_role("button", name="Lagre"))      # to the same address again
    expect(page).to_have_url(re.compile(r"/varsler/innstillinger$"))
    expect(page.locator(".flashes")).to_contain_text("Valget ditt er lagret.")
    expect(page.get_by_label("Daglig sammendrag")).to_be_checked()
    screenshot(page, "varsler-innstillinger")
