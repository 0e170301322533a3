"""The pages on the real routine (``processes/`` + ``forms/``): «Ny sak» with the henvisning, then the
case page and its first tasks.  Skipped, with the reason, while ``processes/`` does not deploy."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from engine.extensions import db
from engine.store.models import Case, OpenTask
from engine.web import formrender
from tests.web.test_formrender import posted

ROOT = Path(__file__).resolve().parents[2]


def test_new_case_with_the_real_henvisning_then_case_page_and_tasks(browser, real_process):
    from tests.process.examples import henvisning
    schema = json.loads((ROOT / "forms" / "henvisning.schema.json").read_text())
    kari = browser("kari.gamleoslo")
    html = kari.get("/saker/ny").get_data(as_text=True)
    assert "Opprett saken" in html and 'name="innflytting"' in html
    assert 'name="beboer_navn"' not in html and 'name="institusjon"' not in html   # asked once, above
    form = posted(formrender.build(schema, {}, henvisning("2026-01-05"), {}))
    for key, value in {"_prosess": "institusjon_til_bolig", "_beboer_navn": "Ola Beboer", "_institusjon": "bygdoy",
                       "_beboer_bruker": "beboer.test", "_handling": "send"}.items():
        form.add(key, value)
    r = kari.post("/saker/ny", form)
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    case = db.session.scalar(sa.select(Case).order_by(Case.id.desc()))
    page = kari.get(f"/saker/{case.id}").get_data(as_text=True)
    assert "Ola Beboer" in page and "5. januar 2026" in page
    xml = kari.get(f"/saker/{case.id}/diagram.bpmn")
    assert xml.status_code == 200 and b'id="institusjon_til_bolig"' in xml.data
    tasks = list(db.session.scalars(sa.select(OpenTask).where(OpenTask.case_id == case.id)))
    assert tasks, "the routine opens its first tasks"
    for t in tasks:
        for who in ("kari.gamleoslo", "ingrid.bygdoy"):
            r = browser(who).get(f"/oppgaver/{t.id}")
            assert r.status_code == 200, (t.element_id, who)
