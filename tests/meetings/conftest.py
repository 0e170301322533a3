"""Fixtures for the meeting tests: the real routine deployed, demo users, a clock in Oslo."""
from __future__ import annotations

from tests.routine.conftest import clock, routine  # noqa: F401  (the same fixtures as the routine tests)
from tests.smtp import smtp_app, smtp_server  # noqa: F401  (a real SMTP server on 127.0.0.1)
