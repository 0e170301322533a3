"""The case page on the real routine (#14 item 1 and 5), server-side: every completed form of the case
and of its called processes as the reader may see it, the latest answer first with the earlier ones as
history, the anchor dates and waiting timers in Oslo time, the print view, and the diagram's
drill-down files — every read logged, nothing outside the case's own processes."""
from __future__ import annotations

import html as htmllib
import json
import re

import sqlalchemy as sa

from engine.extensions import db
from engine.store.models import AccessLog, User
from engine.web import casepage
from tests.routine.helpers import start_phase_on_time, to_moving_out, to_statusrapport
from tests.web.conftest import Browser


def _stay(routine, clock) -> int:
    clock.at("2026-01-05", 9)
    case_id = routine.open("2026-01-05")
    to_statusrapport(routine, clock, case_id)
    clock.at("2026-04-21", 9)
    return case_id


def _reads(username: str, case_id: int) -> list[tuple[str, bool]]:
    user = db.session.scalar(sa.select(User).where(User.username == username))
    return [(r.action, r.granted) for r in db.session.scalars(
        sa.select(AccessLog).where(AccessLog.user_id == user.id, AccessLog.case_id == case_id).order_by(AccessLog.id))]


def test_the_bydel_reads_every_form_of_the_stay_before_assessing_the_statusrapport(ctx, routine, clock):
    case_id = _stay(routine, clock)
    assert "vurder_statusrapport" in routine.tasks(case_id)
    page = casepage.view(routine.case(case_id), routine.actors[("bydel", None)])
    forms = {h.latest.title: h for h in page["forms"]}
    # the henvisning first, then the forms of the main process and of the called processes, in order
    assert page["forms"][0].latest.title.startswith("Henvisning")
    for title in ("Registrer innflytting og primærkontakter", "Kartlegg beboers situasjon",
                  "Hold første samarbeidsmøte", "Evaluer tiltakene og revider planen", "Skriv statusrapport med anbefaling"):
        assert title in forms, title
    report = {f.name: f.value for f in forms["Skriv statusrapport med anbefaling"].latest.fields}
    assert report["beboers_onsker"] == "Egen leilighet nær familien."
    assert report["institusjonens_vurdering"] == "Kommunal bolig med booppfølging."
    # the consent covers reports, not housing: the recommendation's housing fields are held back, and said so
    assert "anbefalt_boligtype" not in report
    assert any("bolig, boligplaner og søknader" in w for w in forms["Skriv statusrapport med anbefaling"].latest.withheld)


def test_a_form_answered_again_shows_the_latest_first_and_the_earlier_as_history(ctx, routine, clock):
    case_id = _stay(routine, clock)
    clock.at("2026-07-20", 9)
    routine.run_timers()
    routine.complete(case_id, "evaluer_plan", evaluering_dato="2026-07-20", plan_endringer="Mål om arbeid lagt til.")
    page = casepage.view(routine.case(case_id), routine.actors[("institusjon", None)])
    (evaluation,) = [h for h in page["forms"] if h.latest.title == "Evaluer tiltakene og revider planen"]
    assert {f.name: f.value for f in evaluation.latest.fields}["plan_endringer"] == "Mål om arbeid lagt til."
    assert [{f.name: f.value for f in a.fields}["plan_endringer"] for a in evaluation.earlier] == ["Nytt mål om økonomi."]
    assert len([h for h in page["forms"] if h.latest.title == "Skriv statusrapport med anbefaling"]) == 1
    html = Browser(ctx.test_client()).login("ingrid.bygdoy").get(f"/saker/{case_id}").get_data(as_text=True)
    part = html[html.index('<span class="form-title">Evaluer tiltakene og revider planen'):]
    part = part[:part.index('<details class="answer form-history"')]
    assert "1 tidligere utgave" in part and "Tidligere utgaver" in part
    assert part.index("Mål om arbeid lagt til.") < part.index("Nytt mål om økonomi.")     # latest first


