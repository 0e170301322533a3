"""``flask webhooks …`` and ``flask outbox deliver``: the webhook edge from the command line."""
from __future__ import annotations

import sys
import time

import click
from flask import Flask

from engine.errors import ServiceError
from engine.events import inbox, outbox, subscriptions
from engine.extensions import db
from webhooks.outbound import PUBLIC_TYPES


def init_app(app: Flask) -> None:
    app.cli.add_command(webhooks_group)
    app.cli.add_command(outbox_group)


def _fail(exc: ServiceError) -> None:
    db.session.rollback()
    click.echo(f"FEIL {exc.message}", err=True)
    if isinstance(exc.details, dict):
        for field, problems in exc.details.items():
            click.echo(f"  {field}: {'; '.join(map(str, problems))}", err=True)
    sys.exit(1)


@click.group("webhooks")
def webhooks_group() -> None:
    """Webhook subscriptions, inbound sources, dead letters."""


@webhooks_group.command("add")
@click.argument("url")
@click.option("--events", "events", multiple=True, required=True,
              help=f"Event types (repeat or comma-separate): {', '.join(PUBLIC_TYPES)}")
@click.option("--secret", default=None, help="whsec_… (generated if left out; printed once).")
@click.option("--description", default=None)
def add_cmd(url: str, events: tuple[str, ...], secret: str | None, description: str | None) -> None:
    """Register an endpoint that receives signed events."""
    types = [t.strip() for chunk in events for t in chunk.split(",") if t.strip()]
    try:
        row, secret = subscriptions.create_subscription(url, types, secret, description)
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"Abonnement {row.id}: {row.url} ({', '.join(row.event_types)})")
    click.echo(f"Hemmelighet (vises bare nå): {secret}")


@webhooks_group.command("list")
def list_cmd() -> None:
    """List subscriptions with their event counts."""
    for row in subscriptions.list_subscriptions():
        info = subscriptions.subscription_json(row)
        state = "aktiv" if row.active else "pauset"
        counts = " ".join(f"{k}={v}" for k, v in info["events"].items())
        click.echo(f"{row.id:>4}  {state:<6}  {row.url}  [{', '.join(row.event_types)}]  {counts}")


@webhooks_group.command("add-source")
@click.argument("name")
@click.option("--secret", default=None, help="whsec_… shared with the sender (generated if left out).")
@click.option("--messages", default="bolig_tilbudt", help="BPMN message names the source may send (comma-separated).")
def add_source_cmd(name: str, secret: str | None, messages: str) -> None:
    """Register a system that may POST events to /webhooks/inbound/NAME."""
    try:
        row, secret = subscriptions.add_source(name, secret, [m.strip() for m in messages.split(",") if m.strip()])
    except ServiceError as exc:
        _fail(exc)
    click.echo(f"Kilde «{row.name}»: POST /webhooks/inbound/{row.name} ({', '.join(row.messages)})")
    click.echo(f"Hemmelighet (vises bare nå): {secret}")


@webhooks_group.command("dead")
@click.option("--limit", default=100)
def dead_cmd(limit: int) -> None:
    """List dead letters (events given up on)."""
    for row in outbox.list_events("dead", limit=limit):
        click.echo(f"{row.id:>6}  sak {row.case_id}  {row.event_type:<17} abonnement {row.subscription_id}  "
                   f"forsøk {row.attempts}  {row.last_error or ''}")


@webhooks_group.command("redeliver")
@click.argument("event_ids", nargs=-1, type=int, required=True)
def redeliver_cmd(event_ids: tuple[int, ...]) -> None:
    """Queue dead (or delivered) events again, with a fresh attempt budget."""
    for event_id in event_ids:
        try:
            outbox.redeliver(event_id)
        except ServiceError as exc:
            _fail(exc)
        click.echo(f"Hendelse {event_id} lagt i kø igjen")


@webhooks_group.command("inbound")
@click.option("--state", default="unmatched", type=click.Choice(["held", "delivered", "unmatched", "failed", "all"]))
def inbound_cmd(state: str) -> None:
    """List inbound events (default: those that match no case)."""
    for e in inbox.list_events(None if state == "all" else state):
        click.echo(f"{e.id:>6}  {e.source.name:<12} {e.message_name:<16} sak {e.case_id}  {e.state:<9} "
                   f"{e.external_ref or ''}  {e.last_error or ''}")


@click.group("outbox")
def outbox_group() -> None:
    """The outgoing webhook queue."""


@outbox_group.command("deliver")
@click.option("--once", is_flag=True, help="One pass, then exit (otherwise run until stopped).")
@click.option("--interval", default=1.0, help="Seconds between passes when running continuously.")
def deliver_cmd(once: bool, interval: float) -> None:
    """Deliver due events (and retry held inbound events)."""
    while True:
        report = outbox.deliver_due()
        held = inbox.tick()
        if once or report.attempted or held:
            click.echo(f"levert {report.delivered}, prøves igjen {report.retried}, død {report.dead}, "
                       f"innkommende levert {held}")
        if once:
            return
        time.sleep(interval)
