"""Who is calling: personal API tokens (``Authorization: Bearer …``) or the browser session.

Tokens are random, shown once, and stored as SHA-256 hashes.
"""
from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from flask import request, session

from engine import access, clock
from engine.bpmn.lanes import Actor
from engine.errors import Unauthenticated
from engine.extensions import db
from engine.store.models import ApiToken, User

TOKEN_PREFIX = "tb_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str) -> str:
    """Create a personal API token for ``user``; the plain token is returned once and not stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, name=name, token_hash=hash_token(token)))
    db.session.commit()
    return token


def current_user() -> User | None:
    # Cached per request (not on ``g``: an app context can outlive one request, e.g. in tests).
    if "tilbolig.user" in request.environ:
        return request.environ["tilbolig.user"]
    user = None
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        row = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(header[7:].strip()),
                                                          ApiToken.revoked_at.is_(None)))
        if row is not None and row.user.active:
            user = row.user
    elif session.get("user_id"):
        candidate = db.session.get(User, session["user_id"])
        if candidate is not None and candidate.active:
            user = candidate
    request.environ["tilbolig.user"] = user
    return user


def require_actor() -> Actor:
    user = current_user()
    if user is None:
        raise Unauthenticated("Du må logge inn (Authorization: Bearer <token>).")
    return access.actor_for(user)
