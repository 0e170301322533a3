"""The one clock of the service.

Every piece of code that needs "now" asks this module, so tests can move time with time-machine
(which patches ``datetime.now``) and the engine's own timer comparisons see the same instant.
Must not import Flask or the store.
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

UTC = UTC
OSLO = ZoneInfo("Europe/Oslo")


def now() -> datetime:
    """Current time as an aware UTC datetime."""
    return datetime.now(UTC)


def today_oslo() -> date:
    """Today's calendar date in Oslo: deadlines are counted in Oslo days."""
    return now().astimezone(OSLO).date()


def as_utc(value: datetime) -> datetime:
    """Normalise a datetime to aware UTC; a naive value is taken to be UTC already (as stored)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
