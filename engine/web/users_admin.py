"""Administrators end other people's access: revoke a user's sessions (and, if asked, deactivate the
account and its API tokens), over the API and on the command line; link a resident to ID-porten.

Every revocation is an audit event (who, whom, why, how many sessions).
"""
from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask import Blueprint, Flask, jsonify

from engine import clock
from engine.access import require_role
from engine.bpmn import lanes
from engine.errors import BadRequest, NotFound
from engine.extensions import db
from engine.store.models import ApiToken, AuditEvent, User
from engine.web import sessions
from engine.web.api import _body
from engine.web.auth import require_actor

bp = Blueprint("users_api", __name__, url_prefix="/api/v1/admin/users")


def revoke(target: User, by_user_id: int | None, reason: str, deactivate: bool = False) -> dict:
    """End every session of ``target`` now; with ``deactivate`` also lock the account and its tokens."""
    tokens = 0
    if deactivate:
        target.active = False
        tokens = db.session.execute(sa.update(ApiToken).where(ApiToken.user_id == target.id,
                                                               ApiToken.revoked_at.is_(None))
                                    .values(revoked_at=clock.now())).rowcount or 0
    db.session.add(AuditEvent(case_id=None, type="user.revoked", actor_id=by_user_id,
                              data={"user_id": target.id, "username": target.username, "reason": reason,
                                    "deactivated": deactivate, "tokens_revoked": tokens}))
    db.session.commit()
    ended = sessions.revoke_user(target.id, "deactivated" if deactivate else "revoked")
    return {"user_id": target.id, "sessions_ended": ended, "tokens_revoked": tokens, "active": target.active}


@bp.post("/<int:user_id>/revoke")
def revoke_endpoint(user_id: int):
    actor = require_actor()
    require_role(actor, lanes.ADMINISTRATOR)
    body = _body()
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 500:
        raise BadRequest("Oppgi en begrunnelse («reason», høyst 500 tegn).")
    deactivate = body.get("deactivate", False)
    if not isinstance(deactivate, bool):
        raise BadRequest("«deactivate» må være true eller false.")
    target = db.session.get(User, user_id)
    if target is None:
        raise NotFound("Fant ikke brukeren.")
    return jsonify(revoke(target, actor.user_id, reason.strip(), deactivate))


@click.group("users")
def users_group() -> None:
    """Brukere: avslutt økter, knytt beboere til ID-porten."""


def _user(username: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.username == username))
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
    result = revoke(_user(username), None, reason, deactivate)
    click.echo(f"{result['sessions_ended']} økter avsluttet, {result['tokens_revoked']} API-nøkler sperret.")


@users_group.command("link-pid")
@click.argument("username")
@click.argument("pid")
def link_pid_cmd(username: str, pid: str) -> None:
    """Knytt en beboerkonto til fødselsnummer/d-nummer (for innlogging med ID-porten)."""
    from engine.web.oidc_users import link_pid
    try:
        link_pid(_user(username), pid)
    except ValueError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    click.echo(f"{username} kan nå logge inn med ID-porten.")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.cli.add_command(users_group)
