"""The livskvalitet (MANSA) survey pages: a bydel's own progress, Velferdsetaten's city-wide result.

Thin: the year from the query string, one call into ``engine.survey``, one template.  Who sees what
(a bydel's staff only their bydel's survey; Velferdsetaten only aggregates) and the access log are
decided there.
"""
from __future__ import annotations

from flask import render_template, request

from engine import clock, survey
from engine.bpmn import lanes
from engine.survey.results import BANDS, ITEMS, STATUSES
from engine.web.i18n import _
from engine.web.page_base import bp, require_actor

STATUS_TEXT = {"gjennomfort": "Svarte", "avslatt": "Ønsket ikke å svare", "ikke_nadd": "Kunne ikke nås",
               "ikke_registrert": "Ikke registrert"}
ITEM_TEXT = {"livet_samlet": "Livet samlet sett", "arbeid": "Arbeid, utdanning eller dagaktivitet",
             "okonomi": "Økonomisk situasjon", "vennskap": "Vennskap", "fritid": "Fritidsaktiviteter",
             "bolig": "Bolig", "trygghet": "Personlig trygghet", "bor_med": "De du bor sammen med / å bo alene",
             "seksualliv": "Seksualliv", "familie": "Forholdet til familien", "fysisk_helse": "Fysisk helse",
             "psykisk_helse": "Psykisk helse"}
BAND_TEXT = {"1-3": "1–3 misfornøyd", "4": "4 blandet", "5-7": "5–7 fornøyd"}


def _year() -> int:
    raw = request.args.get("aar", "")
    year = int(raw) if raw.isdigit() and len(raw) == 4 else clock.today_oslo().year
    return min(max(year, 2000), 2100)


@bp.get("/livskvalitet")
def survey_page():
    """Velferdsetaten: the city; a bydel's caseworkers and leaders: their bydel's progress."""
    actor = require_actor()
    year = _year()
    labels = dict(statuses=STATUSES, items=ITEMS, bands=BANDS, status_text=STATUS_TEXT, item_text=ITEM_TEXT,
                  band_text=BAND_TEXT)
    if actor.has(lanes.VELFERDSETATEN):
        view = survey.city_view(actor, year)
        return render_template("pages/survey_city.html", view=view, year=year, **labels)
    progress = survey.bydel_progress(actor, year)
    return render_template("pages/survey_bydel.html", p=progress, year=year, title=_("Livskvalitet"), **labels)
