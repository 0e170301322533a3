"""``flask`` commands: deploy, validate, timers fire, seed, create-token.  Thin: call a use case."""
from __future__ import annotations

import sys

import click
from flask import Flask, current_app

from engine.access import demo, users
from engine.access.tokens import create_token
from engine.errors import DeploymentInvalid
from engine.extensions import db
from engine.processes import deployments
from engine.timers import worker as timer_worker


def init_app(app: Flask) -> None:
    app.cli.add_command(deploy_cmd)
    app.cli.add_command(validate_cmd)
    app.cli.add_command(timers_group)
    app.cli.add_command(seed_cmd)
    app.cli.add_command(token_cmd)


@click.command("deploy")
@click.argument("paths", nargs=-1, required=True)
def deploy_cmd(paths: tuple[str, ...]) -> None:
    """Deploy BPMN/DMN files (or folders) as one deployment; forms come from the forms folder."""
    files = deployments.read_paths(list(paths))
    try:
        result = deployments.deploy(files, None)
    except DeploymentInvalid as exc:
        db.session.rollback()
        for p in exc.problems:
            click.echo(f"FEIL {p}", err=True)
        sys.exit(1)
    state = "ny" if result.created else "uendret (samme innhold finnes)"
    click.echo(f"Utrulling {result.deployment.id} {state} {result.deployment.content_hash[:12]}")
    for v in result.versions:
        click.echo(f"  {v.process_key} versjon {v.version}")


@click.command("validate")
@click.argument("paths", nargs=-1, required=True)
def validate_cmd(paths: tuple[str, ...]) -> None:
    """Validate without deploying; exit code 1 if anything is wrong."""
    problems = deployments.validate(deployments.read_paths(list(paths)))
    for p in problems:
        click.echo(f"FEIL {p}", err=True)
    if problems:
        sys.exit(1)
    click.echo("OK: ingen problemer")


@click.group("timers")
def timers_group() -> None:
    """Timers and deadlines."""


@timers_group.command("fire")
def timers_fire() -> None:
    """Wake every case with a due timer (one transaction per case)."""
    n = timer_worker.drain().cases_woken   # SKIP LOCKED claim; a failing case never blocks others
    click.echo(f"{n} sak(er) vekket")


@click.command("seed")
@click.option("--deploy/--no-deploy", default=True, help="Also deploy processes/.")
def seed_cmd(deploy: bool) -> None:
    """Create organisations and demo users (idempotent); deploy processes/."""
    demo.seed_users()
    click.echo(f"Demobrukere (passord: {demo.DEMO_PASSWORD}):")
    for username, name, _org, roles in demo.DEMO_USERS:
        click.echo(f"  {username:<20} {roles:<24} {name}")
    if deploy:
        files = deployments.read_paths([current_app.config["PROCESSES_DIR"]])
        if files:
            try:
                result = deployments.deploy(files, None)
                for v in result.versions:
                    click.echo(f"Prosess {v.process_key} versjon {v.version}")
            except DeploymentInvalid as exc:
                db.session.rollback()
                for p in exc.problems:
                    click.echo(f"FEIL {p}", err=True)
                sys.exit(1)


@click.command("create-token")
@click.argument("username")
@click.option("--name", default="cli", help="A label for the token.")
def token_cmd(username: str, name: str) -> None:
    """Create a personal API token for USERNAME and print it once."""
    user = users.by_username(username)
    if user is None:
        click.echo(f"Ukjent bruker {username}", err=True)
        sys.exit(1)
    click.echo(create_token(user, name))
