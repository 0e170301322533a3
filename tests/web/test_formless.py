"""A task whose diagram names no form (#18): the task page offers a plain «Fullfør» with an optional
comment, and the comment is kept on the case's record."""
from __future__ import annotations

import sqlalchemy as sa

from engine.extensions import db
from engine.processes import deployments
from engine.store.models import AuditEvent, OpenTask
from tests.conftest import fixture_files
from tests.web.conftest import open_case


def test_formless_task_completes_with_a_comment_on_the_task_page(browser, users, clock_at):
    clock_at(2026, 3, 2, 9)
    deployments.deploy(fixture_files("camunda_plain.bpmn"), None)
    case = open_case("stottekontakt")
    row = db.session.scalar(sa.select(OpenTask).where(OpenTask.case_id == case.id))
    kari = browser("kari.gamleoslo")

    page = kari.get(f"/oppgaver/{row.id}").get_data(as_text=True)
    assert "Kommentar (valgfritt)" in page and "<textarea" in page and 'id="fullfor"' in page
    assert "ikke noe skjema" in page

    r = kari.post(f"/oppgaver/{row.id}", {"kommentar": "Registrert etter telefon.", "_handling": "fullfor"})
    assert r.status_code in (302, 303), r.get_data(as_text=True)[:800]
    done = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.type == "task.completed"))
    assert done.element_id == "Activity_registrer" and done.data["values"] == {"kommentar": "Registrert etter telefon."}
    nxt = db.session.scalar(sa.select(OpenTask).where(OpenTask.case_id == case.id))
    assert nxt.element_id == "Activity_bekreft"

    # the comment is on the case page, under the task that was done
    case_page = kari.get(f"/saker/{case.id}")
    assert case_page.status_code == 200 and "Registrert etter telefon." in case_page.get_data(as_text=True)

    # without a comment it completes too
    page = browser("beboer.test").post(f"/oppgaver/{nxt.id}", {"_handling": "fullfor"})
    assert page.status_code in (302, 303), page.get_data(as_text=True)[:800]
