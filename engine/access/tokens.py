"""Personal API tokens: random, shown once, stored as SHA-256 hashes, revocable.

Used by ``Authorization: Bearer …`` on the JSON API and created by ``flask create-token``.
"""
from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa

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


def user_for_token(token: str) -> User | None:
    """The active user a valid, unrevoked token belongs to."""
    # one statement for token and user (every API request asks: the user's row was a second lookup)
    user = db.session.scalar(sa.select(User).join(ApiToken, ApiToken.user_id == User.id)
                             .where(ApiToken.token_hash == hash_token(token.strip()), ApiToken.revoked_at.is_(None)))
    return user if user is not None and user.active else None
