"""``flask reports backfill`` — the compliance report's facts for cases older than the report (#16)."""
from __future__ import annotations

import click
from flask import Flask, current_app

from engine.reports import backfill, readmission


@click.group("reports")
def reports_group() -> None:
    """Rapporten «Følges rutinen?»."""


@reports_group.command("backfill")
def backfill_cmd() -> None:
    """Lag rapportens fakta for saker som fantes før rapporten (trygt å kjøre flere ganger)."""
    key = readmission.link_key(current_app.config.get("SECRET_KEY") or "", current_app.config.get("RESIDENT_LINK_KEY"))
    counts = backfill.backfill(readmission.make_link(key))
    click.echo(f"{counts['cases']} saker fikk fakta; {counts['skipped']} hadde dem fra før.")


def init_app(app: Flask) -> None:
    app.cli.add_command(reports_group)
