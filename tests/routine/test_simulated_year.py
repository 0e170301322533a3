"""A simulated year (issue 12): cases with random lateness per step; every missed deadline is
escalated exactly once.  20 cases here; ``bench/simulated_year.py`` runs 200."""
from __future__ import annotations

import time_machine

from tests.routine.helpers import oslo
from tests.routine.simulation import Year, report


def test_every_missed_deadline_in_a_simulated_year_is_escalated_exactly_once(routine, capsys):
    # given 20 cases over a year, each step done on time, late or never at random (seeded)
    with time_machine.travel(oslo("2026-01-01"), tick=False) as traveller:
        # when the year runs, the timer worker every morning
        result = Year(routine, traveller, n=20).run()
    with capsys.disabled():
        print("\n" + report(result))
    # then each case's missed deadlines, counted from its history and PROCESS.md, are its escalations
    assert sum(result.missed.values()) > 20, "the year should miss deadlines of every kind"
    assert result.mismatches == []
    assert result.missed == result.escalated
