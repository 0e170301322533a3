"""Norwegian public holidays, precomputed once for a bounded range of years.

The `holidays` package builds a year's calendar lazily, and the first build in a fresh process costs
0.1 s idle and far more under a script's trace budget; a deadline armed then could time out and be
armed *broken*.  The rules are few and stable, so they are computed here at import (about 2,400
dates, a few milliseconds) and a lookup is a set membership test.  ``tests/spine`` checks the table
against the `holidays` package for every year both cover.

Public holidays (lov om helligdager og helligdagsfred, and lov 26. april 1947 nr. 1 for 1 and 17 May):
1 January, Maundy Thursday, Good Friday, Easter Sunday and Monday, Ascension Day, Whit Sunday and
Monday, 25 and 26 December; 1 May and 17 May from 1947.  Pure: no Flask, no database.
"""
from __future__ import annotations

from datetime import date, timedelta

#: Years the calendar covers.  Deadlines outside it are refused (see ``deadlines``), never guessed.
FIRST_YEAR = 1900
LAST_YEAR = 2100

#: 1 and 17 May became public holidays by the act of 26 April 1947.
_MAY_HOLIDAYS_FROM = 1947

# Offsets from Easter Sunday of the movable holidays.
_EASTER_OFFSETS = (-3, -2, 0, 1, 39, 49, 50)


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (the anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return date(year, month, day + 1)


def compute_year(year: int) -> frozenset[date]:
    """The public holidays of one year, computed from the rules (no table)."""
    easter = easter_sunday(year)
    days = {date(year, 1, 1), date(year, 12, 25), date(year, 12, 26)}
    days.update(easter + timedelta(days=offset) for offset in _EASTER_OFFSETS)
    if year >= _MAY_HOLIDAYS_FROM:
        days.update((date(year, 5, 1), date(year, 5, 17)))
    return frozenset(days)


# One extra year on each side so rolling a deadline forward from 31 December still finds its answer.
_TABLE: frozenset[date] = frozenset(
    day for year in range(FIRST_YEAR - 1, LAST_YEAR + 2) for day in compute_year(year))


def is_holiday(day: date) -> bool:
    """Whether ``day`` is a Norwegian public holiday; a set lookup (well under a microsecond)."""
    if not FIRST_YEAR - 1 <= day.year <= LAST_YEAR + 1:
        raise ValueError(f"helligdagskalenderen dekker bare årene {FIRST_YEAR}–{LAST_YEAR}, ikke {day.year}")
    return day in _TABLE
