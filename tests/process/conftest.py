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
