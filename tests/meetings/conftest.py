"""Fixtures for the meeting tests: the real routine deployed, demo users, a clock in Oslo."""
from __future__ import annotations

from tests.routine.conftest import clock, routine  # noqa: F401  (the same fixtures as the routine tests)
