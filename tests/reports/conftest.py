"""The report tests reuse the routine's fixtures (the real processes deployed, an Oslo clock)."""
from tests.routine.conftest import clock, routine  # noqa: F401
