"""Which tasks are meetings: a minutes task is recognised by its form, not by its element id.

Why by form: the diagrams are generated and their element ids may change (a second samarbeidsmøte
element for the bydel, a new call activity …); the minutes form is what makes a task a meeting, and
its schema names the date field the plan fills in.  The convenor is the lane that holds the minutes
task (FK 2.1: the institution convenes while the resident lives there, the bydel after an offer).
"""
from __future__ import annotations

from dataclasses import dataclass

from engine.reports.meeting_duty import OBLIGED


@dataclass(frozen=True)
class Kind:
    key: str                # the report's meeting key (meeting_records.meeting)
    title: str              # Norwegian name: the invitation's SUMMARY
    date_field: str         # the minutes form's «Møtedato»
    people_field: str       # the minutes form's list of participants

    @property
    def obliged(self) -> str | None:
        """The party that «plikter å delta», if the routine names one."""
        return OBLIGED.get(self.key)


#: minutes form (``formJsonSchemaFilename``) → meeting kind
FORMS: dict[str, Kind] = {
    "forste-samarbeidsmote.schema.json": Kind("forste_samarbeidsmote", "Første samarbeidsmøte", "motedato", "deltakere"),
    "samarbeidsmote.schema.json": Kind("samarbeidsmote", "Samarbeidsmøte", "motedato", "deltakere"),
    "boligmote.schema.json": Kind("boligmote", "Boligmøte", "boligmote_dato", "boligmote_deltakere"),
    "utflyttingsmote.schema.json": Kind("utflyttingsmote", "Utflyttingsmøte", "utflyttingsmote_dato",
                                        "utflyttingsmote_deltakere"),
    "oppfolgingsmote.schema.json": Kind("oppfolgingsmote", "Oppfølgingsmøte", "oppfolgingsmote_dato",
                                        "oppfolgingsmote_deltakere"),
}
BY_KEY: dict[str, Kind] = {k.key: k for k in FORMS.values()}
#: The parties a meeting has (the lanes of the routine).
PARTIES = ("bydel", "institusjon", "beboer")


def of_form(form: str | None) -> Kind | None:
    """The meeting kind of a task with this form, or None: not a meeting."""
    return FORMS.get(form or "")
