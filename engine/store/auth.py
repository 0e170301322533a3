"""Tables owned by sign-in: external identities, server-side sessions and login attempts.

Kept out of ``models`` so the security capability owns its schema; imported at the end of
``models`` so one ``db.metadata`` knows every table (Alembic, the test truncation).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine import clock
from engine.extensions import Model
from engine.store.models import User, UTCDateTime


class UserIdentity(Model):
    """A user as an identity provider knows them: ``(issuer, sub)`` for staff, ``("pid", fødselsnummer)``
    for residents (ID-porten's ``pid`` is the same person whatever the client, so it is keyed alone)."""

    __tablename__ = "user_identities"
    __table_args__ = (sa.UniqueConstraint("provider", "subject", name="uq_user_identities_provider_subject"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    provider: Mapped[str] = mapped_column(sa.String(300))
    subject: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship(User)


class UserSession(Model):
    """One signed-in browser.  The cookie carries a random id; only its SHA-256 is stored, so a copy
    of the database cannot be replayed as a cookie.  A session ends (``ended_at``) on logout, when an
    administrator revokes the user, when idle too long, or when it reaches its maximum age."""

    __tablename__ = "user_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    method: Mapped[str] = mapped_column(sa.String(40))           # password | oidc:ansatt | oidc:idporten
    acr: Mapped[str | None] = mapped_column(sa.String(100))
    address: Mapped[str | None] = mapped_column(sa.String(64))
    user_agent: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    end_reason: Mapped[str | None] = mapped_column(sa.String(40))  # logout | idle | max_age | revoked | inactive

    user = relationship(User)


class LoginAttempt(Model):
    """Every password login, right or wrong: the throttle counts recent failures here, so it holds
    across all web processes (and the rows say who tried what from where)."""

    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)
    username: Mapped[str | None] = mapped_column(sa.String(80), index=True)
    address: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    succeeded: Mapped[bool] = mapped_column(default=False)