def test_the_print_view_unfolds_every_form_and_leaves_the_diagram_out_and_is_logged(ctx, routine, clock):
    case_id = _stay(routine, clock)
    b = Browser(ctx.test_client()).login("kari.gamleoslo")
    html = b.get(f"/saker/{case_id}").get_data(as_text=True)
    assert 'id="print-css" href="/static/print.css" media="print"' in html
    assert f'href="/saker/{case_id}?utskrift=1"' in html
    printed = b.get(f"/saker/{case_id}?utskrift=1").get_data(as_text=True)
    assert 'media="all"' in printed and 'id="diagram"' not in printed and "Flytt frist" not in printed
    assert printed.count('<details class="answer form-history" open') == html.count('<details class="answer form-history"') > 5
    assert "Utskrevet 21. april 2026 kl. 09.00 av Kari Nordmann" in printed
    assert _reads("kari.gamleoslo", case_id)[-2:] == [("read", True), ("read", True)]


def test_waiting_timers_and_the_end_of_the_transition_in_oslo_time(ctx, routine, clock):
    clock.at("2026-01-05", 9)
    case_id = routine.open("2026-01-05")
    start_phase_on_time(routine, clock, case_id)
    clock.at("2026-03-01", 9)
    html = Browser(ctx.test_client()).login("kari.gamleoslo").get(f"/saker/{case_id}").get_data(as_text=True)
    waiting = html[html.index('id="waiting"'):html.index("</table>", html.index('id="waiting"'))]
    # the first evaluation opens at Oslo midnight, after the change to summer time (CEST): Oslo time, not UTC
    assert "To uker før tre måneder har gått</td><td>30. mars 2026 kl. 00.00" in waiting
    assert "Botid eller ny T0</td><td>6. januar 2027 kl. 00.00" in waiting                  # CET
    assert 'id="transition-end"' not in html
    # after T1 (15 June, four weeks' transition): the last day of the transition is on the case header
    to_moving_out(routine, clock, case_id)
    html = Browser(ctx.test_client()).login("kari.gamleoslo").get(f"/saker/{case_id}").get_data(as_text=True)
    end = html[html.index('id="transition-end"'):]
    assert "Overgangsperioden varer til og med</dt><dd>13. juli 2026" in end[:300]
    assert "Utflytting (T1)</dt><dd>15. juni 2026" in html


def test_the_diagram_drills_into_the_called_processes_of_the_case_only(ctx, routine, clock, users):
    case_id = _stay(routine, clock)
    view = casepage.view(routine.case(case_id), routine.actors[("bydel", None)])
    d = view["diagrams"]
    assert d["now"] == ["institusjon_til_bolig", "opphold_pa_institusjon", "boligavklaring"]
    assert d["processes"]["institusjon_til_bolig"]["markers"]["current"] == ["oppholdet"]
    assert "boligavklaring" in d["processes"]["opphold_pa_institusjon"]["markers"]["current"]
    inner = d["processes"]["boligavklaring"]
    assert inner["markers"]["current"] == ["vurder_statusrapport"] and "statusrapport" in inner["markers"]["done"]
    assert inner["due"]["boligmote"] == "frist 5. juni 2026"
    assert d["calls"]["oppholdet"] == "opphold_pa_institusjon" and d["calls"]["boligavklaring"] == "boligavklaring"
    kari = Browser(ctx.test_client()).login("kari.gamleoslo")
    html = kari.get(f"/saker/{case_id}").get_data(as_text=True)
    sent = json.loads(htmllib.unescape(re.search(r"data-diagrams='([^']*)'", html).group(1)))
    assert sent["now"] == d["now"]
    r = kari.get(f"/saker/{case_id}/diagram.bpmn?prosess=boligavklaring")
    assert r.status_code == 200 and b'<bpmn:process id="boligavklaring"' in r.data
    assert kari.get(f"/saker/{case_id}/diagram.bpmn?prosess=institusjon_til_bolig").status_code == 200
    assert kari.get(f"/saker/{case_id}/diagram.bpmn?prosess=finnes_ikke").status_code == 404
    other = Browser(ctx.test_client()).login("ola.grunerlokka")
    assert other.get(f"/saker/{case_id}/diagram.bpmn?prosess=boligavklaring").status_code == 404
    assert _reads("ola.grunerlokka", case_id) == [("read", False)]
    assert _reads("kari.gamleoslo", case_id)[-3:] == [("read", True)] * 3
