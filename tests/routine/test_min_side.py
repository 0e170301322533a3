"""Min side on the real routine (#14): the resident is told about the dwelling offer and the
moving date, does not see the staff's internal steps, and can read again what they answered."""
from __future__ import annotations

from tests.routine.helpers import offered_with_moving_day, to_boligmote
from tests.web.conftest import Browser


def _min_side(ctx) -> str:
    b = Browser(ctx.test_client()).login("beboer.test")
    r = b.get("/min-side")
    assert r.status_code == 200
    return r.get_data(as_text=True)


def test_min_side_tells_the_offer_and_moving_date_hides_staff_steps_and_shows_own_answers(ctx, routine, clock):
    clock.at("2026-01-05", 9)
    case_id = routine.open("2026-01-05")
    to_boligmote(routine, clock, case_id)
    html = _min_side(ctx)
    assert 'id="my-offer"' not in html and 'id="my-move"' not in html        # nothing known yet: nothing said
    # the staff's own work is not the resident's to follow
    assert "Vurder statusrapporten" not in html and "Følg opp frist" not in html
    assert "Send søknader og henvisninger" not in html
    # their own plan and meetings are
    assert "Lag plan for oppholdet" in html or "plan for oppholdet" in html.lower()
    # the offer comes, the moving-out meeting sets a day
    offered_with_moving_day(routine, clock, case_id)
    html = _min_side(ctx)
    assert "Du har fått tilbud om bolig. Tilbudet kom 22. mai 2026." in html
    assert "Det er planlagt at du flytter 15. juni 2026." in html
    # the kriseplan can be read again, as answered
    answers = html[html.index('id="my-answers"'):]
    assert "Lag kriseplan" in answers and "Ringe primærkontakt" in answers and "Sover dårlig" in answers
    assert "Vurder statusrapporten" not in answers and "Egen leilighet nær familien" not in answers  # the statusrapport is the staff's
    # T1: moved
    routine.complete(case_id, "utflyttingsplan")
    clock.at("2026-06-15", 10)
    routine.complete(case_id, "utflytting", utflytting="2026-06-15")
    assert "Du flyttet ut av institusjonen 15. juni 2026." in _min_side(ctx)
    # the staff see the offer among the anchor dates on the case page too
    assert routine.case(case_id).anchors["bolig_tilbudt_dato"] == "2026-05-22"
