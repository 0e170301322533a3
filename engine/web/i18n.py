"""The one translation layer of the web pages: Flask-Babel, Norwegian bokmål (``nb``) by default.

Source strings are written in Norwegian and wrapped in ``_()``; an English (or nynorsk) catalog can
be added under ``engine/translations/`` without touching a template.  Also owns how dates and
times are shown: stored in UTC, shown in Europe/Oslo.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Flask
from flask_babel import Babel, gettext, ngettext

from engine import clock

_ = gettext

MONTHS = ("januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september",
          "oktober", "november", "desember")


def oslo_date(value: datetime | date | str | None) -> date | None:
    """The Oslo calendar date of a stored UTC instant (deadlines are Oslo days).

    Anything that is not a date (a template's undefined ``anchors.innflytting`` for a process that
    never asks for T0) is no date: it made the case page fail with a 500 before (#13).
    """
    if not isinstance(value, (date, str)) or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        return clock.as_utc(value).astimezone(clock.OSLO).date()
    return value


def format_date(value) -> str:
    """«3. mars 2026» — the way a letter from the kommune writes a date."""
    d = oslo_date(value)
    if d is None:
        return ""
    return f"{d.day}. {_(MONTHS[d.month - 1])} {d.year}"


def due_day(value) -> date | None:
    """The last Oslo day of a deadline.  A due instant is the midnight *after* that day
    (``engine.bpmn.deadlines``), so the day shown is the one just before it."""
    if isinstance(value, str) and "T" in value:
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        value = clock.as_utc(value) - timedelta(microseconds=1)
    return oslo_date(value)


def format_due(value) -> str:
    d = due_day(value)
    return format_date(d) if d else ""


def format_datetime(value) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    local = clock.as_utc(value).astimezone(clock.OSLO)
    return f"{format_date(local.date())} kl. {local:%H.%M}"


def format_datetime_zone(value) -> str:
    """«28.11.2026 kl. 14.05 norsk tid (CET)» — for the console, where a time is read next to logs
    and other systems' clocks, so the zone (winter CET / summer CEST) is always written out."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    local = clock.as_utc(value).astimezone(clock.OSLO)
    return _("%(day)s kl. %(time)s norsk tid (%(zone)s)", day=f"{local:%d.%m.%Y}", time=f"{local:%H.%M}",
             zone=local.tzname() or "")


def local_input(value) -> str:
    """The value of an ``<input type="datetime-local">`` for a stored UTC instant: Oslo wall time."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return f"{clock.as_utc(value).astimezone(clock.OSLO):%Y-%m-%dT%H:%M}"


def parse_local(text: str | None) -> datetime | None:
    """What a ``datetime-local`` picker sent («2026-04-01T08:00»), read as Oslo wall time; None if
    it is no such time.  A time with its own offset is kept as given (the API's ISO strings)."""
    if not text or not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=clock.OSLO)
    return clock.as_utc(value)


def days_left(due) -> int | None:
    """Whole Oslo days from today to the due date: 0 is «i dag», negative is overdue."""
    d = due_day(due)
    return None if d is None else (d - clock.today_oslo()).days


def describe_days(n: int | None) -> str:
    """Plain-language distance to a due date, for caseworkers and residents alike."""
    if n is None:
        return _("ingen frist")
    if n == 0:
        return _("frist i dag")
    if n > 0:
        return ngettext("%(num)d dag igjen", "%(num)d dager igjen", n)
    return ngettext("%(num)d dag over fristen", "%(num)d dager over fristen", -n)


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "nb")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Oslo")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    Babel(app, locale_selector=lambda: "nb")
    app.jinja_env.filters["dato"] = format_date
    app.jinja_env.filters["fristdato"] = format_due
    app.jinja_env.filters["tidspunkt"] = format_datetime
    app.jinja_env.filters["tidspunkt_sone"] = format_datetime_zone
    app.jinja_env.filters["lokal_input"] = local_input
    app.jinja_env.filters["dager_igjen"] = days_left
    app.jinja_env.globals["beskriv_dager"] = describe_days
