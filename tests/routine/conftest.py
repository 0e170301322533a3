"""Fixtures for the routine tests: the real processes deployed, demo users, and a clock in Oslo."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine

from tests.routine.helpers import Routine, deploy_routine, oslo


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
