"""Fixtures for the process tests: a frozen clock at T0 (Monday 5 January 2026, 09:00 in Oslo) and a case."""
from __future__ import annotations

import pytest
import time_machine

from tests.process.case import Case, oslo


@pytest.fixture
def clock():
    with time_machine.travel(oslo("2026-01-05"), tick=False) as traveller:
        yield traveller


@pytest.fixture
def case(clock) -> Case:
    return Case(clock)


@pytest.fixture(autouse=True, scope="session")
def _holiday_calendar_warm():
    """Build the Norwegian holiday calendars once, outside any script's time budget.

    The first ``virkedag=True`` deadline of a process otherwise builds them inside the 1 s budget
    and, on a loaded machine, is armed broken (issue 12, item 7 — being made fast separately).
    """
    from datetime import date

    from engine.bpmn.deadlines import is_working_day
    for year in range(2025, 2029):
        is_working_day(date(year, 1, 1))
