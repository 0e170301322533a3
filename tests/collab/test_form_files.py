"""The file widget of a task form: the chosen file becomes an attachment of the case, the field holds its
reference, a refused file is a field error with the other values kept, and the answer links the file
— readable by whoever may see that field of that form."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from engine.extensions import db
from engine.store.collab import Attachment
from engine.store.models import AuditEvent, OpenTask
from tests.collab.conftest import ELF, PDF, give_consent, with_file_field


@pytest.fixture()
def case_with_form(api, ctx, users, clock_at, store_dir):
    from engine.processes import deployments
    from tests.ops.helpers import open_case
    deployments.deploy(with_file_field(), None)
    clock_at(2026, 3, 2, 9)
    return open_case(api)


def _task(case_id: int, element_id: str) -> OpenTask:
    return db.session.scalars(sa.select(OpenTask).where(OpenTask.case_id == case_id,
                                                        OpenTask.element_id == element_id)).one()


def _post(b, task_id: str, data: bytes | None, **fields):
    b.get(f"/oppgaver/{task_id}")
    form = {"_handling": "fullfor", **fields}
    if data is not None:
        form["vedlegg/__fil"] = (io.BytesIO(data), "rapport.pdf")
    return b.post(f"/oppgaver/{task_id}", form, content_type="multipart/form-data")


def test_a_file_field_stores_the_file_and_the_answer_links_it(case_with_form, browser):
    task = _task(case_with_form["id"], "registrer")
    task_id = task.id
    kari = browser("kari.gamleoslo")
    page = kari.get(f"/oppgaver/{task.id}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page and 'name="vedlegg/__fil"' in page
    # a renamed program: a field error, what was typed is kept, nothing completed
    r = _post(kari, task.id, ELF, kommentar="Se rapporten")
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "Filen er et program" in html and "Se rapporten" in html
    assert db.session.get(OpenTask, task.id) is not None
    # a PDF: stored, and the completed answer holds its reference
    r = _post(kari, task.id, PDF, kommentar="Se rapporten")
    assert r.status_code == 302, r.get_data(as_text=True)[:400]
    a = db.session.scalars(sa.select(Attachment)).one()
    assert (a.task_id, a.form, a.field, a.lane) == (task_id, "enkel.schema.json", "vedlegg", "bydel")
    done = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.type == "task.completed")).one()
    assert done.data["values"]["vedlegg"] == f"vedlegg:{a.id}"
    case_page = kari.get(f"/saker/{case_with_form['id']}").get_data(as_text=True)
    assert f"/vedlegg/{a.id}?last_ned=1" in case_page
    assert kari.get(f"/vedlegg/{a.id}").status_code == 200
    # the field is an answer of the bydel's form: the institution reads it only with consent
    ingrid = browser("ingrid.bygdoy")
    assert ingrid.get(f"/vedlegg/{a.id}").status_code == 403
    give_consent(case_with_form["id"])
    assert ingrid.get(f"/vedlegg/{a.id}").status_code == 200


def test_a_reference_to_another_cases_attachment_is_dropped(api, case_with_form, browser):
    from tests.ops.helpers import open_case
    other = open_case(api)
    kari = browser("kari.gamleoslo")
    _post(kari, _task(other["id"], "registrer").id, PDF)
    foreign = db.session.scalars(sa.select(Attachment)).one()
    task = _task(case_with_form["id"], "registrer")
    r = _post(kari, task.id, None, vedlegg=f"vedlegg:{foreign.id}")
    assert r.status_code == 302
    done = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.type == "task.completed",
                                                          AuditEvent.case_id == case_with_form["id"])).one()
    assert "vedlegg" not in (done.data.get("values") or {})


def test_only_who_may_act_on_the_task_attaches_to_its_field(case_with_form, browser):
    task = _task(case_with_form["id"], "registrer")      # the bydel's lane
    ingrid = browser("ingrid.bygdoy")
    r = _post(ingrid, task.id, PDF)
    assert r.status_code in (403, 422)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 0
