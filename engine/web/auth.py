"""Who is calling: personal API tokens (``Authorization: Bearer …``) or the browser session.

Tokens are random, shown once, and stored as SHA-256 hashes.  The JSON API under ``/api/`` takes
bearer tokens *only*: a browser sends its cookies with any request another site makes it send, so
an API that honoured them could be driven by that site (#13).  Elsewhere the cookie points at a
server-side session (``engine.web.sessions``); a token still works there (a browser never adds one
by itself, so it cannot be abused across sites).
"""
from __future__ import annotations

from flask import request

from engine.access import rules as access
from engine.access.tokens import TOKEN_PREFIX, create_token, hash_token, user_for_token
from engine.bpmn.lanes import Actor
from engine.errors import Unauthenticated
from engine.store.models import User
from engine.web import sessions

__all__ = ["TOKEN_PREFIX", "create_token", "current_user", "hash_token", "require_actor"]

#: Paths where a session cookie counts for nothing.
TOKEN_ONLY_PREFIXES = ("/api/",)


def current_user() -> User | None:
    """The caller: by bearer token, or on pages (never under ``/api/``) by the server-side session."""
    # Cached per request (not on ``g``: an app context can outlive one request, e.g. in tests).
    if "tilbolig.user" in request.environ:
        return request.environ["tilbolig.user"]
    user = None
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        user = user_for_token(header[7:])
    elif not request.path.startswith(TOKEN_ONLY_PREFIXES):
        user = sessions.session_user()
    request.environ["tilbolig.user"] = user
    return user


def require_actor() -> Actor:
    user = current_user()
    if user is None:
        raise Unauthenticated("Du må logge inn (Authorization: Bearer <token>).")
    return access.actor_for(user)
