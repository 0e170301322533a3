"""``flask mail send-due | list | requeue``: the mail outbox from the command line."""
from __future__ import annotations

import sys

import click
from flask import Flask

from engine import clock
from engine.errors import Conflict, NotFound
from engine.notify import admin, delivery, scan
from engine.store.notify import MAIL_STATES


def init_app(app: Flask) -> None:
    app.cli.add_command(mail_group)


@click.group("mail")
def mail_group() -> None:
    """The e-mail outbox: send what is due, list, re-queue."""


@mail_group.command("send-due")
def send_due_cmd() -> None:
    """Find due deadlines and digests, then send due e-mail once (what the worker does every tick)."""
    scan.run_due(force=True)
    r = delivery.deliver_due()
    click.echo(f"sendt {r.sent}, prøver igjen {r.retried}, gitt opp {r.dead}, uten adresse {r.skipped}, "
               f"usikre {r.uncertain}")
    if r.errors:
        click.echo("feil: " + ", ".join(r.errors), err=True)
        sys.exit(1)


@mail_group.command("list")
@click.option("--state", type=click.Choice(MAIL_STATES), default=None)
@click.option("--limit", type=int, default=50)
def list_cmd(state: str | None, limit: int) -> None:
    """The newest e-mails (kind, state, attempts, last error — never the content)."""
    for m in delivery.listing(state, limit):
        sent = clock.as_utc(m.sent_at).isoformat() if m.sent_at else "-"
        click.echo(f"{m.id:<7} {m.state:<9} {m.kind:<18} forsøk {m.attempts:<2} sendt {sent} {m.message_id}"
                   + (f"  {m.last_error}" if m.last_error else ""))
    counts = delivery.counts()
    click.echo("i kø: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) if counts else "i kø: ingen")


@mail_group.command("requeue")
@click.argument("mail_id", type=int)
def requeue_cmd(mail_id: int) -> None:
    """Send a dead or uncertain e-mail again (same Message-ID) — check the mail log first for uncertain ones.

    The same use case as the console's «Send på nytt», so the decision is audited (``mail.requeued``)
    whichever door it came through."""
    try:
        admin.requeue(mail_id, actor_id=None)
    except (NotFound, Conflict) as exc:
        click.echo(f"FEIL e-post {mail_id}: {exc}", err=True)
        sys.exit(1)
    click.echo(f"e-post {mail_id} ligger i kø igjen")
