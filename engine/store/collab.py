"""Comments and attachments of a case (issue #17): rows that are kept, never deleted.

A comment's edits are kept as revisions (the text before each edit); a deletion only marks the
row. An attachment row points at a blob by its sha256 (``engine.collab.store``): the same file
uploaded twice is stored once. Both carry the side that wrote them and a sharing category, so
``engine.access.consent`` decides who reads them exactly as it decides a form's answers.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from engine import clock
from engine.extensions import Model
from engine.store.models import UTCDateTime


class Comment(Model):
    """A note on a case, optionally on one of its tasks."""

    __tablename__ = "comments"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    task_id: Mapped[str | None] = mapped_column(sa.String(36), index=True)
    element_id: Mapped[str | None] = mapped_column(sa.String(200))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    lane: Mapped[str] = mapped_column(sa.String(20))          # bydel | institusjon: the writer's side
    category: Mapped[str] = mapped_column(sa.String(40))      # a consent category, saksgang or intern
    body: Mapped[str] = mapped_column(sa.Text)
    mentions: Mapped[list] = mapped_column(sa.JSON, default=list)   # user ids
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class CommentRevision(Model):
    """The text of a comment before one edit (or before its deletion): the history is never lost."""

    __tablename__ = "comment_revisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comments.id"), index=True)
    body: Mapped[str] = mapped_column(sa.Text)
    written_at: Mapped[datetime] = mapped_column(UTCDateTime)      # when this text was written
    replaced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    replaced_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))


class Attachment(Model):
    """A file on a case — on the case itself or on a form field (``form`` + ``field``)."""

    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    task_id: Mapped[str | None] = mapped_column(sa.String(36))
    form: Mapped[str | None] = mapped_column(sa.String(200))       # the form file whose field holds it
    field: Mapped[str | None] = mapped_column(sa.String(200))
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    size: Mapped[int] = mapped_column(sa.BigInteger)
    content_type: Mapped[str] = mapped_column(sa.String(120))      # what the content is, sniffed
    filename: Mapped[str] = mapped_column(sa.String(255))
    lane: Mapped[str] = mapped_column(sa.String(20))               # bydel | institusjon | beboer
    category: Mapped[str] = mapped_column(sa.String(40))
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
