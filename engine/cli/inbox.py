"""``flask inbox rebuild-counts | verify-counts`` — the inbox's counters (#15): count them afresh
(after a bulk load, or if a write ever escaped the triggers) and check them against a fresh count."""
from __future__ import annotations

import click
from flask import Flask

from engine.cases import inbox_counters
from engine.extensions import db


@click.group("inbox")
def inbox_group() -> None:
    """Innboksens tall."""


@inbox_group.command("rebuild-counts")
def rebuild_cmd() -> None:
    """Tell innboksens tall på nytt fra de åpne oppgavene (trygt å kjøre når som helst)."""
    rows = inbox_counters.rebuild()
    db.session.commit()
    click.echo(f"Innboksens tall er talt på nytt ({rows} rader).")


@inbox_group.command("verify-counts")
def verify_cmd() -> None:
    """Sjekk at innboksens tall stemmer med de åpne oppgavene; avslutter med 1 hvis ikke."""
    stored, expected = inbox_counters.stored_rows(), inbox_counters.expected_rows()
    db.session.rollback()
    if stored != expected:
        wrong = len(set(stored) ^ set(expected))
        click.echo(f"Innboksens tall stemmer ikke ({wrong} rader avviker): kjør «flask inbox rebuild-counts».")
        raise SystemExit(1)
    click.echo(f"Innboksens tall stemmer ({len(stored)} rader).")


def init_app(app: Flask) -> None:
    app.cli.add_command(inbox_group)
