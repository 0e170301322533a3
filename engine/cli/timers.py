"""``flask worker``, ``flask timers list``, ``flask deadlines move|list`` — thin: call a use case."""
from __future__ import annotations

import sys

import click
from flask import Flask, current_app

from engine import clock
from engine.access import rules as access
from engine.access import users
from engine.errors import ServiceError
from engine.extensions import db
from engine.timers import deadline_changes
from engine.timers import overview as timer_overview
from engine.timers import service as worker_service
from engine.timers import worker as timer_worker


def init_app(app: Flask) -> None:
    from engine.cli.commands import timers_group

    app.cli.add_command(worker_cmd)
    app.cli.add_command(deadlines_group)
    if "list" not in timers_group.commands:
        timers_group.add_command(timers_list)


def _actor(username: str | None):
    """The acting user; without ``--user`` the CLI acts as an administrator-equivalent operator."""
    if username is None:
        from engine.bpmn.lanes import ADMINISTRATOR, Actor
        return Actor(user_id=None, username="cli", roles=frozenset({ADMINISTRATOR}))  # type: ignore[arg-type]
    user = users.by_username(username)
    if user is None:
        click.echo(f"Ukjent bruker {username}", err=True)
        sys.exit(1)
    return access.actor_for(user)


@click.command("worker")
@click.option("--once", is_flag=True, help="Fire what is due now and exit.")
@click.option("--tick", type=float, default=None, help="Seconds between ticks (default SCHEDULER_TICK_SECONDS).")
@click.option("--name", default=None, help="Worker name in the heartbeat table.")
def worker_cmd(once: bool, tick: float | None, name: str | None) -> None:
    """Run the background worker: timers, webhook outbox and held inbound events (several may run on PostgreSQL)."""
    from engine.timers import scheduler
    scheduler.stop()        # this process is the worker; no second ticker
    seconds = tick if tick is not None else float(current_app.config.get("SCHEDULER_TICK_SECONDS", 1.0))
    worker = name or timer_worker.worker_name()
    if not once:
        click.echo(f"{worker}: fyrer forfalte tidtakere og leverer webhooks (tikker hvert {seconds:g} s); "
                   "Ctrl-C stopper")
    try:
        fired = worker_service.run(worker, seconds, once=once)
    except KeyboardInterrupt:
        return
    click.echo(f"{fired} tidtaker(e) utløst")


@click.command("list")
@click.option("--state", type=click.Choice(timer_overview.STATES), default="due")
@click.option("--user", "username", default=None, help="List as this user (default: everything).")
def timers_list(state: str, username: str | None) -> None:
    """List due, overdue, broken or all waiting timers, and worker heartbeats."""
    view = timer_overview.overview(_actor(username), state)
    for t in view.timers:
        due = clock.as_utc(t.due_at).isoformat() if t.due_at else "-"
        extra = f"  BRUTT: {t.broken_reason}" if t.broken_reason else ""
        click.echo(f"sak {t.case_id:<6} {t.element_id:<24} {t.kind:<8} {t.deadline_key or '-':<12} {due}{extra}")
    for task in view.overdue_tasks:
        overdue = clock.as_utc(task.overdue_at).isoformat() if task.overdue_at else "-"
        click.echo(f"sak {task.case_id:<6} {task.element_id:<24} forfalt {overdue}")
    if not view.timers and not view.overdue_tasks:
        click.echo(f"ingen ({state})")
    for b in view.heartbeats:
        click.echo(f"puls {b.worker}: {timer_overview.heartbeat_age(b, view.now):.1f} s siden, "
                   f"{b.timers_fired} utløst")
    if not view.heartbeats:
        click.echo("puls: ingen arbeider har meldt seg")


@click.group("deadlines")
def deadlines_group() -> None:
    """Case deadlines («frister»)."""


@deadlines_group.command("move")
@click.argument("case_id", type=int)
@click.argument("key")
@click.argument("new_date")
@click.option("--reason", required=True, help="Why the deadline moves (kept in the history).")
@click.option("--user", "username", required=True, help="The caseworker who agreed to it.")
def deadlines_move(case_id: int, key: str, new_date: str, reason: str, username: str) -> None:
    """Move deadline KEY (or timer task id) of CASE_ID to the end of NEW_DATE (YYYY-MM-DD, Oslo)."""
    try:
        change = deadline_changes.move_deadline(_actor(username), case_id, key, new_date, reason)
    except ServiceError as exc:
        db.session.rollback()
        click.echo(f"FEIL ({exc.status}): {exc.message}", err=True)
        sys.exit(1)
    click.echo(f"Fristen «{change.deadline_key or key}» i sak {case_id} er flyttet til {change.new_date.isoformat()}")


@deadlines_group.command("list")
@click.argument("case_id", type=int)
@click.option("--user", "username", required=True)
def deadlines_list(case_id: int, username: str) -> None:
    """Show a case's deadlines and their change history."""
    try:
        _case, items, history = deadline_changes.case_deadlines(_actor(username), case_id)
    except ServiceError as exc:
        click.echo(f"FEIL ({exc.status}): {exc.message}", err=True)
        sys.exit(1)
    for d in items:
        click.echo(f"{d.timer.deadline_key or d.timer.element_id:<16} {d.due_date or 'BRUTT'}")
    for c in history:
        click.echo(f"  {clock.as_utc(c.at):%Y-%m-%d %H:%M} {c.actor.username}: "
                   f"{c.old_due_at and clock.as_utc(c.old_due_at).isoformat()} → {c.new_date} ({c.reason})")
