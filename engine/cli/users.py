"""``flask users …``: end a user's sessions now (revocation), link a resident to ID-porten (#13)."""
from __future__ import annotations

import sys

import click
from flask import Flask

from engine.access import identities, sessions, trust
from engine.access import users as user_lookup
from engine.store.models import User


@click.group("users")
def users_group() -> None:
    """Brukere: avslutt økter, knytt beboere til ID-porten."""


def _user(username: str) -> User:
    user = user_lookup.by_username(username)
    if user is None:
        click.echo(f"Ukjent bruker {username}", err=True)
        sys.exit(2)
    return user


@users_group.command("revoke")
@click.argument("username")
@click.option("--reason", required=True, help="Hvorfor (lagres i revisjonsloggen).")
@click.option("--deactivate", is_flag=True, help="Sperr også kontoen og API-nøklene.")
def revoke_cmd(username: str, reason: str, deactivate: bool) -> None:
    """Avslutt alle økter for en bruker nå."""
    result = sessions.revoke(_user(username), None, reason, deactivate)
    click.echo(f"{result['sessions_ended']} økter avsluttet, {result['tokens_revoked']} API-nøkler sperret.")


@users_group.command("link-pid")
@click.argument("username")
@click.argument("pid")
def link_pid_cmd(username: str, pid: str) -> None:
    """Knytt en beboerkonto til fødselsnummer/d-nummer (for innlogging med ID-porten)."""
    try:
        identities.link_pid(_user(username), pid)
    except ValueError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    click.echo(f"{username} kan nå logge inn med ID-porten.")


@users_group.command("trust-scripts")
@click.argument("username")
@click.option("--reason", required=True, help="Hvorfor (lagres i revisjonsloggen).")
@click.option("--revoke", is_flag=True, help="Ta tilliten tilbake.")
def trust_scripts_cmd(username: str, reason: str, revoke: bool) -> None:
    """Gi (eller ta fra) en prosesseier lov til å rulle ut diagrammer med skript (rollen skriptbetrodd).

    Skriptene kjører fortsatt i sandkassen: de når aldri operativsystemet, filer eller nettverket.
    """
    user = _user(username)
    changed = trust.set_scripts_trusted(user, not revoke, reason)
    state = "kan nå" if not revoke else "kan ikke lenger"
    click.echo(f"{username} {state} rulle ut skript." + ("" if changed else " (uendret)"))


def init_app(app: Flask) -> None:
    app.cli.add_command(users_group)
