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


def test_a_leaders_follow_up_names_the_step_it_is_about_and_the_one_holding_it_up(browser, real_process):
    """Issue 12: a case nobody works on, registered seven months after T0 — the institution's leader opens
    «Følg opp frist: boligmøte» and reads which step it is about and which earlier step holds it up."""
    from datetime import date

    from dateutil.relativedelta import relativedelta

    from engine import cases
    from engine.access.rules import actor_for
    from engine.store.models import User
    from tests.process.examples import henvisning
    kari = actor_for(db.session.scalar(sa.select(User).where(User.username == "kari.gamleoslo")))
    t0 = (date.today() - relativedelta(months=7)).isoformat()
    case = cases.open_case(kari, "institusjon_til_bolig", "gamle-oslo", "bygdoy", {"name": "Ola Beboer"}, henvisning(t0))
    task = db.session.scalar(sa.select(OpenTask).where(OpenTask.case_id == case.id,
                                                       OpenTask.element_id == "leder_boligmote"))
    html = browser("leder.bygdoy").get(f"/oppgaver/{task.id}").get_data(as_text=True)
    assert 'value="Hold boligmøte"' in html
    assert 'value="Gi samtykke til informasjonsdeling"' in html
    assert browser("ingrid.bygdoy").get(f"/oppgaver/{task.id}").status_code == 200      # not hers to complete
