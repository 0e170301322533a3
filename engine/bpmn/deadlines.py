"""Deadline arithmetic for the routine («rutinefrister»), counted as PROCESS.md says.

A deadline «within 4 months of T0» is a calendar date in Oslo (calendar months: 31 Jan + 1 month =
28/29 Feb); it lasts to the end of that day, so the timer is due at the midnight after it, Oslo time,
stored as UTC. Optionally a deadline that falls on a weekend or Norwegian public holiday rolls forward
to the next working day (domstolloven § 148 by analogy). Pure functions: no Flask, no database.

Diagrams call :func:`frist` from timer expressions, e.g.
``<bpmn:timeDate>frist(innflytting, "P14D")</bpmn:timeDate>``.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays
from dateutil.relativedelta import relativedelta

from engine.clock import OSLO, UTC

_PERIOD = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")


class DeadlineError(ValueError):
    """A deadline cannot be computed: the anchor date is missing or the period is malformed."""


def parse_period(period: str) -> relativedelta:
    """Parse an ISO-8601 date period (``P14D``, ``P4W``, ``P4M``, ``P1Y2M``) into calendar units."""
    if not isinstance(period, str):
        raise DeadlineError(f"periode må være tekst som «P14D», fikk {period!r}")
    m = _PERIOD.match(period.strip())
    if not m or period.strip() == "P":
        raise DeadlineError(f"ugyldig periode {period!r}; bruk ISO 8601 som «P14D», «P4W» eller «P4M»")
    years, months, weeks, days = (int(g) if g else 0 for g in m.groups())
    return relativedelta(years=years, months=months, weeks=weeks, days=days)


def parse_anchor(value: object) -> date:
    """The Oslo calendar date of an anchor (T0, bolig tilbudt, T1).

    Accepts a ``date``, an aware ``datetime``, or an ISO string (``2026-01-31`` or
    ``2026-01-31T10:00:00+01:00``). A naive datetime is read as Oslo local time, because that is
    what a caseworker typing a date means.
    """
    if value is None or value == "":
        raise DeadlineError("ankerdato mangler")
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        return value
    elif isinstance(value, str):
        try:
            if len(value.strip()) == 10:
                return date.fromisoformat(value.strip())
            dt = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise DeadlineError(f"ugyldig dato {value!r}") from exc
    else:
        raise DeadlineError(f"ugyldig dato {value!r}")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=OSLO)
    return dt.astimezone(OSLO).date()


@lru_cache(maxsize=64)
def _norwegian_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("NO", years=year)


def is_working_day(day: date) -> bool:
    """Monday–Friday and not a Norwegian public holiday (Sundays are not counted as holidays here)."""
    return day.weekday() < 5 and day not in _norwegian_holidays(day.year)


def roll_to_working_day(day: date) -> date:
    """The first working day on or after ``day``."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def due_date(anchor: object, period: str, virkedag: bool = False) -> date:
    """The last Oslo calendar day on which the deadline is met."""
    day = parse_anchor(anchor) + parse_period(period)
    return roll_to_working_day(day) if virkedag else day


def end_of_day_utc(day: date) -> datetime:
    """The instant a deadline on ``day`` becomes overdue: the following midnight in Oslo, as UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=OSLO).astimezone(UTC)


def frist(anchor: object, period: str, virkedag: bool = False) -> str:
    """Timer expression helper: the ISO-8601 UTC instant when the deadline passes.

    The engine's ``timeDate`` parser accepts the offset string as is, and a string keeps the
    serialized case state plain JSON.
    """
    return end_of_day_utc(due_date(anchor, period, virkedag)).isoformat()


def frist_dato(anchor: object, period: str, virkedag: bool = False) -> str:
    """Script helper: the deadline's last day as an ISO date, for showing in forms and letters."""
    return due_date(anchor, period, virkedag).isoformat()
