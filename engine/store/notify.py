"""Tables of notifications and e-mail (#17): the mail outbox, in-app notifications, preferences.

A mail row is written in the transaction of the change that caused it and moved by the worker
from *pending* through *sending* to *sent* (or *dead*, or *uncertain* when a worker died while the
SMTP server may already have taken the message — see ``engine.notify.delivery``).  A notification
is one event for one user, unique per (user, dedup key), so a replayed change or a second scan of
the same deadline adds nothing.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from engine import clock
from engine.extensions import Model, db
from engine.store.models import UTCDateTime

PENDING, SENDING, SENT, DEAD, UNCERTAIN, SKIPPED = "pending", "sending", "sent", "dead", "uncertain", "skipped"
MAIL_STATES = (PENDING, SENDING, SENT, DEAD, UNCERTAIN, SKIPPED)
#: A user's e-mail choice; a notification's mail mark (NONE: no mail for it, DIGEST: waits for the digest).
IMMEDIATE, DIGEST, OFF = "immediate", "digest", "off"
NONE, QUEUED, DIGESTED = "none", "queued", "digested"


class MailMessage(Model):
    """One e-mail to one recipient (a user, resolved to an address when sent, or a bare address)."""

    __tablename__ = "mail_outbox"
    __table_args__ = (sa.Index("ix_mail_outbox_due", "state", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dedup_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(50))
    to_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    to_address: Mapped[str | None] = mapped_column(sa.String(320))
    subject: Mapped[str] = mapped_column(sa.String(300))
    text: Mapped[str] = mapped_column(sa.Text)
    parts: Mapped[dict] = mapped_column(sa.JSON, default=dict)      # {"attachments": [...], "alternative": {...}}
    case_id: Mapped[int | None] = mapped_column(sa.Integer)          # no FK: the mail outlives nothing
    message_id: Mapped[str] = mapped_column(sa.String(200), unique=True)   # the same on every attempt
    state: Mapped[str] = mapped_column(sa.String(20), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claim_token: Mapped[str | None] = mapped_column(sa.String(36))
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Notification(Model):
    """One event for one user: shown under the bell until read; mailed at once or in the digest."""

    __tablename__ = "notifications"
    __table_args__ = (sa.UniqueConstraint("user_id", "dedup_key", name="uq_notifications_user_dedup"),
                      sa.Index("ix_notifications_user_read", "user_id", "read_at", "id"),
                      sa.Index("ix_notifications_mail", "mail", "user_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(50))
    case_id: Mapped[int | None] = mapped_column(sa.Integer)
    task_id: Mapped[str | None] = mapped_column(sa.String(36))
    link: Mapped[str] = mapped_column(sa.String(500))
    dedup_key: Mapped[str] = mapped_column(sa.String(200))
    mail: Mapped[str] = mapped_column(sa.String(10), default=NONE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotifyPreference(Model):
    """A user's e-mail choice (no row: the configured default)."""

    __tablename__ = "notify_preferences"
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    mail: Mapped[str] = mapped_column(sa.String(10), default=IMMEDIATE)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class DeadlineMark(Model):
    """A task's deadline the scan has already turned into notifications («soon» or «missed»)."""

    __tablename__ = "notify_deadline_marks"
    task_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


_INSERTS: dict[tuple[Any, ...], Any] = {}


def insert_new(model: Any, rows: Sequence[dict[str, Any]], keys: Sequence[str], returning: str | None = None) -> list[Any]:
    """``INSERT … ON CONFLICT (keys) DO NOTHING`` in the caller's transaction; the ``returning`` column
    (default: the first primary-key column) of the rows added.

    Why not SELECT-then-INSERT: two transactions could both find nothing and the second commit would
    fail on the unique key, taking the caller's whole change with it.  Works on PostgreSQL and SQLite.
    One compiled statement per table and dialect, run as an executemany on the session's connection
    (a multi-row VALUES is compiled anew each time; this runs inside every step that opens a task).
    """
    if not rows:
        return []
    conn = db.session.connection()
    key = (model, tuple(keys), returning, conn.dialect.name)
    stmt = _INSERTS.get(key)
    if stmt is None:
        from sqlalchemy.dialects import postgresql, sqlite
        insert: Any = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        table = model.__table__
        column = table.c[returning] if returning else next(iter(table.primary_key.columns))
        stmt = _INSERTS[key] = insert(table).on_conflict_do_nothing(index_elements=list(keys)).returning(column)
    if len(rows) == 1:
        return list(conn.execute(stmt, dict(rows[0])).scalars())
    return list(conn.execute(stmt, [dict(r) for r in rows]).scalars())
