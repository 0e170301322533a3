"""Fixtures for the routine tests: the real processes deployed, demo users, and a clock in Oslo."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import time_machine

from tests.routine.helpers import Routine, deploy_routine, oslo


@pytest.fixture(autouse=True, scope="session")
def _holiday_calendar_warm() -> None:
    """Build the Norwegian holiday calendars outside any script's time budget (see tests/process/conftest.py)."""
    from engine.bpmn.deadlines import is_working_day
    for year in range(2025, 2029):
        is_working_day(date(year, 1, 1))


@pytest.fixture()
def routine(ctx, users) -> Routine:
    deploy_routine()
    return Routine()


class Clock:
    """The frozen clock of one test, moved to Oslo wall-clock times."""

    def __init__(self, traveller: time_machine.Coordinates) -> None:
        self.tm = traveller

    def at(self, day: str, hour: int = 8, minute: int = 0) -> None:
        self.tm.move_to(oslo(day, hour, minute))


@pytest.fixture()
def clock() -> Iterator[Clock]:
    with time_machine.travel(oslo("2026-01-01"), tick=False) as traveller:
        yield Clock(traveller)
