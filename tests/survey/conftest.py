"""Fixtures for the survey tests: the real processes deployed (the routine and ``livskvalitet_aar``), a clock in Oslo."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine

from tests.routine.conftest import Clock
from tests.routine.helpers import Routine, deploy_routine, oslo


@pytest.fixture()
def routine(ctx, users) -> Routine:
    deploy_routine()
    return Routine()


@pytest.fixture()
def clock() -> Iterator[Clock]:
    with time_machine.travel(oslo("2026-11-02"), tick=False) as traveller:
        yield Clock(traveller)
