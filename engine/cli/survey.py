"""``flask survey start --year YYYY``: start a year's livskvalitet survey by hand (idempotent).

The scheduler and ``flask worker`` start it by themselves in January–May; this is for a year the
service missed, or to start before the first tick.
"""
from __future__ import annotations

import sys

import click
from flask import Flask

from engine import clock, survey
from engine.errors import NotFound


@click.group("survey")
def survey_group() -> None:
    """Livskvalitetsmålingen (MANSA) hvert år."""


@survey_group.command("start")
@click.option("--year", type=click.IntRange(2000, 2100), default=None, help="Året (standard: i år).")
def start_cmd(year: int | None) -> None:
    """Start årets måling i hver bydel som ikke har den ennå."""
    year = year or clock.today_oslo().year
    try:
        result = survey.start_year(year)
    except NotFound as exc:
        click.echo(f"{exc.message} – rull ut processes/ først (flask seed / flask deploy).", err=True)
        sys.exit(2)
    for slug, case_id in result.started.items():
        click.echo(f"startet {slug}: sak {case_id}, {result.residents[slug]} beboere")
    click.echo(f"Livskvalitet {year}: {len(result.started)} startet, {len(result.existing)} fantes fra før")


def init_app(app: Flask) -> None:
    app.cli.add_command(survey_group)
