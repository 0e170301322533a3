"""Who is calling: personal API tokens (``Authorization: Bearer …``) or the browser session.

Tokens are random, shown once, and stored as SHA-256 hashes.
"""
from __future__ import annotations

from flask import request, session

from engine.access import rules as access
from engine.access.tokens import TOKEN_PREFIX, create_token, hash_token, user_for_token
from engine.bpmn.lanes import Actor
from engine.errors import Unauthenticated
from engine.extensions import db
from engine.store.models import User

__all__ = ["TOKEN_PREFIX", "create_token", "current_user", "hash_token", "require_actor"]

def current_user() -> User | None:
    # Cached per request (not on ``g``: an app context can outlive one request, e.g. in tests).
    if "tilbolig.user" in request.environ:
        return request.environ["tilbolig.user"]
    user = None
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        user = user_for_token(header[7:])
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
