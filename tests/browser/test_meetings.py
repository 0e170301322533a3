"""Meetings in Chromium (#17): the institution plans the first samarbeidsmøte from the case page, sees it
there, downloads its .ics (parsed back), moves it; axe finds nothing on the new form and section; the
bydel's missed duty to attend shows on the case.  ``make screenshots`` refreshes docs/screenshots/moter.png."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from playwright.sync_api import expect

from tests.browser.fixtures_pw import SCREENSHOTS, login, submit
from tests.browser.test_day import _axe
from tests.meetings.helpers import open_first_meeting
from tests.routine.conftest import clock, routine  # noqa: F401 - the real routine and the Oslo clock

pytestmark = pytest.mark.browser
OSLO = ZoneInfo("Europe/Oslo")


def test_plan_see_download_and_move_a_meeting(page, routine, clock):  # noqa: F811
    case_id, task_id = open_first_meeting(routine, clock)
    login(page, "ingrid.bygdoy")
    page.goto(f"/saker/{case_id}")
    page.get_by_role("link", name="Planlegg møtet: Hold første samarbeidsmøte").click()
    page.wait_for_url(f"**/oppgaver/{task_id}/mote")
    assert _axe(page) == []
    page.get_by_label("Dato").fill("2026-01-20")
    page.get_by_label("Starter (norsk tid)").fill("10:00")
    page.get_by_label("Slutter (norsk tid)").fill("09:00")            # wrong: kept, said, fixed
    page.get_by_label("Sted").fill("Møterom 2, Bygdøy")
    page.get_by_label("Kari Nordmann (ruskonsulent, Gamle Oslo)").check()
    page.get_by_label("Beboeren").check()
    submit(page.get_by_role("button", name="Planlegg og send invitasjon"))     # the form again, with the error
    expect(page.locator("#feiloppsummering")).to_be_visible()
    expect(page.get_by_label("Sted")).to_have_value("Møterom 2, Bygdøy")
    expect(page.get_by_label("Beboeren")).to_be_checked()
    assert _axe(page) == []
    page.get_by_label("Slutter (norsk tid)").fill("11:30")
    submit(page.get_by_role("button", name="Planlegg og send invitasjon"))
    page.wait_for_url(f"**/saker/{case_id}#h-meetings")
    meeting = page.locator("#meeting-list li.meeting")
    expect(meeting).to_have_count(1)
    text = meeting.inner_text()
    assert "Første samarbeidsmøte" in text and "tirsdag 20. januar 2026 kl. 10.00–11.30" in text
    assert "Møterom 2, Bygdøy" in text and "plikter å delta" in text
    assert _axe(page, "#meetings") == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#meetings").screenshot(path=str(SCREENSHOTS / "moter.png"))
    # the calendar file, as a download
    with page.expect_download() as got:
        meeting.get_by_role("link", name="Last ned kalenderfil (.ics) Første samarbeidsmøte").click()
    cal = icalendar.Calendar.from_ical(Path(got.value.path()).read_bytes())
    (ev,) = cal.walk("VEVENT")
    assert str(cal["METHOD"]) == "REQUEST" and int(ev["SEQUENCE"]) == 0
    assert ev.decoded("DTSTART") == datetime(2026, 1, 20, 10, 0, tzinfo=OSLO)
    uid = str(ev["UID"])
    # move it: the form holds the plan; the download is then the update (same UID, SEQUENCE 1)
    submit(meeting.get_by_role("link", name="Flytt møtet Første samarbeidsmøte"))
    expect(page.get_by_label("Sted")).to_have_value("Møterom 2, Bygdøy")
    page.get_by_label("Dato").fill("2026-01-22")
    submit(page.get_by_role("button", name="Flytt møtet og send oppdatering"))
    page.wait_for_url(f"**/saker/{case_id}#h-meetings")
    expect(page.locator("#meeting-list")).to_contain_text("torsdag 22. januar 2026")
    with page.expect_download() as got:
        page.locator("#meeting-list .ics-link").click()
    (ev,) = icalendar.Calendar.from_ical(Path(got.value.path()).read_bytes()).walk("VEVENT")
    assert (str(ev["UID"]), int(ev["SEQUENCE"])) == (uid, 1)


def test_the_minutes_show_the_plan_and_a_missed_duty_shows_on_the_case(page, routine, clock):  # noqa: F811
    from engine.meetings import planning
    from tests.meetings.helpers import actor, plan_input

    case_id, task_id = open_first_meeting(routine, clock)
    planning.plan(actor("ingrid.bygdoy"), task_id, plan_input())
    login(page, "ingrid.bygdoy")
    page.goto(f"/oppgaver/{task_id}")
    assert "tirsdag 20. januar 2026" in page.locator("#task-meeting").inner_text()
    assert page.locator('input[name="motedato"]').input_value() == "2026-01-20"
    assert _axe(page, "#task-meeting") == []
    clock.at("2026-01-20", 12)
    routine.complete(case_id, "forste_samarbeidsmote", motedato="2026-01-20", bydelen_deltok=False)
    login(page, "kari.gamleoslo")                      # a new day, a new sign-in; the bydel sees it too
    page.goto(f"/saker/{case_id}")
    marker = page.locator(".duty-missed")
    assert marker.count() == 1
    assert "Bydelen plikter å delta på første samarbeidsmøte, men deltok ikke (20. januar 2026)" in marker.inner_text()
    assert "Bydelen: nei" in page.locator("#meeting-list").inner_text()
    assert _axe(page, "#meetings") == []
