"""Deadline arithmetic for the routine («rutinefrister»), counted as PROCESS.md says.

A deadline «within 4 months of T0» is a calendar date in Oslo (calendar months: 31 Jan + 1 month =
28/29 Feb); it lasts to the end of that day, so the timer is due at the midnight after it, Oslo time,
stored as UTC. Optionally a deadline that falls on a weekend or Norwegian public holiday rolls forward
to the next working day (domstolloven § 148 by analogy). Pure functions: no Flask, no database.

Computing a due date takes microseconds: the holiday calendar is a precomputed table
(:mod:`engine.bpmn.norwegian_holidays`), and every input is bounded (years 1900–2100, periods up to
200 years), so a timer is never armed *broken* because a script's time budget ran out, and a wild
anchor gives a clear :class:`DeadlineError` rather than an overflow.

Diagrams call :func:`frist` from timer expressions, e.g.
``<bpmn:timeDate>frist(innflytting, "P14D")</bpmn:timeDate>``.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta

from engine.bpmn import norwegian_holidays
from engine.bpmn.norwegian_holidays import FIRST_YEAR, LAST_YEAR
from engine.clock import OSLO, UTC

_PERIOD = re.compile(r"^P(?:(\d{1,6})Y)?(?:(\d{1,6})M)?(?:(\d{1,6})W)?(?:(\d{1,6})D)?$")

#: The longest period a deadline may have; longer is a typo or an attack, and would overflow a date.
MAX_PERIOD_YEARS = 200


class DeadlineError(ValueError):
    """A deadline cannot be computed: the anchor date is missing or the period is malformed."""


def parse_period(period: str) -> relativedelta:
    """Parse an ISO-8601 date period (``P14D``, ``P4W``, ``P4M``, ``P1Y2M``) into calendar units."""
    if not isinstance(period, str):
        raise DeadlineError(f"periode må være tekst som «P14D», fikk {_short(period)}")
    m = _PERIOD.match(period.strip()) if len(period) <= 64 else None
    if not m or period.strip() == "P":
        raise DeadlineError(f"ugyldig periode {_short(period)}; bruk ISO 8601 som «P14D», «P4W» eller «P4M»")
    years, months, weeks, days = (int(g) if g else 0 for g in m.groups())
    if years * 366 + months * 31 + weeks * 7 + days > MAX_PERIOD_YEARS * 366:
        raise DeadlineError(f"perioden {period!r} er for lang (høyst {MAX_PERIOD_YEARS} år)")
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
        day = _oslo_date(value)
    elif isinstance(value, date):
        day = value
    elif isinstance(value, str) and len(value) <= 64:
        try:
            text = value.strip()
            day = date.fromisoformat(text) if len(text) == 10 else _oslo_date(datetime.fromisoformat(text))
        except (ValueError, OverflowError) as exc:
            raise DeadlineError(f"ugyldig dato {value!r}") from exc
    else:
        raise DeadlineError(f"ugyldig dato {_short(value)}")
    _check_year(day, "ankerdatoen")
    return day


def _oslo_date(dt: datetime) -> date:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=OSLO)
    try:
        return dt.astimezone(OSLO).date()
    except OverflowError as exc:    # 9999-12-31T23:00-01:00 is past datetime.max in Oslo
        raise DeadlineError(f"ugyldig dato {dt.isoformat()!r}") from exc


def _check_year(day: date, what: str) -> None:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise DeadlineError(f"{what} {day.isoformat()} er utenfor årene {FIRST_YEAR}–{LAST_YEAR}")


def _short(value: object) -> str:
    """A bounded repr for error messages (a script could pass a megabyte of text)."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "…"


def is_working_day(day: date) -> bool:
    """Monday–Friday and not a Norwegian public holiday (Sundays are not counted as holidays here)."""
    try:
        return day.weekday() < 5 and not norwegian_holidays.is_holiday(day)
    except ValueError as exc:
        raise DeadlineError(str(exc)) from exc


def roll_to_working_day(day: date) -> date:
    """The first working day on or after ``day`` (at most a week away: Easter is the longest run)."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def due_date(anchor: object, period: str, virkedag: bool = False) -> date:
    """The last Oslo calendar day on which the deadline is met."""
    start, delta = parse_anchor(anchor), parse_period(period)
    try:
        day = start + delta
    except (ValueError, OverflowError) as exc:
        raise DeadlineError(f"fristen {start.isoformat()} + {period} kan ikke beregnes") from exc
    _check_year(day, "fristen")
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
