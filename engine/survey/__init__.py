"""The yearly livskvalitet (MANSA) survey (issue 16, Oslostandard tiltak 9).

Every January each bydel gets one BPMN instance of ``livskvalitet_aar`` (``processes/``): one
registration per resident in scope, open January–May with a deadline on 31 May, and by 30 June the
leader's anonymised report to Velferdsetaten.  This part starts those instances (idempotently, from
the scheduler's tick and ``flask survey start``), marks the registrations with their deadline, and
counts: a bydel's own progress, the anonymised report, and Velferdsetaten's city-wide view.  Cases
change only through ``engine.cases`` (the unit of work); figures that leave the bydel go through
``engine.reports.anonymity``.

Other packages import from here: ``from engine import survey`` then ``survey.start_year(...)``.
"""
from engine.survey.hooks import init_app
from engine.survey.results import BydelProgress, CityView, Figures, bydel_progress, city_view, report_figures
from engine.survey.scope import in_scope
from engine.survey.start import PROCESS_KEY, StartResult, ensure_started, start_year, survey_cases

__all__ = ["PROCESS_KEY", "BydelProgress", "CityView", "Figures", "StartResult", "bydel_progress", "city_view",
           "ensure_started", "in_scope", "init_app", "report_figures", "start_year", "survey_cases"]
